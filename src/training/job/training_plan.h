// Everything a training job decides from its spec and its data before any weight
// exists: the rows it trains, validates and tests on, the preprocessing fitted on the
// train rows, and the checked model plan. Cheap (no tensors, no model), so the job
// service runs it at submit time to reject a spec that cannot work with a 400, and
// again when the job runs (the same seed gives the same split and fit).
#ifndef AIAAS_TRAINING_JOB_TRAINING_PLAN_H_
#define AIAAS_TRAINING_JOB_TRAINING_PLAN_H_

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "training/data/data_table.h"
#include "training/job/train_job_spec.h"
#include "training/model/model_plan.h"
#include "training/preprocess/preprocessor.h"

namespace aiaas::training {

struct TrainingPlan {
  TrainJobSpec spec;
  // Rows of the table, each list ascending; rows unusable for training (dropped for
  // missing values) are in none.
  std::vector<size_t> train_rows;
  std::vector<size_t> validation_rows;
  std::vector<size_t> test_rows;
  std::optional<FittedPreprocessor> preprocessor;  // always set by PlanTraining
  BuildOptions build;
  ModelPlan model;
  // Regression: the model learns (y - target_mean) / target_std (train-row statistics),
  // so the loss does not depend on the target's units; predictions are scaled back.
  double target_mean = 0.0;
  double target_std = 1.0;
};

// Splits (seeded by spec.optimization.seed, stratified by class for classification),
// fits the preprocessor on the train rows, plans the model for the encoded sample
// shape and checks the loss against the task. InvalidArgument naming the problem: a
// column that is not in the dataset, a loss that does not fit the task ("cross_entropy
// ... regression"), a layer that does not fit its input (naming the layer and the
// shapes), a dataset too small for the split.
[[nodiscard]] absl::StatusOr<TrainingPlan> PlanTraining(const TrainJobSpec& spec,
                                                        const DataTable& table);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_JOB_TRAINING_PLAN_H_
