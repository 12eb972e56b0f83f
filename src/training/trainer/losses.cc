#include "training/trainer/losses.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace aiaas::training {
namespace {

std::string Shape(const at::Tensor& t) {
  if (!t.defined()) return "none";
  return absl::StrCat("[", absl::StrJoin(t.sizes().vec(), ", "), "]");
}

absl::Status Invalid(LossKind kind, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("loss ", std::string(LossKindName(kind)), ": ", problem));
}

absl::string_view TaskName(Task task) {
  switch (task) {
    case Task::kClassification:
      return "classification";
    case Task::kRegression:
      return "regression";
    case Task::kReconstruction:
      return "reconstruction";
  }
  return "unknown";
}

// `target` as float with the output's shape when it holds the same number of values per
// sample ([N] for [N, 1]); undefined when it does not fit.
at::Tensor FloatTargetLike(const at::Tensor& output, const at::Tensor& target) {
  if (!target.defined() || target.dim() == 0 || target.size(0) != output.size(0) ||
      target.numel() != output.numel()) {
    return at::Tensor();
  }
  return target.to(output.scalar_type()).reshape(output.sizes());
}

// The value checks (see ComputeLoss): each reads the whole tensor and waits for the result.
absl::Status CheckUnitInterval(LossKind kind, const at::Tensor& reference) {
  if (reference.numel() > 0 &&
      (reference.min().item<double>() < 0 || reference.max().item<double>() > 1)) {
    return Invalid(kind, "targets must lie in [0, 1]");
  }
  return absl::OkStatus();
}

absl::Status CheckClassRange(LossKind kind, int64_t classes, const at::Tensor& target) {
  if (target.numel() == 0) return absl::OkStatus();
  const int64_t lo = target.min().item<int64_t>();
  const int64_t hi = target.max().item<int64_t>();
  if (lo < 0 || hi >= classes) {
    return Invalid(kind, absl::StrCat("class index ", lo < 0 ? lo : hi, " is out of range for ",
                                      classes, " classes"));
  }
  return absl::OkStatus();
}

absl::Status CheckNonNegative(LossKind kind, const at::Tensor& distribution) {
  if (distribution.numel() > 0 && distribution.min().item<double>() < 0) {
    return Invalid(kind, "target probabilities must be >= 0");
  }
  return absl::OkStatus();
}

// Regression-style losses: mse, mae, huber, bce on (output, reference).
absl::StatusOr<at::Tensor> ElementwiseLoss(const LossSpec& spec, const at::Tensor& output,
                                           const at::Tensor& reference, bool check_values) {
  switch (spec.kind) {
    case LossKind::kMse:
      return at::mse_loss(output, reference);
    case LossKind::kMae:
      return at::l1_loss(output, reference);
    case LossKind::kHuber:
      return at::huber_loss(output, reference, at::Reduction::Mean, spec.huber_delta);
    case LossKind::kBce: {
      if (check_values) {
        if (auto status = CheckUnitInterval(spec.kind, reference); !status.ok()) return status;
      }
      return at::binary_cross_entropy_with_logits(output, reference);
    }
    default:
      return Invalid(spec.kind, "not an element-wise loss");
  }
}

absl::Status CheckClassIndices(LossKind kind, const at::Tensor& logits, const at::Tensor& target,
                               bool check_values) {
  if (target.scalar_type() != at::kLong || target.dim() != 1 || target.size(0) != logits.size(0)) {
    return Invalid(kind, absl::StrCat("needs int64 class indices [N] for logits ", Shape(logits),
                                      ", got ", Shape(target), " of ",
                                      std::string(c10::toString(target.scalar_type()))));
  }
  return check_values ? CheckClassRange(kind, logits.size(1), target) : absl::OkStatus();
}

absl::StatusOr<at::Tensor> ClassificationLoss(const LossSpec& spec, const at::Tensor& logits,
                                              const at::Tensor& target, bool check_values) {
  if (logits.dim() != 2) {
    return Invalid(spec.kind, absl::StrCat("needs logits [N, C], got ", Shape(logits)));
  }
  if (!target.defined()) return Invalid(spec.kind, "needs targets");
  switch (spec.kind) {
    case LossKind::kCrossEntropy: {
      if (auto status = CheckClassIndices(spec.kind, logits, target, check_values); !status.ok())
        return status;
      return at::cross_entropy_loss(logits, target);
    }
    case LossKind::kKlDiv: {
      at::Tensor distribution;
      if (target.scalar_type() == at::kLong) {
        if (auto status = CheckClassIndices(spec.kind, logits, target, check_values); !status.ok())
          return status;
        distribution = at::one_hot(target, logits.size(1)).to(logits.scalar_type());
      } else {
        if (!target.sizes().equals(logits.sizes())) {
          return Invalid(spec.kind,
                         absl::StrCat("target distributions must have the logits' shape ",
                                      Shape(logits), ", got ", Shape(target)));
        }
        distribution = target.to(logits.scalar_type());
        if (check_values) {
          if (auto status = CheckNonNegative(spec.kind, distribution); !status.ok()) return status;
        }
      }
      at::Tensor log_probs = at::log_softmax(logits, /*dim=*/1);
      return at::kl_div(log_probs, distribution, at::Reduction::Sum) /
             static_cast<double>(logits.size(0));
    }
    case LossKind::kBce: {
      at::Tensor reference = FloatTargetLike(logits, target);
      if (!reference.defined()) {
        return Invalid(spec.kind,
                       absl::StrCat("targets ", Shape(target), " do not fit logits ", Shape(logits),
                                    " (0/1 per sample for one output, [N, C] for multi-label)"));
      }
      return ElementwiseLoss(spec, logits, reference, check_values);
    }
    default:
      return Invalid(spec.kind, "is not a classification loss");
  }
}

absl::StatusOr<at::Tensor> ElboLoss(const ModelOutput& out, const at::Tensor& input) {
  if (!out.mu.defined() || !out.logvar.defined()) {
    return Invalid(LossKind::kElbo, "needs a VAE (a model that returns mu and logvar)");
  }
  if (!out.output.sizes().equals(input.sizes()) || !out.mu.sizes().equals(out.logvar.sizes()) ||
      out.mu.dim() < 1 || out.mu.size(0) != input.size(0)) {
    return Invalid(LossKind::kElbo, absl::StrCat("shapes do not fit: output ", Shape(out.output),
                                                 ", input ", Shape(input), ", mu ", Shape(out.mu),
                                                 ", logvar ", Shape(out.logvar)));
  }
  const double batch = static_cast<double>(input.size(0));
  at::Tensor reconstruction =
      (out.output - input.to(out.output.scalar_type())).pow(2).sum() / batch;
  at::Tensor kl = -0.5 * (1 + out.logvar - out.mu.pow(2) - out.logvar.exp()).sum() / batch;
  return reconstruction + kl;
}

absl::StatusOr<at::Tensor> ComputeLossUnchecked(const LossSpec& spec, const ModelOutput& out,
                                                const at::Tensor& input, const at::Tensor& target,
                                                bool check_values) {
  const at::Tensor& output = out.output;
  if (!output.defined() || output.dim() < 1) {
    return Invalid(spec.kind, "the model returned no batched output");
  }
  switch (spec.kind) {
    case LossKind::kElbo:
      return ElboLoss(out, input);
    case LossKind::kCrossEntropy:
    case LossKind::kKlDiv:
      return ClassificationLoss(spec, output, target, check_values);
    case LossKind::kMse:
    case LossKind::kMae:
    case LossKind::kHuber:
    case LossKind::kBce: {
      if (!target.defined()) {  // reconstruction: the input is the target
        if (!output.sizes().equals(input.sizes())) {
          return Invalid(spec.kind, absl::StrCat("reconstruction output ", Shape(output),
                                                 " does not match the input ", Shape(input)));
        }
        return ElementwiseLoss(spec, output, input.to(output.scalar_type()), check_values);
      }
      if (spec.kind == LossKind::kBce)
        return ClassificationLoss(spec, output, target, check_values);
      at::Tensor reference = FloatTargetLike(output, target);
      if (!reference.defined()) {
        return Invalid(spec.kind, absl::StrCat("targets ", Shape(target), " do not fit the output ",
                                               Shape(output)));
      }
      return ElementwiseLoss(spec, output, reference, check_values);
    }
  }
  return Invalid(spec.kind, "unknown loss");
}

}  // namespace

absl::Status CheckLossFitsTask(LossKind loss, Task task, bool is_vae) {
  auto reject = [&](absl::string_view advice) {
    return absl::InvalidArgumentError(absl::StrCat("loss ", std::string(LossKindName(loss)),
                                                   " does not fit a ", TaskName(task),
                                                   " task: ", advice));
  };
  if (loss == LossKind::kElbo && !is_vae) {
    return absl::InvalidArgumentError(
        "loss elbo needs a VAE (a model that returns mu and logvar); use mse for an autoencoder");
  }
  switch (task) {
    case Task::kClassification:
      if (loss == LossKind::kCrossEntropy || loss == LossKind::kBce || loss == LossKind::kKlDiv) {
        return absl::OkStatus();
      }
      return reject(
          "regressing on class indices treats classes as ordered numbers; use cross_entropy "
          "(or bce for binary / multi-label, kl_div for soft labels)");
    case Task::kRegression:
      if (loss == LossKind::kMse || loss == LossKind::kMae || loss == LossKind::kHuber) {
        return absl::OkStatus();
      }
      return reject("use mse, mae or huber");
    case Task::kReconstruction:
      if (loss == LossKind::kMse || loss == LossKind::kMae || loss == LossKind::kHuber ||
          loss == LossKind::kBce || loss == LossKind::kElbo) {
        return absl::OkStatus();
      }
      return reject(is_vae ? "use elbo (or mse, mae, huber, bce)" : "use mse, mae, huber or bce");
  }
  return reject("unknown task");
}

absl::StatusOr<at::Tensor> ComputeLoss(const LossSpec& spec, const ModelOutput& out,
                                       const at::Tensor& input, const at::Tensor& target,
                                       bool check_values) {
  try {
    return ComputeLossUnchecked(spec, out, input, target, check_values);
  } catch (const c10::Error& e) {
    return Invalid(spec.kind, e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Invalid(spec.kind, e.what());
  }
}

absl::Status CheckLossTargetValues(const LossSpec& spec, const at::Tensor& sample_output,
                                   const at::Tensor& inputs, const at::Tensor& targets) {
  try {
    const bool class_indices = targets.defined() && targets.scalar_type() == at::kLong &&
                               sample_output.defined() && sample_output.dim() == 2;
    switch (spec.kind) {
      case LossKind::kCrossEntropy:
        if (!class_indices) return absl::OkStatus();  // ComputeLoss reports the misfit
        return CheckClassRange(spec.kind, sample_output.size(1), targets);
      case LossKind::kKlDiv:
        if (class_indices) return CheckClassRange(spec.kind, sample_output.size(1), targets);
        return targets.defined() ? CheckNonNegative(spec.kind, targets) : absl::OkStatus();
      case LossKind::kBce: {
        const at::Tensor& reference = targets.defined() ? targets : inputs;
        return reference.defined() ? CheckUnitInterval(spec.kind, reference) : absl::OkStatus();
      }
      default:
        return absl::OkStatus();
    }
  } catch (const c10::Error& e) {
    return Invalid(spec.kind, e.what_without_backtrace());
  }
}

absl::StatusOr<CorrectCount> CountCorrect(const LossSpec& spec, const at::Tensor& output,
                                          const at::Tensor& target) {
  try {
    if (!output.defined() || output.dim() != 2 || !target.defined() || target.dim() < 1 ||
        target.size(0) != output.size(0)) {
      return Invalid(spec.kind, absl::StrCat("accuracy needs logits [N, C] and N targets, got ",
                                             Shape(output), " and ", Shape(target)));
    }
    CorrectCount result;
    if (spec.kind == LossKind::kBce) {
      at::Tensor reference = FloatTargetLike(output, target);
      if (!reference.defined()) return Invalid(spec.kind, "targets do not fit the output");
      result.correct = (output.gt(0) == reference.gt(0.5)).sum().item<int64_t>();
      result.count = output.numel();
      return result;
    }
    at::Tensor predicted = output.argmax(/*dim=*/1);
    at::Tensor truth =
        target.scalar_type() == at::kLong ? target.reshape({-1}) : target.argmax(/*dim=*/1);
    result.correct = (predicted == truth).sum().item<int64_t>();
    result.count = output.size(0);
    return result;
  } catch (const c10::Error& e) {
    return Invalid(spec.kind, e.what_without_backtrace());
  }
}

}  // namespace aiaas::training
