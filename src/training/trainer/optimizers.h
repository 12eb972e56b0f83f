// torch::optim optimizers built from an OptimizerSpec, plus the two per-step knobs the
// trainer turns: the learning rate (set on every parameter group before each step, see
// lr_schedule.h) and gradient-norm clipping.
//
// Thread-safety: an optimizer belongs to the thread that trains with it.
#ifndef AIAAS_TRAINING_TRAINER_OPTIMIZERS_H_
#define AIAAS_TRAINING_TRAINER_OPTIMIZERS_H_

#include <torch/optim/optimizer.h>

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "training/trainer/optimization_spec.h"

namespace aiaas::training {

// An optimizer over `parameters` (one parameter group):
//   sgd      torch::optim::SGD(lr, momentum, nesterov, weight_decay as L2), dampening 0
//   adagrad  torch::optim::Adagrad(lr, weight_decay as L2, eps)
//   rmsprop  torch::optim::RMSprop(lr, alpha 0.99, momentum, weight_decay as L2, eps)
//   adam     torch::optim::Adam(lr, betas, eps, weight_decay as L2)
//   adamw    torch::optim::AdamW(lr, betas, eps, decoupled weight_decay)
// InvalidArgument when the spec is inconsistent (ParseOptimizationSpec already rejects
// what it can) or `parameters` is empty.
[[nodiscard]] absl::StatusOr<std::unique_ptr<torch::optim::Optimizer>> MakeOptimizer(
    const OptimizerSpec& spec, std::vector<at::Tensor> parameters);

// optimizer.step(), except for a torch::optim::Adam without amsgrad whose parameters,
// gradients and state are contiguous float32 CPU tensors: that one is updated by a fused
// loop (adam_kernel.h) on the optimizer's own state — created, counted and saved exactly
// as Adam::step does, so SaveOptimizerState/LoadOptimizerState and a plain step() can
// take over at any point. The update equals Adam's up to float rounding in the last bits;
// runs stay deterministic (and resumes bit-identical) with one thread.
void OptimizerStep(torch::optim::Optimizer& optimizer);

// Sets the learning rate of every parameter group.
void SetLearningRate(torch::optim::Optimizer& optimizer, double lr);

// The learning rate of the first parameter group.
double GetLearningRate(const torch::optim::Optimizer& optimizer);

// Scales the gradients of `parameters` in place so that their global L2 norm is at most
// `max_norm` (torch::nn::utils::clip_grad_norm_). Returns the norm before clipping
// (may be non-finite: the caller decides what that means). max_norm <= 0: no-op, 0.
double ClipGradientNorm(const std::vector<at::Tensor>& parameters, double max_norm);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_TRAINER_OPTIMIZERS_H_
