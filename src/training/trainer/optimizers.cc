#include "training/trainer/optimizers.h"

#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adagrad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aiaas::training {

absl::StatusOr<std::unique_ptr<torch::optim::Optimizer>> MakeOptimizer(
    const OptimizerSpec& spec, std::vector<at::Tensor> parameters) {
  if (parameters.empty()) return absl::InvalidArgumentError("the model has no parameters to train");
  if (!(spec.lr > 0))
    return absl::InvalidArgumentError(absl::StrCat("optimizer.lr must be > 0, got ", spec.lr));
  if (spec.nesterov && (spec.kind != OptimizerKind::kSgd || spec.momentum <= 0)) {
    return absl::InvalidArgumentError("optimizer.nesterov needs sgd with momentum > 0");
  }
  try {
    switch (spec.kind) {
      case OptimizerKind::kSgd:
        return std::make_unique<torch::optim::SGD>(std::move(parameters),
                                                   torch::optim::SGDOptions(spec.lr)
                                                       .momentum(spec.momentum)
                                                       .nesterov(spec.nesterov)
                                                       .weight_decay(spec.weight_decay));
      case OptimizerKind::kAdagrad:
        return std::make_unique<torch::optim::Adagrad>(
            std::move(parameters),
            torch::optim::AdagradOptions(spec.lr).weight_decay(spec.weight_decay).eps(spec.eps));
      case OptimizerKind::kRmsprop:
        return std::make_unique<torch::optim::RMSprop>(std::move(parameters),
                                                       torch::optim::RMSpropOptions(spec.lr)
                                                           .momentum(spec.momentum)
                                                           .weight_decay(spec.weight_decay)
                                                           .eps(spec.eps));
      case OptimizerKind::kAdam:
        return std::make_unique<torch::optim::Adam>(
            std::move(parameters), torch::optim::AdamOptions(spec.lr)
                                       .betas(std::make_tuple(spec.beta1, spec.beta2))
                                       .eps(spec.eps)
                                       .weight_decay(spec.weight_decay));
      case OptimizerKind::kAdamW:
        return std::make_unique<torch::optim::AdamW>(
            std::move(parameters), torch::optim::AdamWOptions(spec.lr)
                                       .betas(std::make_tuple(spec.beta1, spec.beta2))
                                       .eps(spec.eps)
                                       .weight_decay(spec.weight_decay));
    }
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("optimizer: ", e.what_without_backtrace()));
  }
  return absl::InvalidArgumentError("unknown optimizer");
}

void SetLearningRate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

double GetLearningRate(const torch::optim::Optimizer& optimizer) {
  return optimizer.param_groups().empty() ? 0.0
                                          : optimizer.param_groups().front().options().get_lr();
}

double ClipGradientNorm(const std::vector<at::Tensor>& parameters, double max_norm) {
  if (max_norm <= 0) return 0.0;
  return torch::nn::utils::clip_grad_norm_(parameters, max_norm);
}

}  // namespace aiaas::training
