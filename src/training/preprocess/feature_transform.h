// What preprocessing learned about one feature column from the train rows, how it is
// learned, and how it turns one raw cell into encoded values. Internal to
// FittedPreprocessor; the encoding
// functions are the single code path both training (table cells) and serving (request
// values) go through, so the two cannot drift apart.
#ifndef AIAAS_TRAINING_PREPROCESS_FEATURE_TRANSFORM_H_
#define AIAAS_TRAINING_PREPROCESS_FEATURE_TRANSFORM_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "training/data/data_table.h"
#include "training/preprocess/preprocess_spec.h"

namespace aiaas::training {

struct FeatureTransform {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
  MissingStrategy missing = MissingStrategy::kMean;

  // kNumeric. Statistics of the train values (after imputation, as a pipeline of
  // imputer then scaler sees them), each value first rounded to float32.
  double impute_number = 0.0;  // unused under kDrop
  double mean = 0.0;
  double std = 0.0;  // population standard deviation
  double min = 0.0;
  double max = 0.0;

  // kCategorical: the train categories, sorted byte-wise; one-hot slot i is categories[i].
  std::string impute_category;  // unused under kDrop
  std::vector<std::string> categories;

  // How many encoded values this feature produces (1, or one per category).
  size_t Width() const { return kind == ColumnKind::kNumeric ? 1 : categories.size(); }
};

// A numeric table cell as a served request would carry it: NaN when missing, else the
// value rounded to float32 and widened back to double.
double CellAsServed(const Column& column, size_t row);

// Learns a numeric feature from `rows` of `column` (rows already filtered for "drop"):
// the imputation value from the present values (mean; median = middle value or mean of
// the two middle ones; most_frequent = the smallest of the most frequent values), then
// mean, population std, min and max over the present values plus one imputed value per
// missing cell. InvalidArgument when no row has a value, or for a value that is not a
// finite float32.
[[nodiscard]] absl::StatusOr<FeatureTransform> FitNumericFeature(const Column& column,
                                                                 MissingStrategy missing,
                                                                 const std::vector<size_t>& rows);

// Learns a categorical feature: its categories (present values of `rows`, sorted) and,
// unless "drop", the most frequent one (the byte-wise smallest on a tie). `missing` must
// be kDrop or kMostFrequent. InvalidArgument when no row has a value or there are more
// than `max_categories` categories.
[[nodiscard]] absl::StatusOr<FeatureTransform> FitCategoricalFeature(
    const Column& column, MissingStrategy missing, const std::vector<size_t>& rows,
    size_t max_categories);

// Encodes a numeric value (NaN = missing, already a float32 value widened to double)
// into `out[0]`. Missing under kDrop and non-finite values are InvalidArgument naming
// `row` and the column.
[[nodiscard]] absl::Status EncodeNumber(const FeatureTransform& feature, ScaleMode scale,
                                        double value, size_t row, float* out);

// Encodes a category (`missing` = the cell is missing) into `out[0..Width())`: one-hot,
// or all zeros for a category not seen in the train rows. Missing under kDrop is
// InvalidArgument naming `row` and the column.
[[nodiscard]] absl::Status EncodeCategory(const FeatureTransform& feature, std::string_view value,
                                          bool missing, size_t row, float* out);

// {"name", "kind", "missing", "impute", "mean", "std", "min", "max"} for numeric,
// {"name", "kind", "missing", "impute", "categories"} for categorical ("impute" absent
// under "drop"). Doubles are written so they parse back to the same bits.
nlohmann::json FeatureTransformToJson(const FeatureTransform& feature);
[[nodiscard]] absl::StatusOr<FeatureTransform> FeatureTransformFromJson(const nlohmann::json& json);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_PREPROCESS_FEATURE_TRANSFORM_H_
