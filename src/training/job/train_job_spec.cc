#include "training/job/train_job_spec.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_name.h"
#include "common/status_macros.h"

namespace aiaas::training {
namespace {

using nlohmann::json;

// Every key a train spec may carry at the top level; the optimization keys are read
// by ParseOptimizationSpec.
const std::set<std::string>& KnownKeys() {
  static const std::set<std::string> keys = {
      "type",   "dataset",        "dataset_version", "target",        "task",
      "preprocess", "model",      "loss",            "optimizer",     "gradient_clip",
      "lr_schedule", "epochs",    "batch_size",      "seed",          "early_stopping",
      "split",  "init",           "output_model",    "description"};
  return keys;
}

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::StatusOr<std::string> RequiredString(const json& spec, const char* key) {
  auto it = spec.find(key);
  if (it == spec.end() || it->is_null()) return Invalid(key, "required");
  if (!it->is_string() || it->get<std::string>().empty()) {
    return Invalid(key, "expected a non-empty string");
  }
  return it->get<std::string>();
}

absl::StatusOr<double> Fraction(const json& split, const char* key, double fallback) {
  auto it = split.find(key);
  if (it == split.end() || it->is_null()) return fallback;
  if (!it->is_number()) return Invalid(absl::StrCat("split.", key), "expected a number");
  const double value = it->get<double>();
  if (!(value >= 0.0 && value < 1.0)) {
    return Invalid(absl::StrCat("split.", key), "expected a fraction in [0, 1)");
  }
  return value;
}

absl::Status ParseSplit(const json& spec, TrainJobSpec& out) {
  auto it = spec.find("split");
  if (it == spec.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) return Invalid("split", "expected an object {\"validation\", \"test\"}");
  for (const auto& [key, value] : it->items()) {
    if (key != "validation" && key != "test") {
      return Invalid("split", absl::StrCat("unknown key \"", key,
                                           "\" (expected \"validation\", \"test\")"));
    }
  }
  AIAAS_ASSIGN_OR_RETURN(out.validation_fraction, Fraction(*it, "validation", 0.1));
  AIAAS_ASSIGN_OR_RETURN(out.test_fraction, Fraction(*it, "test", 0.2));
  if (out.test_fraction <= 0.0) {
    return Invalid("split.test", "must be > 0: the reported metrics come from the test split");
  }
  if (out.validation_fraction + out.test_fraction >= 1.0) {
    return Invalid("split", "validation + test must leave rows to train on (sum < 1)");
  }
  return absl::OkStatus();
}

// The task's usual loss when the spec names none.
LossKind DefaultLoss(Task task, const ModelSpec& model) {
  switch (task) {
    case Task::kClassification:
      return LossKind::kCrossEntropy;
    case Task::kRegression:
      return LossKind::kMse;
    case Task::kReconstruction:
      return model.architecture == Architecture::kVae ? LossKind::kElbo : LossKind::kMse;
  }
  return LossKind::kMse;
}

}  // namespace

absl::StatusOr<Task> ParseTask(const std::string& name) {
  if (name == "classification") return Task::kClassification;
  if (name == "regression") return Task::kRegression;
  if (name == "reconstruction") return Task::kReconstruction;
  return Invalid("task", absl::StrCat("expected one of classification, regression, "
                                      "reconstruction, got '", name, "'"));
}

absl::StatusOr<TrainJobSpec> ParseTrainJobSpec(const json& spec) {
  if (!spec.is_object()) return absl::InvalidArgumentError("the job spec must be a JSON object");
  std::vector<std::string> unknown;
  for (const auto& [key, value] : spec.items()) {
    if (KnownKeys().count(key) == 0) unknown.push_back(absl::StrCat("\"", key, "\""));
  }
  if (!unknown.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown key", unknown.size() > 1 ? "s " : " ", absl::StrJoin(unknown, ", "),
        " in the train spec (known: ", absl::StrJoin(KnownKeys(), ", "), ")"));
  }
  if (auto type = spec.find("type"); type != spec.end() && *type != "train") {
    return Invalid("type", "expected \"train\"");
  }

  TrainJobSpec out;
  AIAAS_ASSIGN_OR_RETURN(out.dataset, RequiredString(spec, "dataset"));
  if (auto v = spec.find("dataset_version"); v != spec.end() && !v->is_null()) {
    if (!v->is_number_integer() || v->get<int64_t>() < 0) {
      return Invalid("dataset_version", "expected a version number (>= 1; 0 = the newest)");
    }
    out.dataset_version = v->get<int64_t>();
  }
  AIAAS_ASSIGN_OR_RETURN(std::string task, RequiredString(spec, "task"));
  AIAAS_ASSIGN_OR_RETURN(out.task, ParseTask(task));
  if (auto target = spec.find("target"); target != spec.end() && !target->is_null()) {
    if (!target->is_string() || target->get<std::string>().empty()) {
      return Invalid("target", "expected a column name");
    }
    out.target = target->get<std::string>();
  } else if (out.task != Task::kReconstruction) {
    return Invalid("target", absl::StrCat("required for ", task, " (the column to predict)"));
  }
  AIAAS_ASSIGN_OR_RETURN(out.output_model, RequiredString(spec, "output_model"));
  if (absl::Status valid = ValidateModelName(out.output_model); !valid.ok()) {
    return Invalid("output_model", valid.message());
  }
  if (auto d = spec.find("description"); d != spec.end() && !d->is_null()) {
    if (!d->is_string()) return Invalid("description", "expected a string");
    out.description = d->get<std::string>();
  }

  AIAAS_ASSIGN_OR_RETURN(out.preprocess,
                         ParsePreprocessSpec(spec.value("preprocess", json(nullptr))));
  auto model = spec.find("model");
  if (model == spec.end() || model->is_null()) {
    return Invalid("model", "required (e.g. {\"architecture\": \"mlp\"})");
  }
  AIAAS_ASSIGN_OR_RETURN(out.model, ParseModelSpec(*model));
  out.model_json = *model;
  if (auto init = spec.find("init"); init != spec.end() && !init->is_null()) {
    if (!init->is_string()) return Invalid("init", "expected a string");
    AIAAS_ASSIGN_OR_RETURN(out.init, ParseInitScheme(init->get<std::string>()));
  }

  AIAAS_ASSIGN_OR_RETURN(out.optimization, ParseOptimizationSpec(spec));
  if (!spec.contains("loss")) out.optimization.loss.kind = DefaultLoss(out.task, out.model);
  AIAAS_RETURN_IF_ERROR(ParseSplit(spec, out));
  if (out.optimization.early_stopping.has_value() && out.validation_fraction == 0.0 &&
      out.optimization.early_stopping->metric != EarlyStoppingMetric::kTrainLoss) {
    return Invalid("early_stopping", "a validation metric needs split.validation > 0");
  }
  return out;
}

}  // namespace aiaas::training
