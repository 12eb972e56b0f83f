#include "training/evaluation/metrics.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aiaas::training {
namespace {

absl::Status CheckFinite(const std::vector<float>& values, const char* what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, "[", i, "] is not finite (", values[i], ")"));
    }
  }
  return absl::OkStatus();
}

double Ratio(int64_t numerator, int64_t denominator) {
  return denominator == 0 ? 0.0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

}  // namespace

absl::StatusOr<ClassificationReport> EvaluateClassification(const std::vector<int64_t>& truth,
                                                            const std::vector<int64_t>& predicted,
                                                            int64_t num_classes) {
  if (truth.empty() || truth.size() != predicted.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "classification metrics need equal, non-zero numbers of true and predicted labels (got ",
        truth.size(), " and ", predicted.size(), ")"));
  }
  if (num_classes < 1) {
    return absl::InvalidArgumentError(absl::StrCat("num_classes must be >= 1, got ", num_classes));
  }
  size_t classes = static_cast<size_t>(num_classes);
  ClassificationReport report;
  report.confusion_matrix.assign(classes, std::vector<int64_t>(classes, 0));
  int64_t correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    for (int64_t label : {truth[i], predicted[i]}) {
      if (label < 0 || label >= num_classes) {
        return absl::InvalidArgumentError(
            absl::StrCat("row ", i, ": class index ", label, " is outside [0, ", num_classes, ")"));
      }
    }
    ++report.confusion_matrix[static_cast<size_t>(truth[i])][static_cast<size_t>(predicted[i])];
    if (truth[i] == predicted[i]) ++correct;
  }
  report.accuracy = Ratio(correct, static_cast<int64_t>(truth.size()));

  size_t present = 0;
  for (size_t c = 0; c < classes; ++c) {
    int64_t true_count = 0;
    int64_t predicted_count = 0;
    for (size_t k = 0; k < classes; ++k) {
      true_count += report.confusion_matrix[c][k];
      predicted_count += report.confusion_matrix[k][c];
    }
    if (true_count == 0 && predicted_count == 0) continue;
    ++present;
    int64_t hits = report.confusion_matrix[c][c];
    double precision = Ratio(hits, predicted_count);
    double recall = Ratio(hits, true_count);
    double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
    report.precision_macro += precision;
    report.recall_macro += recall;
    report.f1_macro += f1;
  }
  // present >= 1: every row has a true class.
  report.precision_macro /= static_cast<double>(present);
  report.recall_macro /= static_cast<double>(present);
  report.f1_macro /= static_cast<double>(present);
  return report;
}

absl::StatusOr<RegressionReport> EvaluateRegression(const std::vector<float>& truth,
                                                    const std::vector<float>& predicted) {
  if (truth.empty() || truth.size() != predicted.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "regression metrics need equal, non-zero numbers of true and predicted values (got ",
        truth.size(), " and ", predicted.size(), ")"));
  }
  if (absl::Status status = CheckFinite(truth, "truth"); !status.ok()) return status;
  if (absl::Status status = CheckFinite(predicted, "predicted"); !status.ok()) return status;
  double n = static_cast<double>(truth.size());
  double mean = 0.0;
  for (float t : truth) mean += t;
  mean /= n;
  double squared = 0.0;
  double absolute = 0.0;
  double total = 0.0;
  for (size_t i = 0; i < truth.size(); ++i) {
    double error = static_cast<double>(truth[i]) - static_cast<double>(predicted[i]);
    squared += error * error;
    absolute += std::fabs(error);
    double spread = static_cast<double>(truth[i]) - mean;
    total += spread * spread;
  }
  RegressionReport report;
  report.mse = squared / n;
  report.mae = absolute / n;
  if (total == 0.0) {
    report.r2 = squared == 0.0 ? 1.0 : 0.0;
  } else {
    report.r2 = 1.0 - squared / total;
  }
  return report;
}

absl::StatusOr<ReconstructionReport> EvaluateReconstruction(
    const std::vector<float>& inputs, const std::vector<float>& reconstructions, size_t rows,
    size_t width) {
  if (rows == 0 || width == 0 || inputs.size() / width != rows || inputs.size() % width != 0 ||
      reconstructions.size() != inputs.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "reconstruction metrics need ", rows, " x ", width, " inputs and reconstructions (got ",
        inputs.size(), " and ", reconstructions.size(), " values)"));
  }
  if (absl::Status status = CheckFinite(inputs, "inputs"); !status.ok()) return status;
  if (absl::Status status = CheckFinite(reconstructions, "reconstructions"); !status.ok()) {
    return status;
  }
  std::vector<double> means(width, 0.0);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t f = 0; f < width; ++f) means[f] += inputs[r * width + f];
  }
  for (double& mean : means) mean /= static_cast<double>(rows);
  double error = 0.0;
  double baseline = 0.0;
  for (size_t r = 0; r < rows; ++r) {
    for (size_t f = 0; f < width; ++f) {
      double x = inputs[r * width + f];
      double diff = x - static_cast<double>(reconstructions[r * width + f]);
      error += diff * diff;
      baseline += (x - means[f]) * (x - means[f]);
    }
  }
  double count = static_cast<double>(rows * width);
  return ReconstructionReport{error / count, baseline / count};
}

nlohmann::json ToJson(const ClassificationReport& report) {
  return {{"accuracy", report.accuracy},
          {"precision_macro", report.precision_macro},
          {"recall_macro", report.recall_macro},
          {"f1_macro", report.f1_macro},
          {"confusion_matrix", report.confusion_matrix}};
}

nlohmann::json ToJson(const RegressionReport& report) {
  return {{"mse", report.mse}, {"mae", report.mae}, {"r2", report.r2}};
}

nlohmann::json ToJson(const ReconstructionReport& report) {
  return {{"reconstruction_mse", report.reconstruction_mse}, {"baseline_mse", report.baseline_mse}};
}

}  // namespace aiaas::training
