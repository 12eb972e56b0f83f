// The preprocessing a trained model carries: learned from the train rows of a dataset
// by Fit, stored beside the model as JSON, and applied identically to training rows
// (TransformTable) and to served requests (TransformRaw).
//
// Encoded layout: the feature columns in dataset order (a "features" list selects
// columns, its order does not matter); a numeric column gives one value, a categorical
// column one value per train category (one-hot, categories sorted byte-wise). A
// category never seen in the train rows encodes as all zeros, at training (validation
// and test rows) and at serving alike.
//
// Numeric cells go through float32 first (a served request carries float32), then
// imputation, then scaling, computed in double and stored as float:
//   standard: (x - mean) / std      minmax: (x - min) / (max - min)
// where a constant train column (min == max) divides by 1, so its train values map to 0.
//
// Served input layout (TransformRaw):
//   numeric:     float32 [n, NumericFeatureNames().size()], row-major, NaN = missing
//   categorical: strings [n, CategoricalFeatureNames().size()], row-major, "" = missing
//
// Immutable after Fit/FromJson; const methods are safe to call from many threads.
//
// Typical training use:
//   AIAAS_ASSIGN_OR_RETURN(std::vector<size_t> rows, RowsToTrainOn(spec, target, table));
//   // Classification: stratify by class, with `classes` from
//   // LabelEncoder::Fit(*table.Find(target.column), MissingTargets::kSkip)->EncodeRows(...).
//   AIAAS_ASSIGN_OR_RETURN(RowSplit split, SplitRows(rows.size(), options, &classes));
//   std::vector<size_t> train_rows = RowsAt(rows, split.train);  // positions -> table rows
//   AIAAS_ASSIGN_OR_RETURN(FittedPreprocessor prep,
//                          FittedPreprocessor::Fit(spec, target, table, train_rows));
//   AIAAS_ASSIGN_OR_RETURN(Matrix x, prep.TransformTable(table, train_rows));
//   AIAAS_ASSIGN_OR_RETURN(std::vector<int64_t> y, prep.ClassTargets(table, x.source_rows));
#ifndef AIAAS_TRAINING_PREPROCESS_PREPROCESSOR_H_
#define AIAAS_TRAINING_PREPROCESS_PREPROCESSOR_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "training/data/data_table.h"
#include "training/preprocess/feature_transform.h"
#include "training/preprocess/label_encoder.h"
#include "training/preprocess/preprocess_spec.h"

namespace aiaas::training {

// What the target column holds, as preprocessing sees it. The trainer maps its task:
// classification -> kClassLabel, regression -> kRealValue, reconstruction -> kNone.
enum class TargetKind { kClassLabel, kRealValue, kNone };

struct TargetSpec {
  // The target column; may be empty only for kNone. Under kNone a named column is
  // just left out of the default features.
  std::string column;
  TargetKind kind = TargetKind::kNone;
};

// A dense float matrix, row-major.
struct Matrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> values;  // rows * cols
  // For each output row, the table row (TransformTable) or input row (TransformRaw) it
  // came from. TransformTable leaves out rows dropped for missing values.
  std::vector<size_t> source_rows;
};

// The rows of `table` usable for training: all of them, less those with a missing value
// in a "drop" feature or, when dropping applies to the target, a missing target.
// InvalidArgument for a spec that does not fit the table (unknown column, a strategy
// that does not fit the column's kind, ...), or for a missing target that is not
// dropped.
[[nodiscard]] absl::StatusOr<std::vector<size_t>> RowsToTrainOn(const PreprocessSpec& spec,
                                                                const TargetSpec& target,
                                                                const DataTable& table);

class FittedPreprocessor {
 public:
  // Learns every statistic from `train_rows` of `table` only (rows dropped for missing
  // values are skipped), and the class labels (kClassLabel) from the whole target
  // column. InvalidArgument, with a message naming the field or column, for: unknown or
  // duplicate columns, the target among the features, no features, a categorical
  // feature with one_hot false, mean/median for a categorical column, a categorical
  // target for kRealValue, a non-integer numeric target for kClassLabel, a feature with
  // no present train value, a categorical feature with more than kMaxCategories train
  // categories, non-finite train values, no usable train rows, and a reshape whose
  // product differs from the encoded width.
  [[nodiscard]] static absl::StatusOr<FittedPreprocessor> Fit(
      const PreprocessSpec& spec, const TargetSpec& target, const DataTable& table,
      const std::vector<size_t>& train_rows);

  // Restores what ToJson wrote; InvalidArgument for a malformed document.
  [[nodiscard]] static absl::StatusOr<FittedPreprocessor> FromJson(const nlohmann::json& json);
  // {"format": 1, "target": {"column", "kind", "drop_missing"}, "labels": {...} (class
  //  labels only), "scale": "none"|"standard"|"minmax", "features": [FeatureTransform
  //  JSON...], "sample_shape": [...]}. Doubles round-trip bit for bit.
  nlohmann::json ToJson() const;

  // Training: encodes `rows` of `table` (a table with the dataset's columns; the target
  // is not needed). Rows with a missing value under "drop" are left out (see
  // Matrix::source_rows). InvalidArgument for a missing column or a column of the wrong
  // kind, a row out of range, or a non-finite value.
  [[nodiscard]] absl::StatusOr<Matrix> TransformTable(const DataTable& table,
                                                      const std::vector<size_t>& rows) const;

  // The targets of `rows` (pass Matrix::source_rows). kRealValue only, as float;
  // FailedPrecondition otherwise, InvalidArgument for a missing target value.
  [[nodiscard]] absl::StatusOr<std::vector<float>> RegressionTargets(
      const DataTable& table, const std::vector<size_t>& rows) const;
  // kClassLabel only, as class indices 0..C-1 (see labels()).
  [[nodiscard]] absl::StatusOr<std::vector<int64_t>> ClassTargets(
      const DataTable& table, const std::vector<size_t>& rows) const;

  // Serving: encodes `n` raw rows laid out as in the file comment. `categorical` may be
  // null only when there are no categorical features. InvalidArgument naming the row
  // and column for a missing value under "drop" or a non-finite value, and for a
  // `categorical` of the wrong size. Every input row gives one output row.
  [[nodiscard]] absl::StatusOr<Matrix> TransformRaw(
      const float* numeric, size_t n, const std::vector<std::string>* categorical) const;

  // Per-sample shape of the encoded rows: the reshape, or {EncodedWidth()}.
  const std::vector<int64_t>& SampleShape() const { return sample_shape_; }
  size_t EncodedWidth() const { return width_; }
  // Names of the served inputs, in dataset order.
  std::vector<std::string> NumericFeatureNames() const;
  std::vector<std::string> CategoricalFeatureNames() const;

  const TargetSpec& target() const { return target_; }
  // The class labels; null unless the target kind is kClassLabel.
  const LabelEncoder* labels() const { return labels_ ? &*labels_ : nullptr; }
  const std::vector<FeatureTransform>& features() const { return features_; }
  ScaleMode scale() const { return scale_; }

  static constexpr size_t kMaxCategories = 1000;

 private:
  FittedPreprocessor() = default;
  // Checks the reshape against the width and fills sample_shape_.
  [[nodiscard]] absl::Status SetShape(const std::optional<std::vector<int64_t>>& reshape);

  TargetSpec target_;
  bool drop_missing_target_ = false;
  std::optional<LabelEncoder> labels_;
  ScaleMode scale_ = ScaleMode::kNone;
  std::vector<FeatureTransform> features_;  // dataset order
  size_t width_ = 0;
  std::vector<int64_t> sample_shape_;
};

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_PREPROCESS_PREPROCESSOR_H_
