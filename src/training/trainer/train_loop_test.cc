#include "training/trainer/train_loop.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/trainer/checkpoint.h"
#include "training/trainer/test_models.h"

namespace aiaas::training {
namespace {

using testing::BlobsData;
using testing::FakeVae;
using ::testing::HasSubstr;
using testing::LinearModel;
using testing::Mlp;
using testing::RegressionData;

TrainConfig Config(Task task, LossKind loss, OptimizerKind optimizer, double lr, int64_t epochs,
                   int64_t batch) {
  TrainConfig config;
  config.task = task;
  config.spec.loss.kind = loss;
  config.spec.optimizer.kind = optimizer;
  config.spec.optimizer.lr = lr;
  config.spec.epochs = epochs;
  config.spec.batch_size = batch;
  config.spec.seed = 5;
  return config;
}

// Makes `to` start from the same weights as `from`.
void CopyWeights(const TrainableModel& from, TrainableModel& to) {
  ASSERT_TRUE(LoadWeights(SnapshotWeights(from), to).ok());
}

bool SameWeights(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || !at::equal(a[i].value, b[i].value)) return false;
  }
  return true;
}

TEST(TrainLoopTest, FitsARegressionAndReportsEveryStepAndEpoch) {
  LinearModel model(3, 1);
  TrainData data = RegressionData(200, 50);
  TrainConfig config =
      Config(Task::kRegression, LossKind::kMse, OptimizerKind::kAdam, 0.05, 15, 32);
  std::vector<StepProgress> steps;
  std::vector<EpochMetrics> epochs;
  TrainCallbacks callbacks;
  callbacks.on_step = [&](const StepProgress& p) {
    steps.push_back(p);
    return true;
  };
  callbacks.on_epoch_end = [&](const EpochMetrics& m, const TrainState& state) {
    epochs.push_back(m);
    EXPECT_EQ(state.epochs_completed, m.epoch);
    EXPECT_EQ(state.model_weights.size(), 2u);  // linear.weight, linear.bias
    EXPECT_FALSE(state.optimizer_state.empty());
    return absl::OkStatus();
  };
  TrainResult result = Train(model, data, config, callbacks, nullptr);
  ASSERT_EQ(result.outcome, TrainOutcome::kSucceeded) << result.error;
  EXPECT_EQ(result.epochs_completed, 15);
  EXPECT_EQ(result.global_step, 15 * 7);  // ceil(200 / 32) = 7 steps per epoch
  ASSERT_EQ(steps.size(), 15u * 7);
  EXPECT_EQ(steps.front().epoch, 1);
  EXPECT_EQ(steps.front().step, 1);
  EXPECT_EQ(steps.back().step, 7);
  EXPECT_EQ(steps.back().steps_per_epoch, 7);
  EXPECT_EQ(steps.back().global_step, 105);
  EXPECT_DOUBLE_EQ(steps.back().eta_s, 0.0);
  EXPECT_GT(steps.back().samples_per_s, 0.0);
  ASSERT_EQ(epochs.size(), 15u);
  ASSERT_EQ(result.history.size(), 15u);
  EXPECT_LT(result.history.back().train_loss, result.history.front().train_loss);
  ASSERT_TRUE(result.history.back().val_loss.has_value());
  EXPECT_LT(*result.history.back().val_loss, 0.01);
  EXPECT_FALSE(result.history.back().val_accuracy.has_value());
  EXPECT_DOUBLE_EQ(result.history.back().lr, 0.05);
}

TEST(TrainLoopTest, ClassificationReportsValidationAccuracy) {
  Mlp model(2, 16, 3);
  TrainConfig config =
      Config(Task::kClassification, LossKind::kCrossEntropy, OptimizerKind::kAdam, 0.02, 10, 32);
  TrainCallbacks callbacks;
  TrainResult result = Train(model, BlobsData(300, 90), config, callbacks, nullptr);
  ASSERT_EQ(result.outcome, TrainOutcome::kSucceeded) << result.error;
  ASSERT_TRUE(result.history.back().val_accuracy.has_value());
  EXPECT_GT(*result.history.back().val_accuracy, 0.9);
}

TEST(TrainLoopTest, ElboTrainsAVaeAndIsRejectedForOtherModels) {
  FakeVae vae(4, 2);
  TrainData data;
  data.train_inputs = at::rand({64, 4}, testing::TestGenerator(3));
  TrainConfig config =
      Config(Task::kReconstruction, LossKind::kElbo, OptimizerKind::kAdam, 0.01, 5, 16);
  TrainCallbacks callbacks;
  TrainResult result = Train(vae, data, config, callbacks, nullptr);
  ASSERT_EQ(result.outcome, TrainOutcome::kSucceeded) << result.error;
  EXPECT_LT(result.history.back().train_loss, result.history.front().train_loss);

  LinearModel autoencoder(4, 4);
  result = Train(autoencoder, data, config, callbacks, nullptr);
  ASSERT_EQ(result.outcome, TrainOutcome::kFailed);
  EXPECT_EQ(result.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.error.message()), HasSubstr("needs a VAE"));
}

TEST(TrainLoopTest, SameSeedGivesIdenticalLossCurves) {
  Mlp first(3, 8, 1);
  Mlp second(3, 8, 1);
  CopyWeights(first, second);
  Mlp third(3, 8, 1);
  CopyWeights(first, third);
  TrainData data = RegressionData(100, 20);
  TrainConfig config = Config(Task::kRegression, LossKind::kMse, OptimizerKind::kSgd, 0.05, 4, 16);
  TrainCallbacks callbacks;
  TrainResult a = Train(first, data, config, callbacks, nullptr);
  TrainResult b = Train(second, data, config, callbacks, nullptr);
  config.spec.seed = 6;
  TrainResult c = Train(third, data, config, callbacks, nullptr);
  ASSERT_EQ(a.outcome, TrainOutcome::kSucceeded) << a.error;
  ASSERT_EQ(a.history.size(), b.history.size());
  for (size_t i = 0; i < a.history.size(); ++i) {
    EXPECT_EQ(a.history[i].train_loss, b.history[i].train_loss) << "epoch " << i + 1;
    EXPECT_EQ(*a.history[i].val_loss, *b.history[i].val_loss) << "epoch " << i + 1;
  }
  EXPECT_TRUE(SameWeights(SnapshotWeights(first), SnapshotWeights(second)));
  EXPECT_NE(a.history.back().train_loss, c.history.back().train_loss);  // another order
}

TEST(TrainLoopTest, CancelFromOnStepStopsWithinOneStep) {
  LinearModel model(3, 1);
  TrainConfig config = Config(Task::kRegression, LossKind::kMse, OptimizerKind::kSgd, 0.01, 5, 10);
  int calls = 0;
  bool epoch_ended = false;
  TrainCallbacks callbacks;
  callbacks.on_step = [&](const StepProgress&) { return ++calls < 3; };
  callbacks.on_epoch_end = [&](const EpochMetrics&, const TrainState&) {
    epoch_ended = true;
    return absl::OkStatus();
  };
  TrainResult result = Train(model, RegressionData(100, 10), config, callbacks, nullptr);
  EXPECT_EQ(result.outcome, TrainOutcome::kCancelled);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(result.global_step, 3);
  EXPECT_EQ(result.epochs_completed, 0);
  EXPECT_FALSE(epoch_ended);
}

TEST(TrainLoopTest, DivergingLossFailsWithAClearError) {
  LinearModel model(3, 1);
  TrainData data = RegressionData(64, 0);
  data.train_inputs = data.train_inputs * 1000;
  TrainConfig config = Config(Task::kRegression, LossKind::kMse, OptimizerKind::kSgd, 1e6, 5, 8);
  TrainCallbacks callbacks;
  TrainResult result = Train(model, data, config, callbacks, nullptr);
  ASSERT_EQ(result.outcome, TrainOutcome::kFailed);
  EXPECT_THAT(std::string(result.error.message()), HasSubstr("loss became"));
  EXPECT_THAT(std::string(result.error.message()), HasSubstr("at epoch 1 step"));
  EXPECT_THAT(std::string(result.error.message()), HasSubstr("try a lower learning rate"));
}

TEST(TrainLoopTest, EarlyStoppingStopsAndRestoresTheBestWeights) {
  // Training pulls the weights towards y = x . w while validation wants the opposite sign,
  // so validation loss is best after epoch 1 and only grows afterwards.
  LinearModel model(3, 1);
  {
    at::NoGradGuard no_grad;
    model.linear()->weight.zero_();
    model.linear()->bias.zero_();
  }
  TrainData data = RegressionData(64, 32);
  data.val_targets = -data.val_targets;
  TrainConfig config = Config(Task::kRegression, LossKind::kMse, OptimizerKind::kSgd, 0.05, 20, 16);
  config.spec.early_stopping =
      EarlyStoppingSpec{EarlyStoppingMetric::kValLoss, /*patience=*/2, /*min_delta=*/0.0};
  std::vector<std::vector<NamedTensor>> weights_per_epoch;
  TrainCallbacks callbacks;
  callbacks.on_epoch_end = [&](const EpochMetrics&, const TrainState& state) {
    weights_per_epoch.push_back(state.model_weights);
    return absl::OkStatus();
  };
  TrainResult result = Train(model, data, config, callbacks, nullptr);
  ASSERT_EQ(result.outcome, TrainOutcome::kSucceeded) << result.error;
  EXPECT_TRUE(result.stopped_early);
  EXPECT_EQ(result.epochs_completed, 3);  // best at 1, then 2 bad epochs
  EXPECT_EQ(result.best_epoch, 1);
  ASSERT_EQ(weights_per_epoch.size(), 3u);
  EXPECT_TRUE(SameWeights(SnapshotWeights(model), weights_per_epoch[0]));
  EXPECT_FALSE(SameWeights(SnapshotWeights(model), weights_per_epoch[2]));
}

TEST(TrainLoopTest, EarlyStoppingOnAccuracyWaitsForPatience) {
  Mlp model(2, 8, 3);
  TrainConfig config =
      Config(Task::kClassification, LossKind::kCrossEntropy, OptimizerKind::kAdam, 0.05, 30, 32);
  config.spec.early_stopping =
      EarlyStoppingSpec{EarlyStoppingMetric::kValAccuracy, /*patience=*/3, /*min_delta=*/0.0};
  TrainCallbacks callbacks;
  TrainResult result = Train(model, BlobsData(200, 60), config, callbacks, nullptr);
  ASSERT_EQ(result.outcome, TrainOutcome::kSucceeded) << result.error;
  ASSERT_TRUE(result.stopped_early);  // accuracy saturates long before 30 epochs
  EXPECT_EQ(result.epochs_completed, result.best_epoch + 3);
  double best = 0;
  for (const EpochMetrics& m : result.history) best = std::max(best, *m.val_accuracy);
  EXPECT_EQ(*result.history[result.best_epoch - 1].val_accuracy, best);
}

TEST(TrainLoopTest, MisfitsFailBeforeTraining) {
  TrainCallbacks callbacks;
  int steps = 0;
  callbacks.on_step = [&](const StepProgress&) { return ++steps > 0; };
  auto fails = [&](TrainableModel& model, const TrainData& data, const TrainConfig& config,
                   const char* message) {
    TrainResult result = Train(model, data, config, callbacks, nullptr);
    EXPECT_EQ(result.outcome, TrainOutcome::kFailed);
    EXPECT_EQ(result.error.code(), absl::StatusCode::kInvalidArgument) << result.error;
    EXPECT_THAT(std::string(result.error.message()), HasSubstr(message));
  };
  LinearModel four_inputs(4, 1);
  TrainConfig regression =
      Config(Task::kRegression, LossKind::kMse, OptimizerKind::kAdam, 0.01, 1, 8);
  fails(four_inputs, RegressionData(16, 0), regression, "do not fit the model input [N, 4]");

  LinearModel model(3, 1);
  TrainConfig classification = regression;
  classification.task = Task::kClassification;
  fails(model, RegressionData(16, 0), classification, "does not fit a classification task");

  TrainConfig ce_on_regression = regression;
  ce_on_regression.spec.loss.kind = LossKind::kCrossEntropy;
  fails(model, RegressionData(16, 0), ce_on_regression, "does not fit a regression task");

  TrainConfig accuracy_on_regression = regression;
  accuracy_on_regression.spec.early_stopping =
      EarlyStoppingSpec{EarlyStoppingMetric::kValAccuracy, 2, 0.0};
  fails(model, RegressionData(16, 8), accuracy_on_regression,
        "val_accuracy needs a classification task");

  TrainConfig val_loss_without_validation = regression;
  val_loss_without_validation.spec.early_stopping = EarlyStoppingSpec{};
  fails(model, RegressionData(16, 0), val_loss_without_validation, "needs a validation split");

  Mlp classifier(2, 4, 3);
  TrainData bad_labels = BlobsData(16, 0);
  bad_labels.train_targets[0] = 7;
  TrainConfig ce =
      Config(Task::kClassification, LossKind::kCrossEntropy, OptimizerKind::kAdam, 0.01, 1, 16);
  fails(classifier, bad_labels, ce, "class index 7 is out of range for 3 classes");
  EXPECT_EQ(steps, 0);
}

TEST(TrainLoopTest, ProgressAndEpochTimesUseTheInjectedClock) {
  FakeClock clock;
  LinearModel model(3, 1);
  TrainConfig config = Config(Task::kRegression, LossKind::kMse, OptimizerKind::kSgd, 0.01, 2, 10);
  config.clock = &clock;
  std::vector<StepProgress> steps;
  TrainCallbacks callbacks;
  callbacks.on_step = [&](const StepProgress& p) {
    steps.push_back(p);
    clock.Advance(absl::Seconds(1));  // every step "takes" one second
    return true;
  };
  TrainResult result = Train(model, RegressionData(50, 10), config, callbacks, nullptr);
  ASSERT_EQ(result.outcome, TrainOutcome::kSucceeded) << result.error;
  ASSERT_EQ(steps.size(), 10u);
  // At the third step two seconds have passed for 30 samples; 7 of 10 steps remain.
  EXPECT_DOUBLE_EQ(steps[2].samples_per_s, 15.0);
  EXPECT_DOUBLE_EQ(steps[2].eta_s, 2.0 / 3.0 * 7.0);
  EXPECT_EQ(steps[7].epoch, 2);
  EXPECT_EQ(steps[7].step, 3);
  EXPECT_EQ(steps[7].epochs, 2);
  EXPECT_DOUBLE_EQ(result.history[0].seconds, 5.0);
  EXPECT_DOUBLE_EQ(result.history[1].seconds, 5.0);
  // The steps' own time: 50 samples in 5 (fake) seconds.
  EXPECT_DOUBLE_EQ(result.history[0].train_seconds, 5.0);
  EXPECT_DOUBLE_EQ(result.history[1].samples_per_s, 10.0);
}

TEST(TrainLoopTest, SetsIntraOpThreadsOnTheCallingThread) {
  LinearModel model(3, 1);
  TrainConfig config = Config(Task::kRegression, LossKind::kMse, OptimizerKind::kSgd, 0.01, 1, 32);
  config.intra_op_threads = 2;
  int threads_seen = 0;
  TrainCallbacks callbacks;
  callbacks.on_step = [&](const StepProgress&) {
    threads_seen = at::get_num_threads();
    return true;
  };
  ASSERT_EQ(Train(model, RegressionData(32, 0), config, callbacks, nullptr).outcome,
            TrainOutcome::kSucceeded);
  EXPECT_EQ(threads_seen, 2);
  config.intra_op_threads = 1;
  ASSERT_EQ(Train(model, RegressionData(32, 0), config, callbacks, nullptr).outcome,
            TrainOutcome::kSucceeded);
  EXPECT_EQ(threads_seen, 1);
}

TEST(TrainLoopTest, KlDivLearnsSoftLabels) {
  // Distillation: the targets are a teacher's class probabilities.
  TrainData data = BlobsData(120, 30);
  Mlp teacher(2, 8, 3);
  {
    at::NoGradGuard no_grad;
    data.train_targets = at::softmax(teacher.Forward(data.train_inputs).output, 1);
    data.val_targets = at::softmax(teacher.Forward(data.val_inputs).output, 1);
  }
  Mlp student(2, 8, 3);
  TrainConfig config =
      Config(Task::kClassification, LossKind::kKlDiv, OptimizerKind::kAdam, 0.02, 8, 16);
  TrainCallbacks callbacks;
  TrainResult result = Train(student, data, config, callbacks, nullptr);
  ASSERT_EQ(result.outcome, TrainOutcome::kSucceeded) << result.error;
  EXPECT_LT(*result.history.back().val_loss, 0.5 * *result.history.front().val_loss);
  EXPECT_TRUE(result.history.back().val_accuracy.has_value());
}

TEST(TrainLoopTest, EpochEndErrorFailsTheRun) {
  LinearModel model(3, 1);
  TrainCallbacks callbacks;
  callbacks.on_epoch_end = [](const EpochMetrics&, const TrainState&) {
    return absl::UnavailableError("artifact store is down");
  };
  TrainResult result =
      Train(model, RegressionData(32, 0),
            Config(Task::kRegression, LossKind::kMse, OptimizerKind::kAdam, 0.01, 3, 8), callbacks,
            nullptr);
  EXPECT_EQ(result.outcome, TrainOutcome::kFailed);
  EXPECT_EQ(result.error.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(result.epochs_completed, 1);
}

}  // namespace
}  // namespace aiaas::training
