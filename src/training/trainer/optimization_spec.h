// The "how to optimize" part of a training job spec: loss, optimizer, gradient clipping,
// learning-rate schedule, epochs, batch size, seed and early stopping. Parsed from the
// job's JSON once, validated, then handed to the trainer as plain structs. Torch-free, so
// the server can validate a job before it is queued.
//
// Accepted JSON (every field optional; defaults in the structs below):
//   "loss": "mse" | "mae" | "huber" | "cross_entropy" | "bce" | "kl_div" | "elbo"
//           or {"name": "huber", "delta": 1.0}
//   "optimizer": {"name": "sgd"|"adagrad"|"rmsprop"|"adam"|"adamw", "lr": 0.001,
//                 "momentum": 0.9, "nesterov": true, "weight_decay": 0.0,
//                 "betas": [0.9, 0.999], "eps": 1e-8}   (or just the name as a string)
//   "gradient_clip": 1.0  or  {"max_norm": 1.0}
//   "lr_schedule": {"name": "constant"}
//                | {"name": "step", "step_size": 100, "gamma": 0.1}
//                | {"name": "cosine", "min_lr": 0.0}
//                | {"name": "warmup", "warmup_steps": 100,
//                   "then": "constant" | "cosine" | {"name": "step", "step_size": 100, ...}}
//   "epochs": 10, "batch_size": 32, "seed": 0,
//   "early_stopping": {"metric": "val_loss"|"val_accuracy"|"train_loss",
//                      "patience": 5, "min_delta": 0.0}
// Other top-level keys (model, dataset, ...) belong to other parsers and are ignored;
// unknown keys inside the objects above are rejected (they are usually typos).
//
// Whether a loss fits the model's task is checked by CheckLossFitsTask() (losses.h),
// because the Task enum lives with the model seam.
#ifndef AIAAS_TRAINING_TRAINER_OPTIMIZATION_SPEC_H_
#define AIAAS_TRAINING_TRAINER_OPTIMIZATION_SPEC_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"

namespace aiaas::training {

// Loss functions. What each expects from the model and the targets is in losses.h.
enum class LossKind { kMse, kMae, kHuber, kCrossEntropy, kBce, kKlDiv, kElbo };

std::string_view LossKindName(LossKind kind);  // "mse", "cross_entropy", ...

struct LossSpec {
  LossKind kind = LossKind::kMse;
  double huber_delta = 1.0;  // huber only; > 0
};

enum class OptimizerKind { kSgd, kAdagrad, kRmsprop, kAdam, kAdamW };

std::string_view OptimizerKindName(OptimizerKind kind);  // "sgd", "adamw", ...

// Defaults follow PyTorch: lr 0.01 for sgd/adagrad/rmsprop and 0.001 for adam/adamw;
// weight_decay 0 except adamw 0.01; eps 1e-10 for adagrad, 1e-8 otherwise.
// momentum applies to sgd and rmsprop only, nesterov to sgd with momentum > 0 only,
// betas to adam/adamw only; giving one to another optimizer is InvalidArgument.
// weight_decay is L2 added to the gradient, except adamw where it is decoupled.
struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::kAdam;
  double lr = 1e-3;       // > 0
  double momentum = 0.0;  // [0, 1)
  bool nesterov = false;
  double weight_decay = 0.0;  // >= 0
  double beta1 = 0.9;         // [0, 1)
  double beta2 = 0.999;       // [0, 1)
  double eps = 1e-8;          // > 0
};

enum class ScheduleKind { kConstant, kStep, kCosine, kWarmup };

// The learning rate as a function of the optimizer step (0-based, counted over the
// whole run; one step = one mini-batch). Closed forms are in lr_schedule.h.
struct LrScheduleSpec {
  ScheduleKind kind = ScheduleKind::kConstant;
  int64_t step_size = 0;     // step: multiply by gamma every step_size steps (> 0)
  double gamma = 0.1;        // step: (0, 1]
  double min_lr = 0.0;       // cosine: the floor reached at the last step, [0, lr]
  int64_t warmup_steps = 0;  // warmup: linear ramp length in steps (> 0)
  // warmup only: what follows the ramp, kConstant, kStep or kCosine (never kWarmup).
  ScheduleKind then = ScheduleKind::kConstant;
};

enum class EarlyStoppingMetric { kValLoss, kValAccuracy, kTrainLoss };

std::string_view EarlyStoppingMetricName(EarlyStoppingMetric metric);

// Stop after `patience` consecutive epochs in which the metric did not improve on the
// best so far by more than min_delta (loss: lower, accuracy: higher). When training ends
// (stopped early or all epochs done) the weights of the best epoch are restored.
struct EarlyStoppingSpec {
  EarlyStoppingMetric metric = EarlyStoppingMetric::kValLoss;
  int64_t patience = 5;    // >= 1
  double min_delta = 0.0;  // >= 0
};

struct OptimizationSpec {
  LossSpec loss;
  OptimizerSpec optimizer;
  double gradient_clip_max_norm = 0.0;  // 0 = no clipping; else the max L2 norm, > 0
  LrScheduleSpec lr_schedule;
  int64_t epochs = 10;                              // [1, 100000]
  int64_t batch_size = 32;                          // [1, 1048576]
  uint64_t seed = 0;                                // shuffling order; same seed, same order
  std::optional<EarlyStoppingSpec> early_stopping;  // none = train all epochs
};

// Parses the optimization fields of a job spec object. InvalidArgument naming the field
// and the problem for a wrong type, an out-of-range value, an unknown name or key, or a
// combination that cannot work (nesterov without momentum, betas on sgd, ...).
[[nodiscard]] absl::StatusOr<OptimizationSpec> ParseOptimizationSpec(const nlohmann::json& spec);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_TRAINER_OPTIMIZATION_SPEC_H_
