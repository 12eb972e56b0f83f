#include "training/job/train_job_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace aiaas::training {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json IssueExample() {
  return json::parse(R"({
    "type": "train", "dataset": "digits", "target": "label", "task": "classification",
    "preprocess": {"scale": "standard", "reshape": [1, 8, 8]},
    "model": {"architecture": "cnn"},
    "loss": "cross_entropy", "optimizer": {"name": "adam", "lr": 0.001},
    "epochs": 30, "batch_size": 64, "seed": 7, "split": {"validation": 0.1, "test": 0.2},
    "early_stopping": {"metric": "val_loss", "patience": 5},
    "output_model": "digits-cnn"})");
}

TEST(TrainJobSpecTest, ParsesTheIssueExample) {
  absl::StatusOr<TrainJobSpec> spec = ParseTrainJobSpec(IssueExample());
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->dataset, "digits");
  EXPECT_EQ(spec->dataset_version, 0);
  EXPECT_EQ(spec->target, "label");
  EXPECT_EQ(spec->task, Task::kClassification);
  EXPECT_EQ(spec->model.architecture, Architecture::kCnn);
  EXPECT_EQ(spec->optimization.epochs, 30);
  EXPECT_EQ(spec->optimization.batch_size, 64);
  EXPECT_EQ(spec->optimization.seed, 7u);
  EXPECT_EQ(spec->optimization.loss.kind, LossKind::kCrossEntropy);
  ASSERT_TRUE(spec->preprocess.reshape.has_value());
  EXPECT_DOUBLE_EQ(spec->validation_fraction, 0.1);
  EXPECT_DOUBLE_EQ(spec->test_fraction, 0.2);
  EXPECT_EQ(spec->output_model, "digits-cnn");
  EXPECT_EQ(spec->model_json, IssueExample()["model"]);
}

TEST(TrainJobSpecTest, NamesEveryUnknownKey) {
  json spec = IssueExample();
  spec["epoch"] = 3;
  spec["optimiser"] = "sgd";
  absl::Status status = ParseTrainJobSpec(spec).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("\"epoch\", \"optimiser\""));
}

TEST(TrainJobSpecTest, DefaultsTheLossToTheTask) {
  json spec = IssueExample();
  spec.erase("loss");
  EXPECT_EQ(ParseTrainJobSpec(spec)->optimization.loss.kind, LossKind::kCrossEntropy);
  spec["task"] = "regression";
  spec["model"] = {{"architecture", "mlp"}};
  EXPECT_EQ(ParseTrainJobSpec(spec)->optimization.loss.kind, LossKind::kMse);
  spec["task"] = "reconstruction";
  spec["model"] = {{"architecture", "vae"}};
  EXPECT_EQ(ParseTrainJobSpec(spec)->optimization.loss.kind, LossKind::kElbo);
}

TEST(TrainJobSpecTest, RejectsBadFields) {
  struct Case {
    const char* key;
    json value;
    const char* message;
  };
  const Case cases[] = {
      {"task", "clustering", "task: expected one of"},
      {"dataset", 3, "dataset: expected a non-empty string"},
      {"dataset_version", -1, "dataset_version"},
      {"output_model", "Bad Name", "output_model"},
      {"split", {{"test", 0.0}}, "split.test: must be > 0"},
      {"split", {{"validation", 0.5}, {"test", 0.5}}, "validation + test"},
      {"split", {{"train", 0.5}}, "unknown key \"train\""},
      {"init", "glorot", "glorot"},
      {"model", nullptr, "model: required"},
      {"optimizer", {{"name", "adamax"}}, "adamax"},
  };
  for (const Case& c : cases) {
    json spec = IssueExample();
    spec[c.key] = c.value;
    absl::Status status = ParseTrainJobSpec(spec).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.key;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.key;
  }
}

TEST(TrainJobSpecTest, TargetIsRequiredExceptForReconstruction) {
  json spec = IssueExample();
  spec.erase("target");
  EXPECT_THAT(ParseTrainJobSpec(spec).status().message(), HasSubstr("target: required"));
  spec["task"] = "reconstruction";
  spec["loss"] = "mse";
  spec["model"] = {{"architecture", "autoencoder"}};
  EXPECT_TRUE(ParseTrainJobSpec(spec).ok());
}

TEST(TrainJobSpecTest, EarlyStoppingOnValidationNeedsValidationRows) {
  json spec = IssueExample();
  spec["split"] = {{"validation", 0.0}, {"test", 0.2}};
  EXPECT_THAT(ParseTrainJobSpec(spec).status().message(), HasSubstr("early_stopping"));
}

}  // namespace
}  // namespace aiaas::training
