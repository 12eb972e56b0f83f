// The "preprocess" object of a training job spec, parsed and checked for shape. Whether
// the named columns exist and have the right kinds is checked later, by
// FittedPreprocessor::Fit, which sees the dataset.
//
// JSON accepted (every field optional):
//   {
//     "features": ["a", "b", "color"],      // default: every column but the target
//     "missing": "mean",                     // or "drop" | "median" | "most_frequent",
//                                            // or {"a": "median", "color": "drop", ...}
//     "scale": "standard",                   // "none" (default) | "standard" | "minmax"
//     "one_hot": true,                       // default true
//     "reshape": [1, 8, 8]                   // per-sample shape after encoding
//   }
//
// Missing values:
//  - no "missing": numeric features are imputed with the train mean, categorical
//    features with the most frequent train category; a missing target is an error.
//  - a string: that strategy for every feature. "mean" and "median" apply to numeric
//    features only; categorical features then use "most_frequent". "drop" also drops
//    rows whose target is missing.
//  - an object {column: strategy}: per column; unlisted features take the defaults
//    above. Naming the target with "drop" drops rows whose target is missing (the
//    target accepts no other strategy).
// "drop" removes rows at training time only; a served row with a missing value in a
// "drop" column is rejected.
#ifndef AIAAS_TRAINING_PREPROCESS_PREPROCESS_SPEC_H_
#define AIAAS_TRAINING_PREPROCESS_PREPROCESS_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace aiaas::training {

enum class MissingStrategy { kDrop, kMean, kMedian, kMostFrequent };
enum class ScaleMode { kNone, kStandard, kMinMax };

// "drop" | "mean" | "median" | "most_frequent"
std::string_view MissingStrategyName(MissingStrategy strategy);
// "none" | "standard" | "minmax"
std::string_view ScaleModeName(ScaleMode mode);

struct PreprocessSpec {
  // Feature columns to use; nullopt = every column but the target. Never empty when set.
  std::optional<std::vector<std::string>> features;
  // Strategy for every column when "missing" was a string; nullopt = the defaults.
  std::optional<MissingStrategy> missing_all;
  // Per-column strategies when "missing" was an object (may name the target, "drop" only).
  std::map<std::string, MissingStrategy> missing_by_column;
  ScaleMode scale = ScaleMode::kNone;
  bool one_hot = true;
  // Per-sample shape after encoding; nullopt = flat. Every dim >= 1.
  std::optional<std::vector<int64_t>> reshape;
};

// Parses `json` (the value of "preprocess"; null means all defaults). Returns
// InvalidArgument naming the field for a non-object, an unknown key, a wrong type or
// an unknown value, e.g. "preprocess.scale: expected one of none, standard, minmax,
// got 'foo'".
[[nodiscard]] absl::StatusOr<PreprocessSpec> ParsePreprocessSpec(const nlohmann::json& json);

// The JSON form ParsePreprocessSpec accepts; ParsePreprocessSpec(PreprocessSpecToJson(s))
// gives back `s`.
nlohmann::json PreprocessSpecToJson(const PreprocessSpec& spec);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_PREPROCESS_PREPROCESS_SPEC_H_
