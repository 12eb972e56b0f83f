// Metrics of a trained model on held-out rows: what a training job reports and stores
// with the model version. Pure functions; torch-free.
//
// Conventions (chosen to match scikit-learn 1.2 defaults, so numbers can be checked
// against it):
//  - Macro averages are over the classes that occur in the true or the predicted
//    labels (scikit-learn's labels=None), not over every one of the C classes: a class
//    absent from both the test rows and the predictions does not drag the average down.
//  - A class never predicted has precision 0; a class with no true rows has recall 0;
//    F1 is 0 when precision + recall is 0 (scikit-learn's zero_division="warn" result,
//    without the warning). macro F1 is the mean of per-class F1.
//  - R^2 with constant true values (total sum of squares 0): 1 if the predictions are
//    exact, else 0 (scikit-learn's force_finite=True).
//  - Reconstruction: baseline_mse is the error of predicting every feature's mean over
//    the evaluated rows, i.e. the mean per-feature variance; a model worth keeping has
//    reconstruction_mse well below it.
#ifndef AIAAS_TRAINING_EVALUATION_METRICS_H_
#define AIAAS_TRAINING_EVALUATION_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace aiaas::training {

struct ClassificationReport {
  double accuracy = 0.0;
  double precision_macro = 0.0;
  double recall_macro = 0.0;
  double f1_macro = 0.0;
  // [C][C]; row = true class, column = predicted class.
  std::vector<std::vector<int64_t>> confusion_matrix;
};

struct RegressionReport {
  double mse = 0.0;
  double mae = 0.0;
  double r2 = 0.0;
};

struct ReconstructionReport {
  double reconstruction_mse = 0.0;
  double baseline_mse = 0.0;
};

// `truth` and `predicted` hold class indices in [0, num_classes), one per row.
// InvalidArgument for empty or unequal-length inputs, num_classes < 1, or an index out
// of range.
[[nodiscard]] absl::StatusOr<ClassificationReport> EvaluateClassification(
    const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted, int64_t num_classes);

// One value per row. InvalidArgument for empty or unequal-length inputs or a
// non-finite value.
[[nodiscard]] absl::StatusOr<RegressionReport> EvaluateRegression(
    const std::vector<float>& truth, const std::vector<float>& predicted);

// `inputs` and `reconstructions` are row-major [rows, width] (both rows * width
// values). InvalidArgument for sizes that do not match, no rows, width 0, or a
// non-finite value.
[[nodiscard]] absl::StatusOr<ReconstructionReport> EvaluateReconstruction(
    const std::vector<float>& inputs, const std::vector<float>& reconstructions, size_t rows,
    size_t width);

// {"accuracy", "precision_macro", "recall_macro", "f1_macro", "confusion_matrix"}
nlohmann::json ToJson(const ClassificationReport& report);
// {"mse", "mae", "r2"}
nlohmann::json ToJson(const RegressionReport& report);
// {"reconstruction_mse", "baseline_mse"}
nlohmann::json ToJson(const ReconstructionReport& report);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_EVALUATION_METRICS_H_
