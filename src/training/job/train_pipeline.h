// Runs a planned training job: encodes the split rows into tensors, builds the model,
// trains it (resuming from a checkpoint when given one), evaluates it on the test
// split and packs it as a native bundle (native_bundle.h). Torch stays inside the .cc:
// callers (the job service) see plain structs.
//
// Threading: RunTraining runs on the calling thread and sets that thread's LibTorch
// intra-op thread count (OpenMP's setting is per thread). Callbacks run on it too.
//
// Usage:
//   AIAAS_ASSIGN_OR_RETURN(TrainingPlan plan, PlanTraining(spec, table));
//   TrainingCallbacks callbacks;
//   callbacks.on_step = [&](const TrainStepReport& step) { return !cancelled(); };
//   TrainingRunResult result = RunTraining(plan, table, TrainingRunOptions{}, callbacks);
#ifndef AIAAS_TRAINING_JOB_TRAIN_PIPELINE_H_
#define AIAAS_TRAINING_JOB_TRAIN_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "training/data/data_table.h"
#include "training/job/training_plan.h"

namespace aiaas::training {

// After every optimizer step; steps and epochs count from 1.
struct TrainStepReport {
  int64_t epoch = 0;
  int64_t epochs = 0;
  int64_t step = 0;  // within the epoch
  int64_t steps_per_epoch = 0;
  double loss = 0.0;  // this batch
  double lr = 0.0;
  double samples_per_s = 0.0;
  double eta_s = 0.0;
};

// After every epoch (validation included).
struct TrainEpochReport {
  int64_t epoch = 0;
  double train_loss = 0.0;
  std::optional<double> val_loss;
  std::optional<double> val_accuracy;  // classification with validation rows
  double lr = 0.0;
  double seconds = 0.0;        // the whole epoch, validation included
  double train_seconds = 0.0;  // the training steps only (see EpochMetrics)
  double samples_per_s = 0.0;  // training samples / train_seconds
};

struct TrainingCallbacks {
  // false stops the run after this step (outcome kStopped). Unset = never stop.
  std::function<bool(const TrainStepReport&)> on_step;
  // `checkpoint`: the opaque bytes that resume the run after this epoch
  // (TrainingRunOptions::resume_checkpoint). A non-OK status fails the run.
  std::function<absl::Status(const TrainEpochReport&, const std::string& checkpoint)>
      on_epoch_end;
};

struct TrainingRunOptions {
  int intra_op_threads = 1;  // >= 1; 1 gives bit-reproducible runs
  // Bytes from on_epoch_end of an earlier run of the same plan: continue after it.
  std::optional<std::string> resume_checkpoint;
  // Copied into the bundle header (e.g. {"dataset", "dataset_version", "job"}).
  nlohmann::json lineage = nlohmann::json::object();
};

struct TrainingRunResult {
  enum class Outcome { kSucceeded, kStopped, kFailed };
  Outcome outcome = Outcome::kFailed;
  absl::Status error;  // kFailed only
  // kSucceeded: the test-split evaluation. classification: accuracy, precision_macro,
  // recall_macro, f1_macro, confusion_matrix, labels; regression: mse, mae, r2 (in the
  // target's units); reconstruction: reconstruction_mse, baseline_mse. Plus test_rows,
  // epochs_completed, stopped_early and best_epoch (when early stopping is on).
  nlohmann::json metrics = nlohmann::json::object();
  std::string bundle;  // kSucceeded: the native bundle's bytes
};

// Never throws: LibTorch errors become kFailed with an Internal status; data or
// checkpoints that do not fit the plan are kFailed with InvalidArgument or DataLoss.
TrainingRunResult RunTraining(const TrainingPlan& plan, const DataTable& table,
                              const TrainingRunOptions& options, TrainingCallbacks& callbacks);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_JOB_TRAIN_PIPELINE_H_
