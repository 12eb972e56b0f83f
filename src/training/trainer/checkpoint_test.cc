#include "training/trainer/checkpoint.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/trainer/optimizers.h"
#include "training/trainer/test_models.h"
#include "training/trainer/train_loop.h"

namespace aiaas::training {
namespace {

using testing::BlobsData;
using ::testing::HasSubstr;
using testing::LinearModel;
using testing::Mlp;
using testing::RegressionData;

bool SameWeights(const std::vector<NamedTensor>& a, const std::vector<NamedTensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || !at::equal(a[i].value, b[i].value)) return false;
  }
  return true;
}

// A run that keeps the checkpoint bytes and the weights after every epoch.
struct Recorder {
  std::vector<std::string> checkpoints;
  std::vector<std::vector<NamedTensor>> weights;
  TrainCallbacks callbacks;
  Recorder() {
    callbacks.on_epoch_end = [this](const EpochMetrics&, const TrainState& state) -> absl::Status {
      absl::StatusOr<std::string> bytes = SerializeTrainState(state);
      if (!bytes.ok()) return bytes.status();
      checkpoints.push_back(*std::move(bytes));
      weights.push_back(state.model_weights);
      return absl::OkStatus();
    };
  }
};

TrainConfig ResumeConfig(OptimizerKind optimizer, double lr) {
  TrainConfig config;
  config.task = Task::kClassification;
  config.spec.loss.kind = LossKind::kCrossEntropy;
  config.spec.optimizer.kind = optimizer;
  config.spec.optimizer.lr = lr;
  if (optimizer == OptimizerKind::kSgd || optimizer == OptimizerKind::kRmsprop)
    config.spec.optimizer.momentum = 0.9;
  config.spec.optimizer.nesterov = optimizer == OptimizerKind::kSgd;
  if (optimizer == OptimizerKind::kAdamW) config.spec.optimizer.weight_decay = 0.01;
  config.spec.gradient_clip_max_norm = 1.0;
  config.spec.lr_schedule.kind = ScheduleKind::kWarmup;
  config.spec.lr_schedule.warmup_steps = 5;
  config.spec.lr_schedule.then = ScheduleKind::kCosine;
  config.spec.epochs = 3;
  config.spec.batch_size = 16;
  config.spec.seed = 11;
  config.spec.early_stopping =
      EarlyStoppingSpec{EarlyStoppingMetric::kValLoss, /*patience=*/10, /*min_delta=*/0.0};
  return config;
}

class ResumeEachOptimizer : public ::testing::TestWithParam<OptimizerKind> {};

// The contract the job relies on after a crash: resuming from the checkpoint of epoch k
// gives bit-identical weights, history and optimizer behaviour to a run never stopped.
TEST_P(ResumeEachOptimizer, ResumingFromEpochOneEqualsAnUninterruptedRun) {
  const TrainData data = BlobsData(80, 24);
  const TrainConfig config =
      ResumeConfig(GetParam(), GetParam() == OptimizerKind::kRmsprop ? 0.005 : 0.05);
  Mlp uninterrupted(2, 8, 3);
  Recorder full;
  TrainResult full_result = Train(uninterrupted, data, config, full.callbacks, nullptr);
  ASSERT_EQ(full_result.outcome, TrainOutcome::kSucceeded) << full_result.error;
  ASSERT_EQ(full.checkpoints.size(), 3u);

  Mlp resumed(2, 8, 3);  // other initial weights: everything must come from the checkpoint
  absl::StatusOr<TrainState> state = DeserializeTrainState(full.checkpoints[0], resumed);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->epochs_completed, 1);
  EXPECT_EQ(state->global_step, 5);  // ceil(80 / 16)
  EXPECT_TRUE(SameWeights(SnapshotWeights(resumed), full.weights[0]));
  Recorder rest;
  TrainResult rest_result = Train(resumed, data, config, rest.callbacks, &*state);
  ASSERT_EQ(rest_result.outcome, TrainOutcome::kSucceeded) << rest_result.error;
  ASSERT_EQ(rest.weights.size(), 2u);
  EXPECT_TRUE(SameWeights(rest.weights[0], full.weights[1])) << "weights after epoch 2 differ";
  EXPECT_TRUE(SameWeights(rest.weights[1], full.weights[2])) << "weights after epoch 3 differ";
  EXPECT_TRUE(SameWeights(SnapshotWeights(resumed), SnapshotWeights(uninterrupted)));
  ASSERT_EQ(rest_result.history.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(rest_result.history[i].train_loss, full_result.history[i].train_loss);
    EXPECT_EQ(rest_result.history[i].val_loss, full_result.history[i].val_loss);
    EXPECT_EQ(rest_result.history[i].lr, full_result.history[i].lr);
  }
  EXPECT_EQ(rest_result.best_epoch, full_result.best_epoch);
  EXPECT_EQ(rest_result.global_step, full_result.global_step);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, ResumeEachOptimizer,
                         ::testing::Values(OptimizerKind::kSgd, OptimizerKind::kAdagrad,
                                           OptimizerKind::kRmsprop, OptimizerKind::kAdam,
                                           OptimizerKind::kAdamW),
                         [](const ::testing::TestParamInfo<OptimizerKind>& info) {
                           return std::string(OptimizerKindName(info.param));
                         });

TEST(CheckpointTest, ResumeWithAnotherBatchSizeIsRejected) {
  const TrainData data = BlobsData(80, 24);
  TrainConfig config = ResumeConfig(OptimizerKind::kAdam, 0.05);
  Mlp model(2, 8, 3);
  Recorder recorder;
  ASSERT_EQ(Train(model, data, config, recorder.callbacks, nullptr).outcome,
            TrainOutcome::kSucceeded);
  Mlp resumed(2, 8, 3);
  absl::StatusOr<TrainState> state = DeserializeTrainState(recorder.checkpoints[0], resumed);
  ASSERT_TRUE(state.ok()) << state.status();
  config.spec.batch_size = 32;
  TrainCallbacks none;
  TrainResult result = Train(resumed, data, config, none, &*state);
  EXPECT_EQ(result.outcome, TrainOutcome::kFailed);
  EXPECT_EQ(result.error.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.error.message()), HasSubstr("does not fit this run"));
}

TEST(CheckpointTest, ResumingAFinishedRunOnlyRestoresTheBestWeights) {
  // Validation that disagrees with training: best at epoch 1, patience 1 stops after epoch 2.
  TrainData data = RegressionData(64, 32);
  data.val_targets = -data.val_targets;
  TrainConfig config;
  config.task = Task::kRegression;
  config.spec.optimizer.kind = OptimizerKind::kSgd;
  config.spec.optimizer.lr = 0.05;
  config.spec.epochs = 10;
  config.spec.batch_size = 16;
  config.spec.early_stopping =
      EarlyStoppingSpec{EarlyStoppingMetric::kValLoss, /*patience=*/1, /*min_delta=*/0.0};
  LinearModel model(3, 1);
  {
    at::NoGradGuard no_grad;
    model.linear()->weight.zero_();
    model.linear()->bias.zero_();
  }
  Recorder recorder;
  TrainResult first = Train(model, data, config, recorder.callbacks, nullptr);
  ASSERT_EQ(first.outcome, TrainOutcome::kSucceeded) << first.error;
  ASSERT_TRUE(first.stopped_early);
  ASSERT_EQ(recorder.checkpoints.size(), 2u);

  LinearModel resumed(3, 1);
  absl::StatusOr<TrainState> state = DeserializeTrainState(recorder.checkpoints.back(), resumed);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(state->early_stopping.stopped);
  int steps = 0;
  TrainCallbacks counting;
  counting.on_step = [&](const StepProgress&) { return ++steps > 0; };
  TrainResult again = Train(resumed, data, config, counting, &*state);
  ASSERT_EQ(again.outcome, TrainOutcome::kSucceeded) << again.error;
  EXPECT_EQ(steps, 0);
  EXPECT_TRUE(again.stopped_early);
  EXPECT_EQ(again.best_epoch, 1);
  EXPECT_TRUE(SameWeights(SnapshotWeights(resumed), recorder.weights[0]));
  EXPECT_TRUE(SameWeights(SnapshotWeights(resumed), SnapshotWeights(model)));
}

TEST(CheckpointTest, RoundTripKeepsEveryField) {
  Mlp model(2, 4, 3);
  TrainState state;
  state.epochs_completed = 2;
  state.global_step = 14;
  state.model_weights = SnapshotWeights(model);
  state.best_weights = SnapshotWeights(model);
  state.optimizer_state = std::string("opt\0state", 9);
  state.early_stopping = EarlyStoppingState{0.25, 1, 1, false};
  EpochMetrics first{1, 0.9, 0.8, 0.5, 0.01, 1.5};
  EpochMetrics second{2, 0.7, std::nullopt, std::nullopt, 0.005, 2.5};
  state.history = {first, second};
  absl::StatusOr<std::string> bytes = SerializeTrainState(state);
  ASSERT_TRUE(bytes.ok()) << bytes.status();

  Mlp other(2, 4, 3);
  absl::StatusOr<TrainState> back = DeserializeTrainState(*bytes, other);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->epochs_completed, 2);
  EXPECT_EQ(back->global_step, 14);
  EXPECT_EQ(back->optimizer_state, state.optimizer_state);
  EXPECT_EQ(back->early_stopping.best_metric, 0.25);
  EXPECT_EQ(back->early_stopping.best_epoch, 1);
  EXPECT_EQ(back->early_stopping.bad_epochs, 1);
  EXPECT_FALSE(back->early_stopping.stopped);
  EXPECT_TRUE(SameWeights(back->model_weights, state.model_weights));
  EXPECT_TRUE(SameWeights(back->best_weights, state.best_weights));
  EXPECT_TRUE(SameWeights(SnapshotWeights(other), state.model_weights));  // loaded into the model
  ASSERT_EQ(back->history.size(), 2u);
  EXPECT_EQ(back->history[0].val_loss, 0.8);
  EXPECT_EQ(back->history[0].val_accuracy, 0.5);
  EXPECT_EQ(back->history[1].epoch, 2);
  EXPECT_EQ(back->history[1].train_loss, 0.7);
  EXPECT_FALSE(back->history[1].val_loss.has_value());
  EXPECT_EQ(back->history[1].seconds, 2.5);
}

TEST(CheckpointTest, CorruptBytesAreAnErrorNotACrash) {
  LinearModel model(3, 1);
  TrainState state;
  state.model_weights = SnapshotWeights(model);
  absl::StatusOr<std::string> bytes = SerializeTrainState(state);
  ASSERT_TRUE(bytes.ok());
  const std::vector<NamedTensor> before = SnapshotWeights(model);

  std::vector<std::string> bad = {"", "AIAAS", std::string(100, 'x'),
                                  bytes->substr(0, bytes->size() / 2), *bytes + "extra"};
  for (size_t i = 0; i < bytes->size(); i += 97) {
    std::string flipped = *bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    bad.push_back(flipped);
  }
  for (const std::string& blob : bad) {
    absl::StatusOr<TrainState> back = DeserializeTrainState(blob, model);
    EXPECT_FALSE(back.ok()) << "blob of " << blob.size() << " bytes";
  }
  EXPECT_TRUE(SameWeights(SnapshotWeights(model), before));

  std::string newer = *bytes;
  newer[8] = 99;  // format version
  EXPECT_EQ(DeserializeTrainState(newer, model).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DeserializeTrainState(bytes->substr(0, 40), model).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CheckpointTest, WeightsOfAnotherModelAreRejected) {
  Mlp small(2, 4, 3);
  TrainState state;
  state.model_weights = SnapshotWeights(small);
  absl::StatusOr<std::string> bytes = SerializeTrainState(state);
  ASSERT_TRUE(bytes.ok());
  Mlp wider(2, 5, 3);
  absl::StatusOr<TrainState> back = DeserializeTrainState(*bytes, wider);
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(back.status().message()), HasSubstr("fc1.weight"));
  LinearModel linear(2, 3);
  EXPECT_EQ(DeserializeTrainState(*bytes, linear).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CheckpointTest, OptimizerStateOfAnotherOptimizerIsRejected) {
  at::Tensor w = at::zeros({2}).set_requires_grad(true);
  OptimizerSpec adam;
  adam.kind = OptimizerKind::kAdam;
  auto source = MakeOptimizer(adam, {w});
  ASSERT_TRUE(source.ok());
  w.sum().backward();
  (*source)->step();
  absl::StatusOr<std::string> saved = SaveOptimizerState(**source);
  ASSERT_TRUE(saved.ok()) << saved.status();

  OptimizerSpec sgd;
  sgd.kind = OptimizerKind::kSgd;
  auto target = MakeOptimizer(sgd, {w});
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(LoadOptimizerState(*saved, **target).code(), absl::StatusCode::kInvalidArgument);
  at::Tensor v = at::zeros({2}).set_requires_grad(true);
  auto two_params = MakeOptimizer(adam, {w, v});
  ASSERT_TRUE(two_params.ok());
  EXPECT_EQ(LoadOptimizerState(*saved, **two_params).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LoadOptimizerState("junk", **target).code(), absl::StatusCode::kDataLoss);
  auto same = MakeOptimizer(adam, {w});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(LoadOptimizerState(*saved, **same).ok());
}

}  // namespace
}  // namespace aiaas::training
