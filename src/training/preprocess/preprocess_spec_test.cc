#include "training/preprocess/preprocess_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace aiaas::training {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

absl::StatusOr<PreprocessSpec> Parse(const char* text) {
  return ParsePreprocessSpec(Json::parse(text));
}

TEST(ParsePreprocessSpecTest, NullAndEmptyGiveDefaults) {
  for (const Json& json : {Json(), Json::object()}) {
    absl::StatusOr<PreprocessSpec> spec = ParsePreprocessSpec(json);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_FALSE(spec->features.has_value());
    EXPECT_FALSE(spec->missing_all.has_value());
    EXPECT_TRUE(spec->missing_by_column.empty());
    EXPECT_EQ(spec->scale, ScaleMode::kNone);
    EXPECT_TRUE(spec->one_hot);
    EXPECT_FALSE(spec->reshape.has_value());
  }
}

TEST(ParsePreprocessSpecTest, ParsesEveryField) {
  absl::StatusOr<PreprocessSpec> spec = Parse(R"({"features": ["b", "a"], "missing": "median",
      "scale": "minmax", "one_hot": false, "reshape": [1, 8, 8]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(*spec->features, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(spec->missing_all, MissingStrategy::kMedian);
  EXPECT_EQ(spec->scale, ScaleMode::kMinMax);
  EXPECT_FALSE(spec->one_hot);
  EXPECT_EQ(*spec->reshape, (std::vector<int64_t>{1, 8, 8}));
}

TEST(ParsePreprocessSpecTest, ParsesEveryMissingStrategyAndScale) {
  EXPECT_EQ(Parse(R"({"missing": "drop"})")->missing_all, MissingStrategy::kDrop);
  EXPECT_EQ(Parse(R"({"missing": "mean"})")->missing_all, MissingStrategy::kMean);
  EXPECT_EQ(Parse(R"({"missing": "most_frequent"})")->missing_all, MissingStrategy::kMostFrequent);
  EXPECT_EQ(Parse(R"({"scale": "standard"})")->scale, ScaleMode::kStandard);
  EXPECT_EQ(Parse(R"({"scale": "none"})")->scale, ScaleMode::kNone);
}

TEST(ParsePreprocessSpecTest, MissingAsAnObjectIsPerColumn) {
  absl::StatusOr<PreprocessSpec> spec =
      Parse(R"({"missing": {"a": "median", "color": "drop", "y": "drop"}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_FALSE(spec->missing_all.has_value());
  EXPECT_EQ(spec->missing_by_column.size(), 3u);
  EXPECT_EQ(spec->missing_by_column.at("a"), MissingStrategy::kMedian);
  EXPECT_EQ(spec->missing_by_column.at("color"), MissingStrategy::kDrop);
}

TEST(ParsePreprocessSpecTest, ErrorsNameTheField) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"scale": "foo"})",
       "preprocess.scale: expected one of none, standard, minmax, got 'foo'"},
      {R"({"scale": 1})", "preprocess.scale: expected one of none, standard, minmax, got 1"},
      {R"({"missing": "zero"})",
       "preprocess.missing: expected one of drop, mean, median, most_frequent, got 'zero'"},
      {R"({"missing": {"a": "avg"}})",
       "preprocess.missing.a: expected one of drop, mean, median, most_frequent, got 'avg'"},
      {R"({"missing": 3})", "preprocess.missing: expected one of drop, mean, median"},
      {R"({"one_hot": "yes"})", "preprocess.one_hot: expected true or false, got 'yes'"},
      {R"({"features": "a"})", "preprocess.features: expected an array of column names"},
      {R"({"features": []})", "preprocess.features: must name at least one column"},
      {R"({"features": ["a", 2]})", "preprocess.features[1]: expected a non-empty column name"},
      {R"({"features": ["a", "a"]})", "preprocess.features: column 'a' is listed twice"},
      {R"({"reshape": [1, 0]})", "preprocess.reshape[1]: expected an integer from 1 to"},
      {R"({"reshape": [2.5]})", "preprocess.reshape[0]: expected an integer from 1 to"},
      {R"({"reshape": []})", "preprocess.reshape: expected an array of 1 to 8 positive integers"},
      {R"({"normalize": true})", "preprocess: unknown field 'normalize'"},
      {R"([1])", "preprocess: expected an object"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<PreprocessSpec> spec = Parse(c.json);
    ASSERT_FALSE(spec.ok()) << c.json;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(spec.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(ParsePreprocessSpecTest, ToJsonParsesBackToTheSameSpec) {
  for (const char* text :
       {R"({})", R"({"features": ["x"], "missing": "drop", "scale": "standard"})",
        R"({"missing": {"a": "most_frequent"}, "one_hot": false, "reshape": [2, 3]})"}) {
    absl::StatusOr<PreprocessSpec> spec = Parse(text);
    ASSERT_TRUE(spec.ok()) << text;
    absl::StatusOr<PreprocessSpec> again = ParsePreprocessSpec(PreprocessSpecToJson(*spec));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(PreprocessSpecToJson(*again), PreprocessSpecToJson(*spec)) << text;
    EXPECT_EQ(again->features, spec->features);
    EXPECT_EQ(again->missing_all, spec->missing_all);
    EXPECT_EQ(again->missing_by_column, spec->missing_by_column);
    EXPECT_EQ(again->reshape, spec->reshape);
  }
}

}  // namespace
}  // namespace aiaas::training
