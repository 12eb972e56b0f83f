#include "training/trainer/optimization_spec.h"

#include <cmath>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace aiaas::training {
namespace {

using nlohmann::json;

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// Rejects keys of `object` that are not in `allowed` (typos would otherwise be silently
// ignored and the user would train with a default they did not ask for).
absl::Status CheckKeys(const json& object, absl::string_view field,
                       std::initializer_list<absl::string_view> allowed) {
  for (const auto& item : object.items()) {
    bool known = false;
    for (absl::string_view key : allowed) known = known || item.key() == key;
    if (!known) {
      return Invalid(field, absl::StrCat("unknown key \"", item.key(),
                                         "\" (allowed: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<double> GetNumber(const json& value, absl::string_view field) {
  if (!value.is_number())
    return Invalid(field, absl::StrCat("must be a number, got ", value.dump()));
  double number = value.get<double>();
  if (!std::isfinite(number)) return Invalid(field, "must be finite");
  return number;
}

absl::StatusOr<int64_t> GetInteger(const json& value, absl::string_view field, int64_t min,
                                   int64_t max) {
  if (!value.is_number_integer()) {
    return Invalid(field, absl::StrCat("must be an integer, got ", value.dump()));
  }
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max)) {
    return Invalid(field, absl::StrCat("must be in [", min, ", ", max, "], got ", value.dump()));
  }
  int64_t number = value.get<int64_t>();
  if (number < min || number > max) {
    return Invalid(field, absl::StrCat("must be in [", min, ", ", max, "], got ", number));
  }
  return number;
}

// A name given either as a string or as {"name": ...}; returns the name.
absl::StatusOr<std::string> GetName(const json& value, absl::string_view field) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object()) {
    auto it = value.find("name");
    if (it == value.end() || !it->is_string()) return Invalid(field, "needs a string \"name\"");
    return it->get<std::string>();
  }
  return Invalid(field,
                 absl::StrCat("must be a name or an object with \"name\", got ", value.dump()));
}

absl::StatusOr<LossSpec> ParseLoss(const json& value) {
  LossSpec loss;
  AIAAS_ASSIGN_OR_RETURN(std::string name, GetName(value, "loss"));
  static constexpr LossKind kAll[] = {LossKind::kMse,          LossKind::kMae, LossKind::kHuber,
                                      LossKind::kCrossEntropy, LossKind::kBce, LossKind::kKlDiv,
                                      LossKind::kElbo};
  bool found = false;
  for (LossKind kind : kAll) {
    if (name == LossKindName(kind)) {
      loss.kind = kind;
      found = true;
    }
  }
  if (!found) {
    return Invalid("loss",
                   absl::StrCat("unknown loss \"", name,
                                "\" (one of mse, mae, huber, cross_entropy, bce, kl_div, elbo)"));
  }
  if (!value.is_object()) return loss;
  if (loss.kind == LossKind::kHuber) {
    AIAAS_RETURN_IF_ERROR(CheckKeys(value, "loss", {"name", "delta"}));
    if (auto it = value.find("delta"); it != value.end()) {
      AIAAS_ASSIGN_OR_RETURN(loss.huber_delta, GetNumber(*it, "loss.delta"));
      if (loss.huber_delta <= 0) return Invalid("loss.delta", "must be > 0");
    }
  } else {
    AIAAS_RETURN_IF_ERROR(CheckKeys(value, "loss", {"name"}));
  }
  return loss;
}

absl::StatusOr<OptimizerSpec> ParseOptimizer(const json& value) {
  OptimizerSpec opt;
  AIAAS_ASSIGN_OR_RETURN(std::string name, GetName(value, "optimizer"));
  if (name == "sgd") {
    opt.kind = OptimizerKind::kSgd;
    opt.lr = 0.01;
  } else if (name == "adagrad") {
    opt.kind = OptimizerKind::kAdagrad;
    opt.lr = 0.01;
    opt.eps = 1e-10;
  } else if (name == "rmsprop") {
    opt.kind = OptimizerKind::kRmsprop;
    opt.lr = 0.01;
  } else if (name == "adam") {
    opt.kind = OptimizerKind::kAdam;
  } else if (name == "adamw") {
    opt.kind = OptimizerKind::kAdamW;
    opt.weight_decay = 0.01;
  } else {
    return Invalid("optimizer", absl::StrCat("unknown optimizer \"", name,
                                             "\" (one of sgd, adagrad, rmsprop, adam, adamw)"));
  }
  if (!value.is_object()) return opt;
  AIAAS_RETURN_IF_ERROR(CheckKeys(
      value, "optimizer", {"name", "lr", "momentum", "nesterov", "weight_decay", "betas", "eps"}));
  if (auto it = value.find("lr"); it != value.end()) {
    AIAAS_ASSIGN_OR_RETURN(opt.lr, GetNumber(*it, "optimizer.lr"));
    if (opt.lr <= 0) return Invalid("optimizer.lr", absl::StrCat("must be > 0, got ", opt.lr));
  }
  const bool momentum_applies =
      opt.kind == OptimizerKind::kSgd || opt.kind == OptimizerKind::kRmsprop;
  if (auto it = value.find("momentum"); it != value.end()) {
    if (!momentum_applies) {
      return Invalid("optimizer.momentum",
                     absl::StrCat("only sgd and rmsprop take momentum, not ", name,
                                  name == "adam" || name == "adamw" ? " (use betas)" : ""));
    }
    AIAAS_ASSIGN_OR_RETURN(opt.momentum, GetNumber(*it, "optimizer.momentum"));
    if (opt.momentum < 0 || opt.momentum >= 1)
      return Invalid("optimizer.momentum", "must be in [0, 1)");
  }
  if (auto it = value.find("nesterov"); it != value.end()) {
    if (!it->is_boolean()) return Invalid("optimizer.nesterov", "must be true or false");
    opt.nesterov = it->get<bool>();
    if (opt.nesterov && opt.kind != OptimizerKind::kSgd) {
      return Invalid("optimizer.nesterov", absl::StrCat("only sgd supports nesterov, not ", name));
    }
    if (opt.nesterov && opt.momentum <= 0) {
      return Invalid("optimizer.nesterov", "nesterov needs momentum > 0");
    }
  }
  if (auto it = value.find("weight_decay"); it != value.end()) {
    AIAAS_ASSIGN_OR_RETURN(opt.weight_decay, GetNumber(*it, "optimizer.weight_decay"));
    if (opt.weight_decay < 0) return Invalid("optimizer.weight_decay", "must be >= 0");
  }
  if (auto it = value.find("betas"); it != value.end()) {
    if (opt.kind != OptimizerKind::kAdam && opt.kind != OptimizerKind::kAdamW) {
      return Invalid("optimizer.betas", absl::StrCat("only adam and adamw take betas, not ", name));
    }
    if (!it->is_array() || it->size() != 2)
      return Invalid("optimizer.betas", "must be [beta1, beta2]");
    AIAAS_ASSIGN_OR_RETURN(opt.beta1, GetNumber((*it)[0], "optimizer.betas[0]"));
    AIAAS_ASSIGN_OR_RETURN(opt.beta2, GetNumber((*it)[1], "optimizer.betas[1]"));
    if (opt.beta1 < 0 || opt.beta1 >= 1 || opt.beta2 < 0 || opt.beta2 >= 1) {
      return Invalid("optimizer.betas", "each beta must be in [0, 1)");
    }
  }
  if (auto it = value.find("eps"); it != value.end()) {
    if (opt.kind == OptimizerKind::kSgd) return Invalid("optimizer.eps", "sgd takes no eps");
    AIAAS_ASSIGN_OR_RETURN(opt.eps, GetNumber(*it, "optimizer.eps"));
    if (opt.eps <= 0) return Invalid("optimizer.eps", "must be > 0");
  }
  return opt;
}

// Fills the fields of one non-warmup schedule from `value` (an object or a bare name).
absl::Status ParsePlainSchedule(const json& value, absl::string_view field, LrScheduleSpec& out,
                                ScheduleKind& kind) {
  AIAAS_ASSIGN_OR_RETURN(std::string name, GetName(value, field));
  if (name == "constant") {
    kind = ScheduleKind::kConstant;
    if (value.is_object()) AIAAS_RETURN_IF_ERROR(CheckKeys(value, field, {"name"}));
  } else if (name == "step") {
    kind = ScheduleKind::kStep;
    if (!value.is_object() || !value.contains("step_size")) {
      return Invalid(field,
                     "the step schedule needs \"step_size\" (optimizer steps between decays)");
    }
    AIAAS_RETURN_IF_ERROR(CheckKeys(value, field, {"name", "step_size", "gamma"}));
    AIAAS_ASSIGN_OR_RETURN(
        out.step_size,
        GetInteger(value["step_size"], absl::StrCat(field, ".step_size"), 1, int64_t{1} << 40));
    if (auto it = value.find("gamma"); it != value.end()) {
      AIAAS_ASSIGN_OR_RETURN(out.gamma, GetNumber(*it, absl::StrCat(field, ".gamma")));
      if (out.gamma <= 0 || out.gamma > 1)
        return Invalid(absl::StrCat(field, ".gamma"), "must be in (0, 1]");
    }
  } else if (name == "cosine") {
    kind = ScheduleKind::kCosine;
    if (value.is_object()) {
      AIAAS_RETURN_IF_ERROR(CheckKeys(value, field, {"name", "min_lr"}));
      if (auto it = value.find("min_lr"); it != value.end()) {
        AIAAS_ASSIGN_OR_RETURN(out.min_lr, GetNumber(*it, absl::StrCat(field, ".min_lr")));
        if (out.min_lr < 0) return Invalid(absl::StrCat(field, ".min_lr"), "must be >= 0");
      }
    }
  } else if (name == "warmup") {
    return Invalid(field, "warmup cannot follow warmup");
  } else {
    return Invalid(field, absl::StrCat("unknown schedule \"", name,
                                       "\" (one of constant, step, cosine, warmup)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<LrScheduleSpec> ParseSchedule(const json& value) {
  LrScheduleSpec schedule;
  AIAAS_ASSIGN_OR_RETURN(std::string name, GetName(value, "lr_schedule"));
  if (name != "warmup") {
    AIAAS_RETURN_IF_ERROR(ParsePlainSchedule(value, "lr_schedule", schedule, schedule.kind));
    return schedule;
  }
  schedule.kind = ScheduleKind::kWarmup;
  if (!value.is_object() || !value.contains("warmup_steps")) {
    return Invalid("lr_schedule", "the warmup schedule needs \"warmup_steps\"");
  }
  AIAAS_RETURN_IF_ERROR(CheckKeys(value, "lr_schedule", {"name", "warmup_steps", "then"}));
  AIAAS_ASSIGN_OR_RETURN(
      schedule.warmup_steps,
      GetInteger(value["warmup_steps"], "lr_schedule.warmup_steps", 1, int64_t{1} << 40));
  if (auto it = value.find("then"); it != value.end()) {
    AIAAS_RETURN_IF_ERROR(ParsePlainSchedule(*it, "lr_schedule.then", schedule, schedule.then));
  }
  return schedule;
}

absl::StatusOr<EarlyStoppingSpec> ParseEarlyStopping(const json& value) {
  EarlyStoppingSpec early;
  if (!value.is_object()) return Invalid("early_stopping", "must be an object");
  AIAAS_RETURN_IF_ERROR(CheckKeys(value, "early_stopping", {"metric", "patience", "min_delta"}));
  if (auto it = value.find("metric"); it != value.end()) {
    std::string metric = it->is_string() ? it->get<std::string>() : it->dump();
    if (metric == "val_loss") {
      early.metric = EarlyStoppingMetric::kValLoss;
    } else if (metric == "val_accuracy") {
      early.metric = EarlyStoppingMetric::kValAccuracy;
    } else if (metric == "train_loss") {
      early.metric = EarlyStoppingMetric::kTrainLoss;
    } else {
      return Invalid(
          "early_stopping.metric",
          absl::StrCat("unknown metric ", metric, " (one of val_loss, val_accuracy, train_loss)"));
    }
  }
  if (auto it = value.find("patience"); it != value.end()) {
    AIAAS_ASSIGN_OR_RETURN(early.patience, GetInteger(*it, "early_stopping.patience", 1, 100000));
  }
  if (auto it = value.find("min_delta"); it != value.end()) {
    AIAAS_ASSIGN_OR_RETURN(early.min_delta, GetNumber(*it, "early_stopping.min_delta"));
    if (early.min_delta < 0) return Invalid("early_stopping.min_delta", "must be >= 0");
  }
  return early;
}

}  // namespace

std::string_view LossKindName(LossKind kind) {
  switch (kind) {
    case LossKind::kMse:
      return "mse";
    case LossKind::kMae:
      return "mae";
    case LossKind::kHuber:
      return "huber";
    case LossKind::kCrossEntropy:
      return "cross_entropy";
    case LossKind::kBce:
      return "bce";
    case LossKind::kKlDiv:
      return "kl_div";
    case LossKind::kElbo:
      return "elbo";
  }
  return "unknown";
}

std::string_view OptimizerKindName(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd:
      return "sgd";
    case OptimizerKind::kAdagrad:
      return "adagrad";
    case OptimizerKind::kRmsprop:
      return "rmsprop";
    case OptimizerKind::kAdam:
      return "adam";
    case OptimizerKind::kAdamW:
      return "adamw";
  }
  return "unknown";
}

std::string_view EarlyStoppingMetricName(EarlyStoppingMetric metric) {
  switch (metric) {
    case EarlyStoppingMetric::kValLoss:
      return "val_loss";
    case EarlyStoppingMetric::kValAccuracy:
      return "val_accuracy";
    case EarlyStoppingMetric::kTrainLoss:
      return "train_loss";
  }
  return "unknown";
}

absl::StatusOr<OptimizationSpec> ParseOptimizationSpec(const json& spec) {
  if (!spec.is_object())
    return absl::InvalidArgumentError("the training spec must be a JSON object");
  OptimizationSpec out;
  if (auto it = spec.find("loss"); it != spec.end()) {
    AIAAS_ASSIGN_OR_RETURN(out.loss, ParseLoss(*it));
  }
  if (auto it = spec.find("optimizer"); it != spec.end()) {
    AIAAS_ASSIGN_OR_RETURN(out.optimizer, ParseOptimizer(*it));
  }
  if (auto it = spec.find("gradient_clip"); it != spec.end()) {
    const json* max_norm = &*it;
    if (it->is_object()) {
      AIAAS_RETURN_IF_ERROR(CheckKeys(*it, "gradient_clip", {"max_norm"}));
      if (!it->contains("max_norm")) return Invalid("gradient_clip", "needs \"max_norm\"");
      max_norm = &(*it)["max_norm"];
    }
    AIAAS_ASSIGN_OR_RETURN(out.gradient_clip_max_norm,
                           GetNumber(*max_norm, "gradient_clip.max_norm"));
    if (out.gradient_clip_max_norm <= 0) return Invalid("gradient_clip.max_norm", "must be > 0");
  }
  if (auto it = spec.find("lr_schedule"); it != spec.end()) {
    AIAAS_ASSIGN_OR_RETURN(out.lr_schedule, ParseSchedule(*it));
    const LrScheduleSpec& s = out.lr_schedule;
    const bool cosine = s.kind == ScheduleKind::kCosine ||
                        (s.kind == ScheduleKind::kWarmup && s.then == ScheduleKind::kCosine);
    if (cosine && s.min_lr > out.optimizer.lr) {
      return Invalid(
          "lr_schedule.min_lr",
          absl::StrCat("min_lr ", s.min_lr, " is above the optimizer's lr ", out.optimizer.lr));
    }
  }
  if (auto it = spec.find("epochs"); it != spec.end()) {
    AIAAS_ASSIGN_OR_RETURN(out.epochs, GetInteger(*it, "epochs", 1, 100000));
  }
  if (auto it = spec.find("batch_size"); it != spec.end()) {
    AIAAS_ASSIGN_OR_RETURN(out.batch_size, GetInteger(*it, "batch_size", 1, int64_t{1} << 20));
  }
  if (auto it = spec.find("seed"); it != spec.end()) {
    if (!it->is_number_integer() ||
        (it->is_number_integer() && !it->is_number_unsigned() && it->get<int64_t>() < 0)) {
      return Invalid("seed", absl::StrCat("must be a non-negative integer, got ", it->dump()));
    }
    out.seed = it->get<uint64_t>();
  }
  if (auto it = spec.find("early_stopping"); it != spec.end() && !it->is_null()) {
    AIAAS_ASSIGN_OR_RETURN(out.early_stopping, ParseEarlyStopping(*it));
  }
  return out;
}

}  // namespace aiaas::training
