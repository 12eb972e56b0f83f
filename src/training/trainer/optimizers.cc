#include "training/trainer/optimizers.h"

#include <ATen/Parallel.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adagrad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <string>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "training/trainer/adam_kernel.h"

namespace aiaas::training {
namespace {

bool IsDenseFloatCpu(const at::Tensor& t) {
  return t.defined() && t.device().is_cpu() && t.layout() == at::kStrided &&
         t.scalar_type() == at::kFloat && t.is_contiguous();
}

// Adam::step keys a parameter's state by its TensorImpl address, as text.
std::string StateKey(const at::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

// Whether the fused loop can stand in for adam.step() on every parameter.
bool FusedAdamApplies(torch::optim::Adam& adam) {
  for (const auto& group : adam.param_groups()) {
    if (static_cast<const torch::optim::AdamOptions&>(group.options()).amsgrad()) return false;
    for (const auto& p : group.params()) {
      const at::Tensor& grad = p.grad();
      if (!grad.defined()) continue;
      if (!IsDenseFloatCpu(p) || !IsDenseFloatCpu(grad) || grad.numel() != p.numel()) return false;
      auto it = adam.state().find(StateKey(p));
      if (it == adam.state().end()) continue;
      const auto& state = static_cast<const torch::optim::AdamParamState&>(*it->second);
      if (!IsDenseFloatCpu(state.exp_avg()) || !IsDenseFloatCpu(state.exp_avg_sq()) ||
          state.exp_avg().numel() != p.numel() || state.exp_avg_sq().numel() != p.numel()) {
        return false;
      }
    }
  }
  return true;
}

// Adam::step (torch 1.13, amsgrad off) with the elementwise part in one pass.
void FusedAdamStep(torch::optim::Adam& adam) {
  at::NoGradGuard no_grad;
  for (auto& group : adam.param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    const double beta1 = std::get<0>(options.betas());
    const double beta2 = std::get<1>(options.betas());
    for (auto& p : group.params()) {
      const at::Tensor& grad = p.grad();
      if (!grad.defined()) continue;
      std::unique_ptr<torch::optim::OptimizerParamState>& slot = adam.state()[StateKey(p)];
      if (slot == nullptr) {  // as Adam::step initializes it
        auto state = std::make_unique<torch::optim::AdamParamState>();
        state->step(0);
        state->exp_avg(at::zeros_like(p, at::MemoryFormat::Preserve));
        state->exp_avg_sq(at::zeros_like(p, at::MemoryFormat::Preserve));
        slot = std::move(state);
      }
      auto& state = static_cast<torch::optim::AdamParamState&>(*slot);
      state.step(state.step() + 1);
      const double bias_correction1 = 1 - std::pow(beta1, state.step());
      const double bias_correction2 = 1 - std::pow(beta2, state.step());
      AdamStepConstants c;
      c.beta1 = static_cast<float>(beta1);
      c.one_minus_beta1 = static_cast<float>(1 - beta1);
      c.beta2 = static_cast<float>(beta2);
      c.one_minus_beta2 = static_cast<float>(1 - beta2);
      c.bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
      c.eps = static_cast<float>(options.eps());
      c.neg_step_size = static_cast<float>(-(options.lr() / bias_correction1));
      c.weight_decay = static_cast<float>(options.weight_decay());
      float* param = p.data_ptr<float>();
      const float* g = grad.data_ptr<float>();
      float* exp_avg = state.exp_avg().data_ptr<float>();
      float* exp_avg_sq = state.exp_avg_sq().data_ptr<float>();
      // Elementwise, so chunks on the intra-op threads give the same result as one pass
      // (small parameters run inline, as torch's own ops would).
      at::parallel_for(0, p.numel(), at::internal::GRAIN_SIZE, [&](int64_t begin, int64_t end) {
        AdamUpdate(param + begin, g + begin, exp_avg + begin, exp_avg_sq + begin, end - begin, c);
      });
      // As an in-place op would: autograd can tell the parameter changed.
      p.unsafeGetTensorImpl()->bump_version();
    }
  }
}

}  // namespace

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

void OptimizerStep(torch::optim::Optimizer& optimizer) {
  auto* adam = dynamic_cast<torch::optim::Adam*>(&optimizer);
  if (adam != nullptr && FusedAdamApplies(*adam)) {
    FusedAdamStep(*adam);
  } else {
    optimizer.step();
  }
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
