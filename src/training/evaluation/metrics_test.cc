#include "training/evaluation/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace aiaas::training {
namespace {

// Expected values computed once with scikit-learn 1.2.1:
//   /usr/bin/python3 -c 'from sklearn.metrics import accuracy_score, precision_score,
//     recall_score, f1_score, confusion_matrix
//   t=[0,1,2,0,1,2,0,1,2,0,1,1]; p=[0,2,1,0,0,2,0,1,2,1,1,0]
//   print(accuracy_score(t,p), precision_score(t,p,average="macro"),
//         recall_score(t,p,average="macro"), f1_score(t,p,average="macro"))
//   print(confusion_matrix(t,p,labels=[0,1,2,3]).tolist())'
TEST(EvaluateClassificationTest, MatchesScikitLearnWithAClassAbsentFromBoth) {
  std::vector<int64_t> truth = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 1};
  std::vector<int64_t> predicted = {0, 2, 1, 0, 0, 2, 0, 1, 2, 1, 1, 0};
  absl::StatusOr<ClassificationReport> report = EvaluateClassification(truth, predicted, 4);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(report->accuracy, 0.5833333333333334, 1e-12);
  EXPECT_NEAR(report->precision_macro, 0.5888888888888889, 1e-12);
  EXPECT_NEAR(report->recall_macro, 0.6055555555555555, 1e-12);
  EXPECT_NEAR(report->f1_macro, 0.5925925925925926, 1e-12);
  std::vector<std::vector<int64_t>> expected = {
      {3, 1, 0, 0}, {2, 2, 1, 0}, {0, 1, 2, 0}, {0, 0, 0, 0}};
  EXPECT_EQ(report->confusion_matrix, expected);
}

// Class 3 is predicted but never true (recall 0), as scikit-learn with zero_division
// left at its default:
//   t=[0,0,1,1,2,2]; p=[0,3,1,1,1,2] -> 0.6666666666666666 0.6666666666666666 0.5
//   0.5333333333333333, confusion [[1,0,0,1],[0,2,0,0],[0,1,1,0],[0,0,0,0]]
TEST(EvaluateClassificationTest, AClassOnlyPredictedCountsWithZeroRecall) {
  absl::StatusOr<ClassificationReport> report =
      EvaluateClassification({0, 0, 1, 1, 2, 2}, {0, 3, 1, 1, 1, 2}, 4);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(report->accuracy, 0.6666666666666666, 1e-12);
  EXPECT_NEAR(report->precision_macro, 0.6666666666666666, 1e-12);
  EXPECT_NEAR(report->recall_macro, 0.5, 1e-12);
  EXPECT_NEAR(report->f1_macro, 0.5333333333333333, 1e-12);
  std::vector<std::vector<int64_t>> expected = {
      {1, 0, 0, 1}, {0, 2, 0, 0}, {0, 1, 1, 0}, {0, 0, 0, 0}};
  EXPECT_EQ(report->confusion_matrix, expected);
}

TEST(EvaluateClassificationTest, PerfectPredictionsScoreOne) {
  absl::StatusOr<ClassificationReport> report = EvaluateClassification({1, 0, 1}, {1, 0, 1}, 2);
  ASSERT_TRUE(report.ok());
  EXPECT_DOUBLE_EQ(report->accuracy, 1.0);
  EXPECT_DOUBLE_EQ(report->precision_macro, 1.0);
  EXPECT_DOUBLE_EQ(report->recall_macro, 1.0);
  EXPECT_DOUBLE_EQ(report->f1_macro, 1.0);
}

TEST(EvaluateClassificationTest, RejectsBadInput) {
  EXPECT_EQ(EvaluateClassification({}, {}, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EvaluateClassification({0, 1}, {0}, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EvaluateClassification({0, 2}, {0, 1}, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EvaluateClassification({0, 1}, {0, -1}, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EvaluateClassification({0}, {0}, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// /usr/bin/python3 -c 'from sklearn.metrics import mean_squared_error, mean_absolute_error,
//   r2_score; t=[3.0,-0.5,2.0,7.0,4.25]; p=[2.5,0.0,2.0,8.0,3.75]
//   print(mean_squared_error(t,p), mean_absolute_error(t,p), r2_score(t,p))'
//   -> 0.35 0.5 0.9429967426710097
TEST(EvaluateRegressionTest, MatchesScikitLearn) {
  absl::StatusOr<RegressionReport> report =
      EvaluateRegression({3.0f, -0.5f, 2.0f, 7.0f, 4.25f}, {2.5f, 0.0f, 2.0f, 8.0f, 3.75f});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(report->mse, 0.35, 1e-12);
  EXPECT_NEAR(report->mae, 0.5, 1e-12);
  EXPECT_NEAR(report->r2, 0.9429967426710097, 1e-12);
}

// r2_score([2,2,2],[2,2,2]) -> 1.0; r2_score([2,2,2],[2,2.5,2]) -> 0.0
TEST(EvaluateRegressionTest, ConstantTargetsGiveOneWhenExactElseZero) {
  EXPECT_DOUBLE_EQ(EvaluateRegression({2, 2, 2}, {2, 2, 2})->r2, 1.0);
  EXPECT_DOUBLE_EQ(EvaluateRegression({2, 2, 2}, {2, 2.5f, 2})->r2, 0.0);
}

TEST(EvaluateRegressionTest, RejectsBadInput) {
  EXPECT_FALSE(EvaluateRegression({}, {}).ok());
  EXPECT_FALSE(EvaluateRegression({1, 2}, {1}).ok());
  EXPECT_FALSE(EvaluateRegression({1, NAN}, {1, 2}).ok());
}

// x=[[1,2],[3,4],[5,9]], r=[[1,2.5],[2,4],[5,8]]:
//   mean_squared_error(x.ravel(), r.ravel()) -> 0.375
//   mean_squared_error(x.ravel(), broadcast(x.mean(axis=0)).ravel()) -> 5.666666666666667
TEST(EvaluateReconstructionTest, ErrorAndMeanBaseline) {
  absl::StatusOr<ReconstructionReport> report =
      EvaluateReconstruction({1, 2, 3, 4, 5, 9}, {1, 2.5f, 2, 4, 5, 8}, 3, 2);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(report->reconstruction_mse, 0.375, 1e-12);
  EXPECT_NEAR(report->baseline_mse, 5.666666666666667, 1e-12);
}

TEST(EvaluateReconstructionTest, RejectsMismatchedSizes) {
  EXPECT_FALSE(EvaluateReconstruction({1, 2, 3}, {1, 2, 3}, 2, 2).ok());
  EXPECT_FALSE(EvaluateReconstruction({1, 2, 3, 4}, {1, 2, 3}, 2, 2).ok());
  EXPECT_FALSE(EvaluateReconstruction({}, {}, 0, 2).ok());
  EXPECT_FALSE(EvaluateReconstruction({1, 2}, {1, 2}, 1, 0).ok());
}

TEST(MetricsJsonTest, UsesExactlyTheDocumentedKeys) {
  ClassificationReport classification{0.5, 0.25, 0.75, 0.4, {{1, 0}, {1, 0}}};
  nlohmann::json json = ToJson(classification);
  EXPECT_EQ(json, nlohmann::json::parse(R"({"accuracy": 0.5, "precision_macro": 0.25,
      "recall_macro": 0.75, "f1_macro": 0.4, "confusion_matrix": [[1, 0], [1, 0]]})"));
  EXPECT_EQ(ToJson(RegressionReport{1.5, 0.5, -2.0}),
            nlohmann::json::parse(R"({"mse": 1.5, "mae": 0.5, "r2": -2.0})"));
  EXPECT_EQ(ToJson(ReconstructionReport{0.25, 1.0}),
            nlohmann::json::parse(R"({"reconstruction_mse": 0.25, "baseline_mse": 1.0})"));
}

}  // namespace
}  // namespace aiaas::training
