#include "server/json_codec_util.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::server::json_util {
namespace {

using ::testing::HasSubstr;

template <typename T>
Tensor MakeTensor(DataType dtype, std::vector<int64_t> shape, const std::vector<T>& values) {
  Tensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  tensor.data.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(tensor.data.data(), values.data(), tensor.data.size());
  return tensor;
}

std::string Data(const Tensor& tensor, bool nested) {
  std::string out;
  AppendTensorData(tensor, nested, out);
  return out;
}

TEST(ParseJsonObjectTest, AcceptsNestingUpToTheLimit) {
  std::string ok =
      "{\"a\":" + std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_TRUE(ParseJsonObject(ok).ok());
  std::string deep =
      "{\"a\":" + std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']') + "}";
  auto status = ParseJsonObject(deep).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("nesting deeper than 64 levels at byte 68"));
}

TEST(ParseJsonObjectTest, IgnoresBracketsInStringsIncludingEscapedQuotes) {
  std::string body = R"({"a": "\"[[[[", "b": "\\", "c": ")" + std::string(1000, '{') + R"("})";
  auto doc = ParseJsonObject(body);
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ((*doc)["a"], "\"[[[[");
  EXPECT_EQ((*doc)["b"], "\\");
}

TEST(ParseJsonObjectTest, ReportsParserErrorsWithoutTheExceptionPrefix) {
  auto status = ParseJsonObject("{\"a\": tru}").status();
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("invalid JSON: parse error at line 1, column"));
  EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr("json.exception")));
  EXPECT_EQ(ParseJsonObject("\"text\"").status().message(),
            "the body must be a JSON object, got a string");
}

TEST(CheckNestingTest, LocatesTheMismatch) {
  EXPECT_TRUE(CheckNesting(Json::parse("[[1,2],[3,4]]"), {2, 2}, "data").ok());
  EXPECT_EQ(CheckNesting(Json::parse("[[1,2],[3]]"), {2, 2}, "data").message(),
            "data[1] has 1 entries, expected 2");
  EXPECT_EQ(CheckNesting(Json::parse("[[1,2],{}]"), {2, 2}, "rows").message(),
            "rows[1] is an object, expected an array of 2 entries");
  EXPECT_EQ(CheckNesting(Json::parse("[[[1]]]"), {1, 1}, "data").message(),
            "data[0][0] is an array, but the shape has only 2 dimension(s)");
  EXPECT_EQ(CheckNesting(Json::parse("7"), {1}, "data").message(),
            "data is an integer, expected an array of 1 entries");
}

TEST(AppendTensorDataTest, FlatNestedAndScalar) {
  Tensor t = MakeTensor<int32_t>(DataType::kInt32, {2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(Data(t, false), "[1,2,3,4,5,6]");
  EXPECT_EQ(Data(t, true), "[[1,2,3],[4,5,6]]");
  EXPECT_EQ(Data(MakeTensor<int8_t>(DataType::kInt8, {}, {-5}), true), "[-5]");
  EXPECT_EQ(Data(MakeTensor<uint8_t>(DataType::kUint8, {2}, {65, 200}), false), "[65,200]");
  EXPECT_EQ(Data(MakeTensor<float>(DataType::kFp32, {0}, {}), false), "[]");
}

TEST(AppendTensorDataTest, FloatsAreShortestAndMarkedAsFloats) {
  EXPECT_EQ(
      Data(MakeTensor<float>(DataType::kFp32, {5}, {1.0f, 0.1f, -0.0f, 1e20f, 123456.0f}), false),
      "[1.0,0.1,-0.0,1e+20,123456.0]");
  EXPECT_EQ(Data(MakeTensor<double>(DataType::kFp64, {2}, {0.1, 1.0 / 3}), false),
            "[0.1,0.3333333333333333]");
  EXPECT_EQ(Data(MakeTensor<double>(DataType::kFp64, {2},
                                    {std::nan(""), -std::numeric_limits<double>::infinity()}),
                 false),
            "[null,null]");
}

TEST(AppendTensorDataTest, BytesUseTheLengthPrefixedLayout) {
  Tensor t;
  t.dtype = DataType::kBytes;
  t.shape = {3};
  const std::string raw = std::string("\x02\0\0\0hi", 6) + std::string("\0\0\0\0", 4) +
                          std::string("\x09\0\0\0x", 5);  // last length overruns
  for (char c : raw) t.data.push_back(static_cast<std::byte>(c));
  EXPECT_EQ(Data(t, false), R"(["hi","",null])");
}

TEST(AppendTensorDataTest, NeverReadsPastTheBuffer) {
  Tensor t = MakeTensor<double>(DataType::kFp64, {2, 2}, {1.5});
  EXPECT_EQ(Data(t, true), "[[1.5,null],[null,null]]");
  Tensor negative = MakeTensor<float>(DataType::kFp32, {-1, 2}, {1, 2});
  EXPECT_EQ(Data(negative, true), "[]");
}

TEST(HalfToFloatTest, ConvertsEveryClassOfValue) {
  EXPECT_EQ(HalfToFloat(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(HalfToFloat(0x8000)));
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0f);
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(HalfToFloat(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(HalfToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(HalfToFloat(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(HalfToFloat(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7E00)));
  // Exhaustive: every finite half equals sign * mantissa * 2^exponent.
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const uint32_t exponent = (bits >> 10) & 0x1f;
    if (exponent == 0x1f) continue;
    const uint32_t mantissa = bits & 0x3ff;
    float expected = exponent == 0 ? std::ldexp(static_cast<float>(mantissa), -24)
                                   : std::ldexp(static_cast<float>(mantissa | 0x400),
                                                static_cast<int>(exponent) - 25);
    if (bits & 0x8000) expected = -expected;
    ASSERT_EQ(HalfToFloat(static_cast<uint16_t>(bits)), expected) << std::hex << bits;
  }
}

TEST(Bfloat16ToFloatTest, IsTheUpperHalfOfAFloat) {
  EXPECT_EQ(Bfloat16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(Bfloat16ToFloat(0xC0A0), -5.0f);
  EXPECT_EQ(Bfloat16ToFloat(0x7F80), std::numeric_limits<float>::infinity());
}

}  // namespace
}  // namespace aiaas::server::json_util
