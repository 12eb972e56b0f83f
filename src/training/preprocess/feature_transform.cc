#include "training/preprocess/feature_transform.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aiaas::training {
namespace {

using Json = nlohmann::json;

absl::StatusOr<MissingStrategy> StrategyFromName(const Json& json) {
  if (json == "drop") return MissingStrategy::kDrop;
  if (json == "mean") return MissingStrategy::kMean;
  if (json == "median") return MissingStrategy::kMedian;
  if (json == "most_frequent") return MissingStrategy::kMostFrequent;
  return absl::InvalidArgumentError("feature.missing: unknown strategy");
}

absl::StatusOr<double> FiniteNumber(const Json& json, const std::string& key) {
  if (!json.contains(key) || !json[key].is_number()) {
    return absl::InvalidArgumentError(absl::StrCat("feature.", key, ": expected a number"));
  }
  double value = json[key].get<double>();
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat("feature.", key, ": not finite"));
  }
  return value;
}

}  // namespace

double CellAsServed(const Column& column, size_t row) {
  if (column.IsMissing(row)) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(static_cast<float>(column.numbers[row]));
}

absl::StatusOr<FeatureTransform> FitNumericFeature(const Column& column, MissingStrategy missing,
                                                   const std::vector<size_t>& rows) {
  FeatureTransform feature;
  feature.name = column.name;
  feature.kind = ColumnKind::kNumeric;
  feature.missing = missing;
  std::vector<double> values;
  values.reserve(rows.size());
  size_t missing_count = 0;
  for (size_t row : rows) {
    double value = CellAsServed(column, row);
    if (std::isnan(value)) {
      ++missing_count;
      continue;
    }
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(absl::StrCat("column '", column.name, "' row ", row,
                                                     ": value ", column.numbers[row],
                                                     " is not a finite float32"));
    }
    values.push_back(value);
  }
  if (values.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feature '", column.name, "' has no values in the ", rows.size(), " train rows"));
  }
  std::vector<double> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  switch (missing) {
    case MissingStrategy::kDrop:
      break;
    case MissingStrategy::kMean: {
      double sum = 0.0;
      for (double v : values) sum += v;
      feature.impute_number = sum / static_cast<double>(values.size());
      break;
    }
    case MissingStrategy::kMedian: {
      size_t half = sorted.size() / 2;
      feature.impute_number =
          sorted.size() % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2.0;
      break;
    }
    case MissingStrategy::kMostFrequent: {
      // Runs in the sorted values; the first longest run is the smallest most frequent.
      size_t best = 0;
      for (size_t i = 0; i < sorted.size();) {
        size_t j = i;
        while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
        if (j - i > best) {
          best = j - i;
          feature.impute_number = sorted[i];
        }
        i = j;
      }
      break;
    }
  }
  // Statistics as a scaler placed after the imputer sees the column.
  values.insert(values.end(), missing_count, feature.impute_number);
  double sum = 0.0;
  for (double v : values) sum += v;
  double count = static_cast<double>(values.size());
  feature.mean = sum / count;
  double squares = 0.0;
  for (double v : values) squares += (v - feature.mean) * (v - feature.mean);
  feature.std = std::sqrt(squares / count);
  auto [min, max] = std::minmax_element(values.begin(), values.end());
  feature.min = *min;
  feature.max = *max;
  return feature;
}

absl::StatusOr<FeatureTransform> FitCategoricalFeature(const Column& column,
                                                       MissingStrategy missing,
                                                       const std::vector<size_t>& rows,
                                                       size_t max_categories) {
  FeatureTransform feature;
  feature.name = column.name;
  feature.kind = ColumnKind::kCategorical;
  feature.missing = missing;
  std::map<std::string, size_t> counts;
  for (size_t row : rows) {
    if (!column.IsMissing(row)) ++counts[column.strings[row]];
  }
  if (counts.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feature '", column.name, "' has no values in the ", rows.size(), " train rows"));
  }
  if (counts.size() > max_categories) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature '", column.name, "' has ", counts.size(),
                     " distinct categories in the train rows (at most ", max_categories,
                     " can be one-hot encoded); leave it out of preprocess.features"));
  }
  size_t best = 0;
  for (const auto& [category, count] : counts) {
    feature.categories.push_back(category);
    // Strictly greater keeps the byte-wise smallest category on a tie.
    if (count > best && missing != MissingStrategy::kDrop) {
      best = count;
      feature.impute_category = category;
    }
  }
  return feature;
}

absl::Status EncodeNumber(const FeatureTransform& feature, ScaleMode scale, double value,
                          size_t row, float* out) {
  if (std::isnan(value)) {
    if (feature.missing == MissingStrategy::kDrop) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", row, ", column '", feature.name,
                       "': value is missing and the model was trained with missing = \"drop\""));
    }
    value = feature.impute_number;
  } else if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat("row ", row, ", column '", feature.name,
                                                   "': value ", value, " is not a finite float32"));
  }
  double encoded = value;
  // A constant train column (min == max) divides by 1, like scikit-learn's scalers.
  bool constant = feature.min == feature.max;
  switch (scale) {
    case ScaleMode::kNone:
      break;
    case ScaleMode::kStandard:
      encoded = (value - feature.mean) / (constant || !(feature.std > 0) ? 1.0 : feature.std);
      break;
    case ScaleMode::kMinMax:
      encoded = (value - feature.min) / (constant ? 1.0 : feature.max - feature.min);
      break;
  }
  out[0] = static_cast<float>(encoded);
  return absl::OkStatus();
}

absl::Status EncodeCategory(const FeatureTransform& feature, std::string_view value, bool missing,
                            size_t row, float* out) {
  if (missing) {
    if (feature.missing == MissingStrategy::kDrop) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", row, ", column '", feature.name,
                       "': value is missing and the model was trained with missing = \"drop\""));
    }
    value = feature.impute_category;
  }
  std::fill(out, out + feature.categories.size(), 0.0f);
  auto it = std::lower_bound(feature.categories.begin(), feature.categories.end(), value);
  if (it != feature.categories.end() && *it == value) {
    out[it - feature.categories.begin()] = 1.0f;
  }
  return absl::OkStatus();
}

nlohmann::json FeatureTransformToJson(const FeatureTransform& feature) {
  Json json = Json::object();
  json["name"] = feature.name;
  bool numeric = feature.kind == ColumnKind::kNumeric;
  json["kind"] = numeric ? "numeric" : "categorical";
  json["missing"] = std::string(MissingStrategyName(feature.missing));
  bool imputes = feature.missing != MissingStrategy::kDrop;
  if (numeric) {
    if (imputes) json["impute"] = feature.impute_number;
    json["mean"] = feature.mean;
    json["std"] = feature.std;
    json["min"] = feature.min;
    json["max"] = feature.max;
  } else {
    if (imputes) json["impute"] = feature.impute_category;
    json["categories"] = feature.categories;
  }
  return json;
}

absl::StatusOr<FeatureTransform> FeatureTransformFromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("name") || !json["name"].is_string() ||
      !json.contains("kind") || !json.contains("missing")) {
    return absl::InvalidArgumentError("feature: expected an object with name, kind, missing");
  }
  FeatureTransform feature;
  feature.name = json["name"].get<std::string>();
  absl::StatusOr<MissingStrategy> missing = StrategyFromName(json["missing"]);
  if (!missing.ok()) return missing.status();
  feature.missing = *missing;
  bool imputes = feature.missing != MissingStrategy::kDrop;
  if (json["kind"] == "numeric") {
    feature.kind = ColumnKind::kNumeric;
    if (imputes) {
      absl::StatusOr<double> impute = FiniteNumber(json, "impute");
      if (!impute.ok()) return impute.status();
      feature.impute_number = *impute;
    }
    absl::StatusOr<double> mean = FiniteNumber(json, "mean");
    absl::StatusOr<double> std = FiniteNumber(json, "std");
    absl::StatusOr<double> min = FiniteNumber(json, "min");
    absl::StatusOr<double> max = FiniteNumber(json, "max");
    for (const auto* stat : {&mean, &std, &min, &max}) {
      if (!stat->ok()) return stat->status();
    }
    feature.mean = *mean;
    feature.std = *std;
    feature.min = *min;
    feature.max = *max;
    if (feature.std < 0 || feature.min > feature.max) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature '", feature.name, "': inconsistent statistics"));
    }
    return feature;
  }
  if (json["kind"] != "categorical") {
    return absl::InvalidArgumentError("feature.kind: expected \"numeric\" or \"categorical\"");
  }
  feature.kind = ColumnKind::kCategorical;
  if (feature.missing == MissingStrategy::kMean || feature.missing == MissingStrategy::kMedian) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature '", feature.name, "': categorical with a numeric strategy"));
  }
  if (imputes) {
    if (!json.contains("impute") || !json["impute"].is_string()) {
      return absl::InvalidArgumentError("feature.impute: expected a string");
    }
    feature.impute_category = json["impute"].get<std::string>();
  }
  if (!json.contains("categories") || !json["categories"].is_array() ||
      json["categories"].empty()) {
    return absl::InvalidArgumentError("feature.categories: expected a non-empty array");
  }
  for (const Json& item : json["categories"]) {
    if (!item.is_string()) {
      return absl::InvalidArgumentError("feature.categories: expected strings");
    }
    feature.categories.push_back(item.get<std::string>());
  }
  if (std::adjacent_find(feature.categories.begin(), feature.categories.end(),
                         std::greater_equal<>()) != feature.categories.end()) {
    return absl::InvalidArgumentError("feature.categories: must be sorted without duplicates");
  }
  return feature;
}

}  // namespace aiaas::training
