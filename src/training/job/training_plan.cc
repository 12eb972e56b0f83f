#include "training/job/training_plan.h"

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "training/preprocess/label_encoder.h"
#include "training/preprocess/split.h"
#include "training/trainer/losses.h"

namespace aiaas::training {
namespace {

TargetKind TargetKindOf(Task task) {
  switch (task) {
    case Task::kClassification:
      return TargetKind::kClassLabel;
    case Task::kRegression:
      return TargetKind::kRealValue;
    case Task::kReconstruction:
      return TargetKind::kNone;
  }
  return TargetKind::kNone;
}

// Train / validation / test rows among `rows`, stratified by class for classification.
absl::Status SplitTableRows(const TrainJobSpec& spec, const DataTable& table,
                            const std::vector<size_t>& rows, TrainingPlan& plan) {
  SplitOptions options;
  options.validation_fraction = spec.validation_fraction;
  options.test_fraction = spec.test_fraction;
  options.seed = spec.optimization.seed;
  std::optional<std::vector<int64_t>> classes;
  if (spec.task == Task::kClassification) {
    const Column* target = table.Find(spec.target);
    if (target == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target: the dataset has no column '", spec.target,
          "' (columns: ", absl::StrJoin(table.ColumnNames(), ", "), ")"));
    }
    AIAAS_ASSIGN_OR_RETURN(LabelEncoder labels, LabelEncoder::Fit(*target, MissingTargets::kSkip));
    AIAAS_ASSIGN_OR_RETURN(classes, labels.EncodeRows(*target, rows));
  }
  AIAAS_ASSIGN_OR_RETURN(RowSplit split,
                         SplitRows(rows.size(), options, classes ? &*classes : nullptr));
  plan.train_rows = RowsAt(rows, split.train);
  plan.validation_rows = RowsAt(rows, split.validation);
  plan.test_rows = RowsAt(rows, split.test);
  return absl::OkStatus();
}

absl::Status FitTargetScale(const DataTable& table, TrainingPlan& plan) {
  AIAAS_ASSIGN_OR_RETURN(std::vector<float> y,
                         plan.preprocessor->RegressionTargets(table, plan.train_rows));
  double sum = 0.0;
  for (float v : y) sum += v;
  const double mean = y.empty() ? 0.0 : sum / static_cast<double>(y.size());
  double squares = 0.0;
  for (float v : y) squares += (v - mean) * (v - mean);
  const double std = y.empty() ? 0.0 : std::sqrt(squares / static_cast<double>(y.size()));
  plan.target_mean = mean;
  plan.target_std = std > 1e-12 && std::isfinite(std) ? std : 1.0;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TrainingPlan> PlanTraining(const TrainJobSpec& spec, const DataTable& table) {
  // The loss first: it needs no data, and a wrong one is the likeliest spec mistake.
  AIAAS_RETURN_IF_ERROR(CheckLossFitsTask(spec.optimization.loss.kind, spec.task,
                                          spec.model.architecture == Architecture::kVae));
  TrainingPlan plan;
  plan.spec = spec;
  const TargetSpec target{spec.target, TargetKindOf(spec.task)};
  AIAAS_ASSIGN_OR_RETURN(std::vector<size_t> rows,
                         RowsToTrainOn(spec.preprocess, target, table));
  AIAAS_RETURN_IF_ERROR(SplitTableRows(spec, table, rows, plan));
  AIAAS_ASSIGN_OR_RETURN(FittedPreprocessor preprocessor,
                         FittedPreprocessor::Fit(spec.preprocess, target, table, plan.train_rows));
  plan.preprocessor = std::move(preprocessor);

  plan.build.input_shape = plan.preprocessor->SampleShape();
  plan.build.task = spec.task;
  plan.build.num_outputs =
      spec.task == Task::kClassification
          ? static_cast<int64_t>(plan.preprocessor->labels()->NumClasses())
          : 1;
  plan.build.init = spec.init;
  plan.build.seed = spec.optimization.seed;
  AIAAS_ASSIGN_OR_RETURN(plan.model, PlanModel(spec.model, plan.build));
  if (spec.task == Task::kRegression) AIAAS_RETURN_IF_ERROR(FitTargetScale(table, plan));
  return plan;
}

}  // namespace aiaas::training
