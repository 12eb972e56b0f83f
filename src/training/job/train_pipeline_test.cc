#include "training/job/train_pipeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "training/job/native_bundle.h"
#include "training/job/train_job_spec.h"
#include "training/job/training_plan.h"

namespace aiaas::training {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Column Numeric(const std::string& name, const std::vector<double>& values) {
  Column column;
  column.name = name;
  column.numbers = values;
  column.missing.assign(values.size(), 0);
  return column;
}

Column Strings(const std::string& name, const std::vector<std::string>& values) {
  Column column;
  column.name = name;
  column.kind = ColumnKind::kCategorical;
  column.strings = values;
  column.missing.assign(values.size(), 0);
  return column;
}

// Two Gaussian blobs on either side of the line x0 + x1 = 0, labelled "neg" / "pos".
DataTable Separable(size_t rows) {
  std::mt19937 random(11);
  std::normal_distribution<double> noise(0.0, 0.5);
  std::vector<double> x0, x1;
  std::vector<std::string> label;
  for (size_t i = 0; i < rows; ++i) {
    const bool positive = i % 2 == 0;
    const double center = positive ? 1.5 : -1.5;
    x0.push_back(center + noise(random));
    x1.push_back(center + noise(random));
    label.push_back(positive ? "pos" : "neg");
  }
  DataTable table;
  table.columns = {Numeric("x0", x0), Numeric("x1", x1), Strings("label", label)};
  table.rows = rows;
  return table;
}

// y = 3 x - 2 with a little noise, plus an unrelated column.
DataTable Line(size_t rows) {
  std::mt19937 random(5);
  std::uniform_real_distribution<double> uniform(-2.0, 2.0);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<double> x, other, y;
  for (size_t i = 0; i < rows; ++i) {
    x.push_back(uniform(random));
    other.push_back(uniform(random));
    y.push_back(3.0 * x.back() - 2.0 + noise(random));
  }
  DataTable table;
  table.columns = {Numeric("x", x), Numeric("other", other), Numeric("y", y)};
  table.rows = rows;
  return table;
}

TrainJobSpec Spec(const json& j) {
  absl::StatusOr<TrainJobSpec> spec = ParseTrainJobSpec(j);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

json ClassifierSpec() {
  return {{"dataset", "blobs"},
          {"target", "label"},
          {"task", "classification"},
          {"preprocess", {{"scale", "standard"}}},
          {"model", {{"architecture", "mlp"}, {"hidden", {16}}}},
          {"optimizer", {{"name", "adam"}, {"lr", 0.01}}},
          {"epochs", 15},
          {"batch_size", 16},
          {"seed", 3},
          {"output_model", "blobs"}};
}

TEST(TrainPipelineTest, SeparableClassesReachHighAccuracy) {
  const DataTable table = Separable(300);
  absl::StatusOr<TrainingPlan> plan = PlanTraining(Spec(ClassifierSpec()), table);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->train_rows.size() + plan->validation_rows.size() + plan->test_rows.size(), 300u);
  EXPECT_EQ(plan->test_rows.size(), 60u);
  EXPECT_EQ(plan->build.num_outputs, 2);

  int steps = 0;
  int epochs = 0;
  TrainingCallbacks callbacks;
  callbacks.on_step = [&](const TrainStepReport& step) {
    ++steps;
    EXPECT_EQ(step.epochs, 15);
    return true;
  };
  callbacks.on_epoch_end = [&](const TrainEpochReport& epoch, const std::string& checkpoint) {
    ++epochs;
    EXPECT_TRUE(epoch.val_accuracy.has_value());
    EXPECT_FALSE(checkpoint.empty());
    return absl::OkStatus();
  };
  TrainingRunResult result = RunTraining(*plan, table, TrainingRunOptions{}, callbacks);
  ASSERT_EQ(result.outcome, TrainingRunResult::Outcome::kSucceeded) << result.error;
  EXPECT_EQ(epochs, 15);
  EXPECT_GT(steps, 15 * 10);
  EXPECT_GE(result.metrics["accuracy"].get<double>(), 0.95) << result.metrics.dump();
  EXPECT_EQ(result.metrics["labels"], json({"neg", "pos"}));
  EXPECT_EQ(result.metrics["test_rows"], 60);

  absl::StatusOr<NativeBundle> bundle = DecodeNativeBundle(result.bundle);
  ASSERT_TRUE(bundle.ok()) << bundle.status();
  EXPECT_EQ(bundle->header["task"], "classification");
  EXPECT_EQ(bundle->header["labels"], json({"neg", "pos"}));
  EXPECT_EQ(bundle->header["build"]["input_shape"], json({2}));
  EXPECT_FALSE(bundle->weights.empty());
}

TEST(TrainPipelineTest, RegressionRecoversALine) {
  const DataTable table = Line(400);
  json j = {{"dataset", "line"},
            {"target", "y"},
            {"task", "regression"},
            {"model", {{"architecture", "linear_regression"}}},
            {"optimizer", {{"name", "adam"}, {"lr", 0.05}}},
            {"epochs", 30},
            {"batch_size", 32},
            {"output_model", "line"}};
  absl::StatusOr<TrainingPlan> plan = PlanTraining(Spec(j), table);
  ASSERT_TRUE(plan.ok()) << plan.status();
  TrainingCallbacks callbacks;
  TrainingRunResult result = RunTraining(*plan, table, TrainingRunOptions{}, callbacks);
  ASSERT_EQ(result.outcome, TrainingRunResult::Outcome::kSucceeded) << result.error;
  EXPECT_GT(result.metrics["r2"].get<double>(), 0.99) << result.metrics.dump();
  EXPECT_LT(result.metrics["mae"].get<double>(), 0.1) << result.metrics.dump();
  absl::StatusOr<NativeBundle> bundle = DecodeNativeBundle(result.bundle);
  ASSERT_TRUE(bundle.ok());
  EXPECT_TRUE(bundle->header.contains("target_scale"));
}

TEST(TrainPipelineTest, StopsWhenAskedAndResumesFromACheckpoint) {
  const DataTable table = Separable(200);
  json j = ClassifierSpec();
  j["epochs"] = 4;
  absl::StatusOr<TrainingPlan> plan = PlanTraining(Spec(j), table);
  ASSERT_TRUE(plan.ok()) << plan.status();

  std::string last_checkpoint;
  int epochs_done = 0;
  TrainingCallbacks first;
  first.on_step = [&](const TrainStepReport& step) { return step.epoch <= 2; };
  first.on_epoch_end = [&](const TrainEpochReport& epoch, const std::string& checkpoint) {
    epochs_done = static_cast<int>(epoch.epoch);
    last_checkpoint = checkpoint;
    return absl::OkStatus();
  };
  TrainingRunResult stopped = RunTraining(*plan, table, TrainingRunOptions{}, first);
  EXPECT_EQ(stopped.outcome, TrainingRunResult::Outcome::kStopped);
  EXPECT_EQ(epochs_done, 2);

  TrainingRunOptions resume;
  resume.resume_checkpoint = last_checkpoint;
  std::vector<int64_t> resumed_epochs;
  TrainingCallbacks second;
  second.on_epoch_end = [&](const TrainEpochReport& epoch, const std::string&) {
    resumed_epochs.push_back(epoch.epoch);
    return absl::OkStatus();
  };
  TrainingRunResult finished = RunTraining(*plan, table, resume, second);
  ASSERT_EQ(finished.outcome, TrainingRunResult::Outcome::kSucceeded) << finished.error;
  EXPECT_EQ(resumed_epochs, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(finished.metrics["epochs_completed"], 4);

  TrainingRunOptions damaged;
  damaged.resume_checkpoint = last_checkpoint.substr(0, last_checkpoint.size() / 2);
  TrainingRunResult failed = RunTraining(*plan, table, damaged, second);
  EXPECT_EQ(failed.outcome, TrainingRunResult::Outcome::kFailed);
  EXPECT_THAT(failed.error.message(), HasSubstr("checkpoint"));
}

TEST(TrainPipelineTest, RejectsSpecsThatCannotWorkBeforeTraining) {
  const DataTable table = Line(50);
  json wrong_loss = {{"dataset", "line"}, {"target", "y"}, {"task", "regression"},
                     {"loss", "cross_entropy"}, {"model", {{"architecture", "mlp"}}},
                     {"output_model", "line"}};
  absl::Status status = PlanTraining(Spec(wrong_loss), table).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("cross_entropy"));

  json flat_conv = {{"dataset", "line"}, {"target", "y"}, {"task", "regression"},
                    {"model", {{"layers", {{{"type", "conv2d"}, {"filters", 4}, {"kernel", 3}}}}}},
                    {"output_model", "line"}};
  status = PlanTraining(Spec(flat_conv), table).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("conv2d"));
  EXPECT_THAT(status.message(), HasSubstr("[2]"));

  json no_column = wrong_loss;
  no_column["loss"] = "mse";
  no_column["target"] = "z";
  status = PlanTraining(Spec(no_column), table).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("z"));
}

}  // namespace
}  // namespace aiaas::training
