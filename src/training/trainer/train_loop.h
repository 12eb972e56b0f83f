// The training loop: mini-batch training of a TrainableModel with a loss, an optimizer,
// clipping and a learning-rate schedule from an OptimizationSpec, validation after every
// epoch, early stopping, progress reports, cancellation and resumption from a checkpoint.
//
// Threading: Train() runs on the calling thread and blocks until the run ends. It sets
// at::set_num_threads(config.intra_op_threads) on that thread (the OpenMP setting is per
// thread), so the caller — the job runner's worker pool — must run each job on its own
// worker thread and must not share the model with another thread during the run.
// Callbacks are called on the calling thread.
//
// Usage:
//   TrainConfig config;
//   config.spec = *ParseOptimizationSpec(job_json);  // after checking the status
//   config.task = Task::kClassification;
//   TrainCallbacks callbacks;
//   callbacks.on_step = [&](const StepProgress& p) { job.Report(p); return !job.cancelled(); };
//   callbacks.on_epoch_end = [&](const EpochMetrics& m, const TrainState& s) { return
//   job.Checkpoint(m, s); }; TrainResult result = Train(*model, data, config, callbacks,
//   /*resume_from=*/nullptr);
#ifndef AIAAS_TRAINING_TRAINER_TRAIN_LOOP_H_
#define AIAAS_TRAINING_TRAINER_TRAIN_LOOP_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "common/clock.h"
#include "training/model/trainable_model.h"
#include "training/trainer/optimization_spec.h"
#include "training/trainer/train_state.h"

namespace aiaas::training {

// The examples. Inputs are float [N, ...sample shape] matching the model's InputShape().
// Targets: classification int64 class indices [N] (or float [N, C] for bce multi-label /
// kl_div soft labels), regression float [N, 1] (or [N]), reconstruction undefined (the
// input is the target). The validation split is optional (undefined val_inputs = none).
// The trainer only reads the tensors.
struct TrainData {
  at::Tensor train_inputs;
  at::Tensor train_targets;
  at::Tensor val_inputs;
  at::Tensor val_targets;
};

struct TrainConfig {
  OptimizationSpec spec;
  Task task = Task::kRegression;
  // at::set_num_threads for the calling thread; >= 1. 1 makes runs bit-reproducible.
  int intra_op_threads = 1;
  // Times epochs and steps for the progress report; nullptr = RealClock::Get(). Not owned;
  // must outlive the Train() call.
  Clock* clock = nullptr;
};

// Reported after every optimizer step. Steps and epochs are numbered from 1.
struct StepProgress {
  int64_t epoch = 0;
  int64_t epochs = 0;  // total epochs of the run
  int64_t step = 0;    // within the epoch
  int64_t steps_per_epoch = 0;
  int64_t global_step = 0;     // optimizer steps since the run began (resumes included)
  double loss = 0.0;           // this batch's loss
  double lr = 0.0;             // learning rate used for this step
  double samples_per_s = 0.0;  // training throughput since this Train() call began
  double eta_s = 0.0;          // estimated seconds until the last epoch ends
};

// on_step: return false to cancel; Train() then returns at once (after the current
// step, before validation) with outcome kCancelled. Unset = never cancel.
// on_epoch_end: after each epoch's validation and early-stopping update, with the state
// a checkpoint needs (see checkpoint.h). A non-OK status ends the run as kFailed with
// that status. Unset = nothing to do.
struct TrainCallbacks {
  std::function<bool(const StepProgress&)> on_step;
  std::function<absl::Status(const EpochMetrics&, const TrainState&)> on_epoch_end;
};

enum class TrainOutcome {
  kSucceeded,  // all epochs done, or stopped early by the early-stopping rule
  kCancelled,  // on_step returned false
  kFailed,     // see TrainResult::error
};

struct TrainResult {
  TrainOutcome outcome = TrainOutcome::kFailed;
  // kFailed only: InvalidArgument for data, spec or checkpoint that do not fit the model;
  // FailedPrecondition "loss became NaN at epoch 3 step 17; try a lower learning rate"
  // when training diverged; Internal for a torch error; or on_epoch_end's status.
  absl::Status error;
  bool stopped_early = false;
  int64_t best_epoch = 0;  // early stopping only: the epoch whose weights the model holds
  int64_t epochs_completed = 0;
  int64_t global_step = 0;
  std::vector<EpochMetrics> history;  // every completed epoch, resumed ones included
};

// Trains `model` in place. With resume_from (a state from on_epoch_end or
// DeserializeTrainState of this model spec) the run continues after
// resume_from->epochs_completed with the saved weights, optimizer state, schedule
// position and early-stopping bookkeeping; with intra_op_threads == 1 the result is
// bit-identical to a run that was never interrupted.
//
// Early stopping: when the spec enables it, the model ends with the weights of the best
// epoch (by the chosen metric) whether patience ran out or the epochs did; a cancelled or
// failed run leaves the weights of its last step.
//
// The shuffle order of epoch e is a permutation drawn from a generator seeded with
// (spec.seed, e), so it does not depend on other jobs or on the global torch RNG. Layers
// that draw from the global RNG (dropout) make runs and resumes non-reproducible.
TrainResult Train(TrainableModel& model, const TrainData& data, const TrainConfig& config,
                  TrainCallbacks& callbacks, const TrainState* resume_from);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_TRAINER_TRAIN_LOOP_H_
