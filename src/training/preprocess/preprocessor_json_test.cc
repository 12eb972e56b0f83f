// FittedPreprocessor::ToJson / FromJson: a stored preprocessor transforms exactly as the
// one that was fitted.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "training/preprocess/preprocess_test_util.h"
#include "training/preprocess/preprocessor.h"

namespace aiaas::training {
namespace {

using test_tables::Numbers;
using test_tables::Range;
using test_tables::Strings;
using test_tables::Table;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Json = nlohmann::json;

// Values whose statistics are not short decimals, so a lossy double format would show.
DataTable Awkward() {
  std::vector<double> x1, x2, y;
  std::vector<std::string> kind;
  for (int i = 0; i < 40; ++i) {
    x1.push_back(i % 7 == 3 ? NAN : std::sin(i) * 1e3 / 7.0);
    x2.push_back(std::exp(i / 9.0) / 3.0);
    kind.push_back(i % 5 == 0 ? "" : (i % 3 == 0 ? "alpha" : (i % 3 == 1 ? "beta" : "gamma")));
    y.push_back(i % 4 == 0 ? 10 : 20);
  }
  return Table({Numbers("x1", x1), Strings("kind", kind), Numbers("x2", x2), Numbers("y", y)});
}

absl::StatusOr<FittedPreprocessor> FitAwkward(const char* spec, TargetKind kind) {
  return FittedPreprocessor::Fit(*ParsePreprocessSpec(Json::parse(spec)), {"y", kind}, Awkward(),
                                 Range(0, 30));
}

TEST(PreprocessorJsonTest, RoundTripThroughTextGivesBitIdenticalTransforms) {
  for (const char* spec :
       {R"({"scale": "standard"})", R"({"scale": "minmax", "missing": "median"})",
        R"({"scale": "none", "missing": {"x1": "drop"}, "reshape": [1, 5]})"}) {
    for (TargetKind kind : {TargetKind::kClassLabel, TargetKind::kRealValue}) {
      absl::StatusOr<FittedPreprocessor> fitted = FitAwkward(spec, kind);
      ASSERT_TRUE(fitted.ok()) << fitted.status();
      std::string text = fitted->ToJson().dump();
      absl::StatusOr<FittedPreprocessor> restored = FittedPreprocessor::FromJson(Json::parse(text));
      ASSERT_TRUE(restored.ok()) << restored.status() << "\n" << text;
      EXPECT_EQ(restored->ToJson().dump(), text);
      EXPECT_EQ(restored->SampleShape(), fitted->SampleShape());
      EXPECT_EQ(restored->NumericFeatureNames(), fitted->NumericFeatureNames());
      EXPECT_EQ(restored->CategoricalFeatureNames(), fitted->CategoricalFeatureNames());
      for (size_t f = 0; f < fitted->features().size(); ++f) {
        const FeatureTransform& a = fitted->features()[f];
        const FeatureTransform& b = restored->features()[f];
        EXPECT_EQ(std::memcmp(&a.mean, &b.mean, sizeof(double)), 0);
        EXPECT_EQ(std::memcmp(&a.std, &b.std, sizeof(double)), 0);
        EXPECT_EQ(std::memcmp(&a.impute_number, &b.impute_number, sizeof(double)), 0);
      }

      absl::StatusOr<Matrix> before = fitted->TransformTable(Awkward(), Range(0, 40));
      absl::StatusOr<Matrix> after = restored->TransformTable(Awkward(), Range(0, 40));
      ASSERT_TRUE(before.ok() && after.ok());
      EXPECT_EQ(before->source_rows, after->source_rows);
      ASSERT_EQ(before->values.size(), after->values.size());
      EXPECT_EQ(std::memcmp(before->values.data(), after->values.data(),
                            before->values.size() * sizeof(float)),
                0)
          << spec;
    }
  }
}

TEST(PreprocessorJsonTest, LabelsTravelWithThePreprocessor) {
  absl::StatusOr<FittedPreprocessor> fitted = FitAwkward("{}", TargetKind::kClassLabel);
  ASSERT_TRUE(fitted.ok());
  absl::StatusOr<FittedPreprocessor> restored =
      FittedPreprocessor::FromJson(Json::parse(fitted->ToJson().dump()));
  ASSERT_TRUE(restored.ok()) << restored.status();
  ASSERT_NE(restored->labels(), nullptr);
  EXPECT_THAT(restored->labels()->ClassNames(), ElementsAre("10", "20"));
  EXPECT_EQ(restored->target().column, "y");
  EXPECT_EQ(restored->target().kind, TargetKind::kClassLabel);
}

TEST(PreprocessorJsonTest, DocumentShape) {
  DataTable table = Table({Numbers("a", {1, 3}), Strings("c", {"u", "v"}), Numbers("y", {0, 1})});
  absl::StatusOr<FittedPreprocessor> fitted =
      FittedPreprocessor::Fit(*ParsePreprocessSpec(Json::parse(R"({"scale": "standard"})")),
                              {"y", TargetKind::kClassLabel}, table, {0, 1});
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  EXPECT_EQ(fitted->ToJson(), Json::parse(R"({
      "format": 1,
      "target": {"column": "y", "kind": "class_label", "drop_missing": false},
      "labels": {"kind": "integer", "classes": [0, 1]},
      "scale": "standard",
      "features": [
        {"name": "a", "kind": "numeric", "missing": "mean", "impute": 2.0,
         "mean": 2.0, "std": 1.0, "min": 1.0, "max": 3.0},
        {"name": "c", "kind": "categorical", "missing": "most_frequent", "impute": "u",
         "categories": ["u", "v"]}
      ],
      "sample_shape": [3]})"));
}

TEST(PreprocessorJsonTest, FromJsonRejectsMalformedDocuments) {
  absl::StatusOr<FittedPreprocessor> fitted = FitAwkward("{}", TargetKind::kClassLabel);
  ASSERT_TRUE(fitted.ok());
  const Json good = fitted->ToJson();
  struct Case {
    const char* what;
    Json doc;
  };
  std::vector<Case> cases;
  auto edit = [&](const char* what, auto change) {
    Json doc = good;
    change(doc);
    cases.push_back({what, doc});
  };
  edit("format", [](Json& d) { d["format"] = 2; });
  edit("no target", [](Json& d) { d.erase("target"); });
  edit("kind", [](Json& d) { d["target"]["kind"] = "other"; });
  edit("no labels", [](Json& d) { d.erase("labels"); });
  edit("scale", [](Json& d) { d["scale"] = "log"; });
  edit("no features", [](Json& d) { d["features"] = Json::array(); });
  edit("shape", [](Json& d) { d["sample_shape"] = {2, 2}; });
  edit("std", [](Json& d) { d["features"][0]["std"] = "x"; });
  edit("categories", [](Json& d) { d["features"][1]["categories"] = {"b", "a"}; });
  edit("strategy", [](Json& d) { d["features"][0]["missing"] = "zero"; });
  cases.push_back({"array", Json::array()});
  for (const Case& c : cases) {
    EXPECT_EQ(FittedPreprocessor::FromJson(c.doc).status().code(),
              absl::StatusCode::kInvalidArgument)
        << c.what;
  }
  EXPECT_TRUE(FittedPreprocessor::FromJson(good).ok());
}

}  // namespace
}  // namespace aiaas::training
