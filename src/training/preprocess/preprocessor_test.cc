#include "training/preprocess/preprocessor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "training/preprocess/preprocess_test_util.h"

namespace aiaas::training {
namespace {

using test_tables::Numbers;
using test_tables::Range;
using test_tables::Strings;
using test_tables::Table;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

PreprocessSpec Spec(const char* json) { return *ParsePreprocessSpec(nlohmann::json::parse(json)); }

const TargetSpec kClassTarget{"y", TargetKind::kClassLabel};
const TargetSpec kRealTarget{"y", TargetKind::kRealValue};

// Rows 0-3 are the train rows; row 4 is a test row with an outlier in `a` and a category
// never seen in training.
DataTable Mixed() {
  return Table({Numbers("a", {1, 2, 3, 4, 1000}),
                Strings("color", {"red", "blue", "red", "green", "purple"}),
                Numbers("b", {0.1, NAN, 0.3, 0.7, 0.2}), Numbers("y", {0, 1, 0, 1, 1})});
}

double AsServed(double x) { return static_cast<double>(static_cast<float>(x)); }

TEST(FittedPreprocessorTest, DefaultsUseAllColumnsButTheTargetInDatasetOrder) {
  absl::StatusOr<FittedPreprocessor> prep =
      FittedPreprocessor::Fit(Spec("{}"), kClassTarget, Mixed(), Range(0, 4));
  ASSERT_TRUE(prep.ok()) << prep.status();
  EXPECT_THAT(prep->NumericFeatureNames(), ElementsAre("a", "b"));
  EXPECT_THAT(prep->CategoricalFeatureNames(), ElementsAre("color"));
  EXPECT_EQ(prep->EncodedWidth(), 5u);
  EXPECT_THAT(prep->SampleShape(), ElementsAre(5));
  ASSERT_NE(prep->labels(), nullptr);
  EXPECT_EQ(prep->labels()->NumClasses(), 2u);
  EXPECT_EQ(prep->features()[1].missing, MissingStrategy::kMostFrequent);
  EXPECT_EQ(prep->features()[2].missing, MissingStrategy::kMean);
}

TEST(FittedPreprocessorTest, OneHotLayoutWithUnknownCategoryAsZeros) {
  absl::StatusOr<FittedPreprocessor> prep =
      FittedPreprocessor::Fit(Spec("{}"), kClassTarget, Mixed(), Range(0, 4));
  ASSERT_TRUE(prep.ok()) << prep.status();
  EXPECT_THAT(prep->features()[1].categories, ElementsAre("blue", "green", "red"));
  absl::StatusOr<Matrix> x = prep->TransformTable(Mixed(), Range(0, 5));
  ASSERT_TRUE(x.ok()) << x.status();
  ASSERT_EQ(x->rows, 5u);
  ASSERT_EQ(x->cols, 5u);
  // b's missing cell (row 1) is the mean of the three present train values.
  float b_mean = static_cast<float>((AsServed(0.1) + AsServed(0.3) + AsServed(0.7)) / 3);
  std::vector<float> expected = {
      1,    0, 0, 1, 0.1f,    // a, blue, green, red, b
      2,    1, 0, 0, b_mean,  //
      3,    0, 0, 1, 0.3f,    //
      4,    0, 1, 0, 0.7f,    //
      1000, 0, 0, 0, 0.2f,    // purple was never seen: all zeros
  };
  EXPECT_EQ(x->values, expected);
  EXPECT_THAT(x->source_rows, ElementsAre(0, 1, 2, 3, 4));
}

TEST(FittedPreprocessorTest, StatisticsComeFromTheTrainRowsOnly) {
  absl::StatusOr<FittedPreprocessor> prep = FittedPreprocessor::Fit(
      Spec(R"({"scale": "standard", "features": ["a"]})"), kClassTarget, Mixed(), Range(0, 4));
  ASSERT_TRUE(prep.ok()) << prep.status();
  // Train values 1, 2, 3, 4: mean 2.5, population variance 1.25. The test row's 1000
  // must not move them.
  EXPECT_EQ(prep->features()[0].mean, 2.5);
  EXPECT_EQ(prep->features()[0].std, std::sqrt(1.25));
  absl::StatusOr<Matrix> x = prep->TransformTable(Mixed(), {0, 4});
  ASSERT_TRUE(x.ok());
  EXPECT_FLOAT_EQ(x->values[0], static_cast<float>(-1.5 / std::sqrt(1.25)));
  EXPECT_FLOAT_EQ(x->values[1], static_cast<float>(997.5 / std::sqrt(1.25)));
}

TEST(FittedPreprocessorTest, MinMaxScalesByTheTrainRange) {
  absl::StatusOr<FittedPreprocessor> prep = FittedPreprocessor::Fit(
      Spec(R"({"scale": "minmax", "features": ["a"]})"), kClassTarget, Mixed(), Range(0, 4));
  ASSERT_TRUE(prep.ok());
  absl::StatusOr<Matrix> x = prep->TransformTable(Mixed(), Range(0, 5));
  ASSERT_TRUE(x.ok());
  EXPECT_THAT(x->values, ElementsAre(0.0f, 1.0f / 3, 2.0f / 3, 1.0f, 333.0f));
}

TEST(FittedPreprocessorTest, ConstantColumnsDivideByOne) {
  DataTable table = Table({Numbers("c", {5, 5, 5, 5, 7}), Numbers("y", {0, 1, 0, 1, 0})});
  for (const char* scale : {"standard", "minmax"}) {
    absl::StatusOr<FittedPreprocessor> prep =
        FittedPreprocessor::Fit(Spec((std::string(R"({"scale": ")") + scale + R"("})").c_str()),
                                kClassTarget, table, Range(0, 4));
    ASSERT_TRUE(prep.ok()) << prep.status();
    absl::StatusOr<Matrix> x = prep->TransformTable(table, Range(0, 5));
    ASSERT_TRUE(x.ok());
    EXPECT_THAT(x->values, ElementsAre(0, 0, 0, 0, 2)) << scale;
  }
}

TEST(FittedPreprocessorTest, DropLeavesOutRowsThatImputeFills) {
  DataTable table = Mixed();
  absl::StatusOr<FittedPreprocessor> drop = FittedPreprocessor::Fit(
      Spec(R"({"missing": "drop", "features": ["b"]})"), kRealTarget, table, Range(0, 4));
  ASSERT_TRUE(drop.ok()) << drop.status();
  absl::StatusOr<Matrix> dropped = drop->TransformTable(table, Range(0, 5));
  ASSERT_TRUE(dropped.ok());
  EXPECT_THAT(dropped->source_rows, ElementsAre(0, 2, 3, 4));
  EXPECT_THAT(dropped->values, ElementsAre(0.1f, 0.3f, 0.7f, 0.2f));

  absl::StatusOr<FittedPreprocessor> median = FittedPreprocessor::Fit(
      Spec(R"({"missing": {"b": "median"}, "features": ["b"]})"), kRealTarget, table, Range(0, 4));
  ASSERT_TRUE(median.ok()) << median.status();
  absl::StatusOr<Matrix> filled = median->TransformTable(table, Range(0, 5));
  ASSERT_TRUE(filled.ok());
  EXPECT_THAT(filled->source_rows, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(filled->values, ElementsAre(0.1f, 0.3f, 0.3f, 0.7f, 0.2f));
}

TEST(FittedPreprocessorTest, MostFrequentPicksTheSmallestOnATie) {
  DataTable table = Table({Numbers("n", {5, 2, 5, 2, NAN}), Strings("s", {"q", "p", "", "q", "p"}),
                           Numbers("y", {1, 2, 3, 4, 5})});
  absl::StatusOr<FittedPreprocessor> prep = FittedPreprocessor::Fit(
      Spec(R"({"missing": "most_frequent"})"), kRealTarget, table, Range(0, 5));
  ASSERT_TRUE(prep.ok()) << prep.status();
  EXPECT_EQ(prep->features()[0].impute_number, 2.0);
  EXPECT_EQ(prep->features()[1].impute_category, "p");
  absl::StatusOr<Matrix> x = prep->TransformTable(table, {2, 4});
  ASSERT_TRUE(x.ok());
  EXPECT_THAT(x->values, ElementsAre(5, 1, 0, 2, 1, 0));
}

TEST(FittedPreprocessorTest, MissingTargetsAreDroppedOnlyWhenAsked) {
  DataTable table = Table({Numbers("a", {1, 2, 3, 4}), Numbers("y", {0, NAN, 1, 1})});
  absl::StatusOr<FittedPreprocessor> rejected =
      FittedPreprocessor::Fit(Spec("{}"), kClassTarget, table, Range(0, 4));
  EXPECT_THAT(rejected.status().message(),
              HasSubstr("target 'y' is missing in 1 rows (first: row 1)"));
  EXPECT_FALSE(RowsToTrainOn(Spec("{}"), kClassTarget, table).ok());

  PreprocessSpec spec = Spec(R"({"missing": {"y": "drop"}})");
  absl::StatusOr<std::vector<size_t>> rows = RowsToTrainOn(spec, kClassTarget, table);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, ElementsAre(0, 2, 3));
  absl::StatusOr<FittedPreprocessor> prep =
      FittedPreprocessor::Fit(spec, kClassTarget, table, Range(0, 4));
  ASSERT_TRUE(prep.ok()) << prep.status();
  absl::StatusOr<Matrix> x = prep->TransformTable(table, Range(0, 4));
  ASSERT_TRUE(x.ok());
  EXPECT_THAT(x->source_rows, ElementsAre(0, 2, 3));
  EXPECT_THAT(*prep->ClassTargets(table, x->source_rows), ElementsAre(0, 1, 1));
  EXPECT_FALSE(prep->ClassTargets(table, {1}).ok());
}

TEST(FittedPreprocessorTest, RowsToTrainOnDropsRowsMissingADropFeature) {
  absl::StatusOr<std::vector<size_t>> rows =
      RowsToTrainOn(Spec(R"({"missing": {"b": "drop"}})"), kClassTarget, Mixed());
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, ElementsAre(0, 2, 3, 4));
}

TEST(FittedPreprocessorTest, Targets) {
  DataTable table = Table({Numbers("a", {1, 2, 3}), Numbers("y", {0.5, -1.25, 3})});
  absl::StatusOr<FittedPreprocessor> prep =
      FittedPreprocessor::Fit(Spec("{}"), kRealTarget, table, Range(0, 3));
  ASSERT_TRUE(prep.ok());
  EXPECT_THAT(*prep->RegressionTargets(table, {2, 0}), ElementsAre(3.0f, 0.5f));
  EXPECT_EQ(prep->labels(), nullptr);
  EXPECT_EQ(prep->ClassTargets(table, {0}).status().code(), absl::StatusCode::kFailedPrecondition);

  DataTable labelled = Table({Numbers("a", {1, 2, 3}), Strings("y", {"dog", "cat", "dog"})});
  absl::StatusOr<FittedPreprocessor> classes =
      FittedPreprocessor::Fit(Spec("{}"), kClassTarget, labelled, {0, 1});
  ASSERT_TRUE(classes.ok()) << classes.status();
  EXPECT_FALSE(classes->labels()->IntegerLabels());
  EXPECT_THAT(*classes->ClassTargets(labelled, {0, 1, 2}), ElementsAre(1, 0, 1));
}

TEST(FittedPreprocessorTest, ReconstructionUsesEveryColumnButANamedOne) {
  DataTable table = Table({Numbers("a", {1, 2}), Numbers("id", {7, 8}), Numbers("b", {3, 4})});
  absl::StatusOr<FittedPreprocessor> all =
      FittedPreprocessor::Fit(Spec("{}"), TargetSpec{"", TargetKind::kNone}, table, {0, 1});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_THAT(all->NumericFeatureNames(), ElementsAre("a", "id", "b"));
  absl::StatusOr<FittedPreprocessor> some =
      FittedPreprocessor::Fit(Spec("{}"), TargetSpec{"id", TargetKind::kNone}, table, {0, 1});
  ASSERT_TRUE(some.ok()) << some.status();
  EXPECT_THAT(some->NumericFeatureNames(), ElementsAre("a", "b"));
}

TEST(FittedPreprocessorTest, ReshapeMustMatchTheEncodedWidth) {
  absl::StatusOr<FittedPreprocessor> bad =
      FittedPreprocessor::Fit(Spec(R"({"reshape": [2, 2]})"), kClassTarget, Mixed(), Range(0, 4));
  ASSERT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "preprocess.reshape: [2, 2] holds 4 values per sample, but the features give 5 "
            "values after encoding");
  EXPECT_THAT(
      FittedPreprocessor::Fit(Spec(R"({"reshape": [3, 2]})"), kClassTarget, Mixed(), Range(0, 4))
          .status()
          .message(),
      HasSubstr("[3, 2] holds 6 values per sample, but the features give 5"));
  EXPECT_THAT(FittedPreprocessor::Fit(Spec(R"({"reshape": [1, 16777216, 4]})"), kClassTarget,
                                      Mixed(), Range(0, 4))
                  .status()
                  .message(),
              HasSubstr("holds more than 5 values per sample"));
  absl::StatusOr<FittedPreprocessor> good = FittedPreprocessor::Fit(
      Spec(R"({"reshape": [1, 5, 1]})"), kClassTarget, Mixed(), Range(0, 4));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_THAT(good->SampleShape(), ElementsAre(1, 5, 1));
}

TEST(FittedPreprocessorTest, SpecErrorsNameTheColumn) {
  struct Case {
    const char* spec;
    TargetSpec target;
    const char* message;
  };
  const Case cases[] = {
      {R"({"features": ["a", "nope"]})", kClassTarget,
       "preprocess.features: no column 'nope' in the dataset (columns: a, color, b, y)"},
      {R"({"features": ["a", "y"]})", kClassTarget, "preprocess.features: 'y' is the target"},
      {R"({"one_hot": false})", kClassTarget,
       "preprocess.one_hot: false, but feature 'color' is categorical"},
      {R"({"missing": {"color": "mean"}})", kClassTarget,
       "preprocess.missing.color: mean applies to numeric columns only"},
      {R"({"missing": {"zzz": "drop"}})", kClassTarget,
       "preprocess.missing.zzz: 'zzz' is not a feature or the target"},
      {R"({"missing": {"y": "mean"}})", kClassTarget,
       "preprocess.missing.y: the target accepts only \"drop\""},
      {"{}", TargetSpec{"color", TargetKind::kRealValue},
       "target 'color' is categorical; regression needs a numeric target"},
      {"{}", TargetSpec{"b", TargetKind::kClassLabel}, "target 'b' is missing in 1 rows"},
      {"{}", TargetSpec{"q", TargetKind::kClassLabel}, "target: no column 'q'"},
      {"{}", TargetSpec{"", TargetKind::kRealValue}, "target: a column name is required"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<FittedPreprocessor> prep =
        FittedPreprocessor::Fit(Spec(c.spec), c.target, Mixed(), Range(0, 4));
    ASSERT_FALSE(prep.ok()) << c.spec;
    EXPECT_EQ(prep.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(prep.status().message(), HasSubstr(c.message)) << c.spec;
  }
}

TEST(FittedPreprocessorTest, NonIntegerClassTargetIsAnError) {
  DataTable table = Table({Numbers("a", {1, 2, 3}), Numbers("y", {0, 0.5, 1})});
  EXPECT_THAT(
      FittedPreprocessor::Fit(Spec("{}"), kClassTarget, table, Range(0, 3)).status().message(),
      HasSubstr("is not an integer"));
}

TEST(FittedPreprocessorTest, AFeatureWithoutTrainValuesIsAnError) {
  DataTable table = Table({Numbers("a", {NAN, NAN, 3}), Numbers("y", {0, 1, 1})});
  EXPECT_THAT(FittedPreprocessor::Fit(Spec("{}"), kClassTarget, table, {0, 1}).status().message(),
              HasSubstr("feature 'a' has no values in the 2 train rows"));
}

TEST(FittedPreprocessorTest, TooManyCategoriesIsAnError) {
  std::vector<std::string> ids;
  std::vector<double> y;
  for (size_t i = 0; i <= FittedPreprocessor::kMaxCategories; ++i) {
    ids.push_back("id" + std::to_string(i));
    y.push_back(static_cast<double>(i % 2));
  }
  DataTable table = Table({Strings("id", ids), Numbers("y", y)});
  EXPECT_THAT(FittedPreprocessor::Fit(Spec("{}"), kClassTarget, table, Range(0, table.rows))
                  .status()
                  .message(),
              HasSubstr("feature 'id' has 1001 distinct categories"));
}

// The serving path must give exactly what training gave for the same raw rows.
TEST(FittedPreprocessorTest, ServingTransformEqualsTrainingTransform) {
  DataTable table =
      Table({Numbers("x1", {0.1, 1.0 / 3, NAN, -2.7, 12345.678, 0.2}),
             Strings("city", {"oslo", "", "rome", "oslo", "lima", "paris"}),
             Numbers("x2", {1e-3, 2e-3, 5e-3, NAN, 7.25, 1.1}), Numbers("y", {1, 2, 3, 4, 5, 6})});
  for (const char* spec : {R"({"scale": "standard"})", R"({"scale": "minmax"})",
                           R"({"missing": "median", "scale": "none"})"}) {
    absl::StatusOr<FittedPreprocessor> prep =
        FittedPreprocessor::Fit(Spec(spec), kRealTarget, table, Range(0, 4));
    ASSERT_TRUE(prep.ok()) << prep.status();
    absl::StatusOr<Matrix> trained = prep->TransformTable(table, Range(0, 6));
    ASSERT_TRUE(trained.ok()) << trained.status();

    std::vector<float> numeric;
    std::vector<std::string> categorical;
    for (size_t row = 0; row < table.rows; ++row) {
      for (const char* name : {"x1", "x2"}) {
        const Column& column = *(name[1] == '1' ? &table.columns[0] : &table.columns[2]);
        numeric.push_back(column.IsMissing(row) ? NAN : static_cast<float>(column.numbers[row]));
      }
      categorical.push_back(table.columns[1].strings[row]);
    }
    absl::StatusOr<Matrix> served = prep->TransformRaw(numeric.data(), table.rows, &categorical);
    ASSERT_TRUE(served.ok()) << served.status();
    ASSERT_EQ(served->values.size(), trained->values.size());
    EXPECT_EQ(0, std::memcmp(served->values.data(), trained->values.data(),
                             served->values.size() * sizeof(float)))
        << spec;
  }
}

TEST(FittedPreprocessorTest, ServingRejectsMissingValuesUnderDropAndBadSizes) {
  absl::StatusOr<FittedPreprocessor> prep = FittedPreprocessor::Fit(
      Spec(R"({"missing": {"b": "drop"}})"), kClassTarget, Mixed(), Range(0, 4));
  ASSERT_TRUE(prep.ok()) << prep.status();
  std::vector<std::string> colors = {"red", "blue"};
  float ok_rows[] = {1, 0.5f, 2, 0.25f};
  EXPECT_TRUE(prep->TransformRaw(ok_rows, 2, &colors).ok());
  float missing_b[] = {1, 0.5f, 2, NAN};
  EXPECT_EQ(prep->TransformRaw(missing_b, 2, &colors).status().message(),
            "row 1, column 'b': value is missing and the model was trained with missing = "
            "\"drop\"");
  float infinite[] = {1, 0.5f, INFINITY, 0.5f};
  EXPECT_THAT(prep->TransformRaw(infinite, 2, &colors).status().message(),
              HasSubstr("row 1, column 'a'"));
  EXPECT_THAT(prep->TransformRaw(ok_rows, 2, nullptr).status().message(),
              HasSubstr("expected 2 categorical values (2 rows x 1 columns), got 0"));
  // Missing `a` imputes the mean and a missing category the most frequent one, both of
  // the train rows left after dropping row 1 (b missing): a = 1, 3, 4; color = red,
  // red, green.
  float missing_a[] = {NAN, 0.5f};
  std::vector<std::string> no_color = {""};
  absl::StatusOr<Matrix> imputed = prep->TransformRaw(missing_a, 1, &no_color);
  ASSERT_TRUE(imputed.ok()) << imputed.status();
  EXPECT_THAT(prep->features()[1].categories, ElementsAre("green", "red"));
  EXPECT_THAT(imputed->values, ElementsAre(static_cast<float>(8.0 / 3), 0, 1, 0.5f));
}

TEST(FittedPreprocessorTest, TransformTableNeedsTheFeatureColumns) {
  absl::StatusOr<FittedPreprocessor> prep =
      FittedPreprocessor::Fit(Spec("{}"), kClassTarget, Mixed(), Range(0, 4));
  ASSERT_TRUE(prep.ok());
  DataTable other = Table({Numbers("a", {1}), Numbers("color", {2}), Numbers("b", {3})});
  EXPECT_THAT(prep->TransformTable(other, {0}).status().message(),
              HasSubstr("needs a categorical column 'color'"));
  EXPECT_THAT(prep->TransformTable(Mixed(), {9}).status().message(), HasSubstr("out of range"));
}

}  // namespace
}  // namespace aiaas::training
