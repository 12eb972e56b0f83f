#include "server/json_codec_util_simdjson.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/json_codec_util.h"

namespace aiaas::server::json_util {
namespace {

using simdjson::dom::element_type;
using ::testing::HasSubstr;

std::string ParseError(std::string_view text) {
  auto doc = SimdjsonObject::Parse(text);
  EXPECT_FALSE(doc.ok()) << text;
  if (doc.ok()) return "";
  EXPECT_EQ(doc.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(doc.status().message());
}

simdjson::dom::element Field(const SimdjsonObject& doc, std::string_view key) {
  simdjson::dom::element value;
  EXPECT_EQ(doc.root()[key].get(value), simdjson::SUCCESS) << key;
  return value;
}

TEST(SimdjsonObjectTest, ParsesAnObject) {
  auto doc = SimdjsonObject::Parse(R"({"a": [1, -2, 3.5], "b": "text"})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(ArraySize(Field(*doc, "a").get_array().value()), 3u);
  EXPECT_EQ(Field(*doc, "b").get_string().value(), "text");
  // Moving keeps the tape where it is.
  SimdjsonObject moved = *std::move(doc);
  EXPECT_EQ(Field(moved, "b").get_string().value(), "text");
}

TEST(SimdjsonObjectTest, DepthLimitIsTheNlohmannOne) {
  const std::string ok =
      "{\"a\":" + std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_TRUE(SimdjsonObject::Parse(ok).ok());
  const std::string deep =
      "{\"a\":" + std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']') + "}";
  EXPECT_EQ(ParseError(deep), "invalid JSON: nesting deeper than 64 levels at byte 68");
  EXPECT_THAT(ParseError(std::string(1000000, '[')), HasSubstr("nesting deeper than 64 levels"));
}

TEST(SimdjsonObjectTest, SyntaxErrorsReadAsWithNlohmann) {
  for (std::string_view text :
       {R"({"inputs": [)", "", "{\"id\": \"\xff\"}", "{} {}", "{\"a\": tru}", "{\"a\": 1e400}",
        "{\"a\": [1,]}", "{'a': 1}", "{\"a\": 01}"}) {
    SCOPED_TRACE(text);
    auto expected = ParseJsonObject(text);
    ASSERT_FALSE(expected.ok());
    EXPECT_EQ(ParseError(text), expected.status().message());
  }
  EXPECT_THAT(ParseError(R"({"inputs": [)"), HasSubstr("line 1, column 13"));
  EXPECT_EQ(ParseError("[1, 2]"), "the body must be a JSON object, got an array");
  EXPECT_EQ(ParseError("\"text\""), "the body must be a JSON object, got a string");
}

TEST(SimdjsonObjectTest, SkipsAByteOrderMark) {
  auto doc = SimdjsonObject::Parse("\xEF\xBB\xBF{\"a\": 1}");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(Field(*doc, "a").get_int64().value(), 1);
}

TEST(SimdjsonObjectTest, IntegersBeyond64BitsAreDoubles) {
  auto doc = SimdjsonObject::Parse(
      R"({"big": 18446744073709551616, "low": -9223372036854775809, "max": 18446744073709551615,
          "min": -9223372036854775808, "text": "18446744073709551616", "mixed": [1, 1e400]})");
  // 1e400 is out of double range: still an error, as with nlohmann.
  ASSERT_FALSE(doc.ok());
  EXPECT_THAT(std::string(doc.status().message()), HasSubstr("number overflow parsing '1e400'"));

  doc = SimdjsonObject::Parse(
      R"({"big": 18446744073709551616, "low": -9223372036854775809, "max": 18446744073709551615,
          "min": -9223372036854775808, "text": "18446744073709551616"})");
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(Field(*doc, "big").type(), element_type::DOUBLE);
  EXPECT_EQ(Field(*doc, "big").get_double().value(), 18446744073709551616.0);
  EXPECT_EQ(Field(*doc, "low").get_double().value(), -9223372036854775809.0);
  EXPECT_EQ(Field(*doc, "max").type(), element_type::UINT64);
  EXPECT_EQ(Field(*doc, "min").type(), element_type::INT64);
  EXPECT_EQ(Field(*doc, "text").get_string().value(), "18446744073709551616");
}

TEST(WidenOversizedIntegersTest, TouchesOnlyOversizedIntegerLiterals) {
  EXPECT_EQ(WidenOversizedIntegers(R"([18446744073709551616,18446744073709551615,1e99])"),
            R"([18446744073709551616.0,18446744073709551615,1e99])");
  EXPECT_EQ(WidenOversizedIntegers(R"([-9223372036854775809,-9223372036854775808])"),
            R"([-9223372036854775809.0,-9223372036854775808])");
  EXPECT_EQ(WidenOversizedIntegers(R"({"k\"123456789012345678901": "123456789012345678901"})"),
            R"({"k\"123456789012345678901": "123456789012345678901"})");
  EXPECT_EQ(WidenOversizedIntegers("[123456789012345678901234.5]"), "[123456789012345678901234.5]");
}

TEST(SimdjsonHelpersTest, TypeNameAndShortDumpMatchNlohmann) {
  const std::string values =
      R"([1, -1, 18446744073709551615, 1.5, 1e39, -0.0, "abc", "a\"b", true, null, [1], {"a": 1},
          "0123456789012345678901234567890123456789xyz"])";
  auto doc = SimdjsonObject::Parse("{\"v\": " + values + "}");
  ASSERT_TRUE(doc.ok()) << doc.status();
  const Json expected = Json::parse(values);
  simdjson::dom::array array;
  ASSERT_EQ(Field(*doc, "v").get_array().get(array), simdjson::SUCCESS);
  size_t i = 0;
  for (simdjson::dom::element value : array) {
    SCOPED_TRACE(expected[i].dump());
    EXPECT_EQ(TypeName(value), TypeName(expected[i]));
    EXPECT_EQ(ShortDump(value), ShortDump(expected[i]));
    ++i;
  }
  EXPECT_EQ(i, expected.size());
}

TEST(SimdjsonHelpersTest, CheckNestingMatchesNlohmann) {
  struct Case {
    std::string data;
    std::vector<int64_t> shape;
  };
  for (const Case& c : std::vector<Case>{{"[[1,2],[3,4]]", {2, 2}},
                                         {"[[1,2],[3]]", {2, 2}},
                                         {"[[1,2],{}]", {2, 2}},
                                         {"[[[1]]]", {1, 1}},
                                         {"7", {1}},
                                         {"[[1,2],[3,[4]]]", {2, 2}}}) {
    SCOPED_TRACE(c.data);
    auto doc = SimdjsonObject::Parse("{\"d\": " + c.data + "}");
    ASSERT_TRUE(doc.ok()) << doc.status();
    EXPECT_EQ(CheckNesting(Field(*doc, "d"), c.shape, "data", LeafCheck::kFull),
              CheckNesting(Json::parse(c.data), c.shape, "data"));
  }
  // Lengths only: arrays in place of values are left for the value reader.
  auto doc = SimdjsonObject::Parse(R"({"d": [[1,2],[3,[4]]]})");
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(CheckNesting(Field(*doc, "d"), {2, 2}, "data", LeafCheck::kLengthsOnly).ok());
  EXPECT_EQ(CheckNesting(Field(*doc, "d"), {2, 3}, "data", LeafCheck::kLengthsOnly).message(),
            "data[0] has 2 entries, expected 3");
}

}  // namespace
}  // namespace aiaas::server::json_util
