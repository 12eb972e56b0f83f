#include "training/preprocess/preprocess_spec.h"

#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace aiaas::training {
namespace {

using Json = nlohmann::json;

constexpr int64_t kMaxReshapeDim = int64_t{1} << 24;
constexpr size_t kMaxReshapeRank = 8;

// A short, safe rendering of a bad value for an error message.
std::string Quote(const Json& value) {
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    if (text.size() > 64) text = text.substr(0, 64) + "...";
    return absl::StrCat("'", text, "'");
  }
  std::string text = value.dump();
  if (text.size() > 64) text = text.substr(0, 64) + "...";
  return text;
}

absl::StatusOr<MissingStrategy> ParseStrategy(const Json& value, const std::string& field) {
  const char* kExpected = "expected one of drop, mean, median, most_frequent";
  if (!value.is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", kExpected, ", got ", Quote(value)));
  }
  const std::string& name = value.get_ref<const std::string&>();
  if (name == "drop") return MissingStrategy::kDrop;
  if (name == "mean") return MissingStrategy::kMean;
  if (name == "median") return MissingStrategy::kMedian;
  if (name == "most_frequent") return MissingStrategy::kMostFrequent;
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", kExpected, ", got ", Quote(value)));
}

absl::Status ParseFeatures(const Json& value, PreprocessSpec& spec) {
  if (!value.is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat("preprocess.features: expected an array of column names, got ", Quote(value)));
  }
  if (value.empty()) {
    return absl::InvalidArgumentError("preprocess.features: must name at least one column");
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& item = value[i];
    if (!item.is_string() || item.get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "preprocess.features[", i, "]: expected a non-empty column name, got ", Quote(item)));
    }
    const std::string& name = item.get_ref<const std::string&>();
    if (!seen.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("preprocess.features: column ", Quote(item), " is listed twice"));
    }
    names.push_back(name);
  }
  spec.features = std::move(names);
  return absl::OkStatus();
}

absl::Status ParseMissing(const Json& value, PreprocessSpec& spec) {
  if (value.is_object()) {
    for (const auto& [column, strategy_json] : value.items()) {
      if (column.empty()) {
        return absl::InvalidArgumentError("preprocess.missing: column names must not be empty");
      }
      absl::StatusOr<MissingStrategy> strategy =
          ParseStrategy(strategy_json, absl::StrCat("preprocess.missing.", column));
      if (!strategy.ok()) return strategy.status();
      spec.missing_by_column[column] = *strategy;
    }
    return absl::OkStatus();
  }
  if (!value.is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "preprocess.missing: expected one of drop, mean, median, most_frequent or an object "
        "{column: strategy}, got ",
        Quote(value)));
  }
  absl::StatusOr<MissingStrategy> strategy = ParseStrategy(value, "preprocess.missing");
  if (!strategy.ok()) return strategy.status();
  spec.missing_all = *strategy;
  return absl::OkStatus();
}

absl::Status ParseScale(const Json& value, PreprocessSpec& spec) {
  if (value.is_string()) {
    const std::string& name = value.get_ref<const std::string&>();
    if (name == "none") {
      spec.scale = ScaleMode::kNone;
      return absl::OkStatus();
    }
    if (name == "standard") {
      spec.scale = ScaleMode::kStandard;
      return absl::OkStatus();
    }
    if (name == "minmax") {
      spec.scale = ScaleMode::kMinMax;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("preprocess.scale: expected one of none, standard, minmax, got ", Quote(value)));
}

absl::Status ParseReshape(const Json& value, PreprocessSpec& spec) {
  if (!value.is_array() || value.empty() || value.size() > kMaxReshapeRank) {
    return absl::InvalidArgumentError(absl::StrCat("preprocess.reshape: expected an array of 1 to ",
                                                   kMaxReshapeRank, " positive integers, got ",
                                                   Quote(value)));
  }
  std::vector<int64_t> dims;
  for (size_t i = 0; i < value.size(); ++i) {
    const Json& item = value[i];
    if (!item.is_number_integer() || item.get<int64_t>() < 1 ||
        item.get<int64_t>() > kMaxReshapeDim) {
      return absl::InvalidArgumentError(absl::StrCat("preprocess.reshape[", i,
                                                     "]: expected an integer from 1 to ",
                                                     kMaxReshapeDim, ", got ", Quote(item)));
    }
    dims.push_back(item.get<int64_t>());
  }
  spec.reshape = std::move(dims);
  return absl::OkStatus();
}

}  // namespace

std::string_view MissingStrategyName(MissingStrategy strategy) {
  switch (strategy) {
    case MissingStrategy::kDrop:
      return "drop";
    case MissingStrategy::kMean:
      return "mean";
    case MissingStrategy::kMedian:
      return "median";
    case MissingStrategy::kMostFrequent:
      return "most_frequent";
  }
  return "unknown";
}

std::string_view ScaleModeName(ScaleMode mode) {
  switch (mode) {
    case ScaleMode::kNone:
      return "none";
    case ScaleMode::kStandard:
      return "standard";
    case ScaleMode::kMinMax:
      return "minmax";
  }
  return "unknown";
}

absl::StatusOr<PreprocessSpec> ParsePreprocessSpec(const nlohmann::json& json) {
  PreprocessSpec spec;
  if (json.is_null()) return spec;
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("preprocess: expected an object, got ", Quote(json)));
  }
  for (const auto& [key, value] : json.items()) {
    absl::Status status;
    if (key == "features") {
      status = ParseFeatures(value, spec);
    } else if (key == "missing") {
      status = ParseMissing(value, spec);
    } else if (key == "scale") {
      status = ParseScale(value, spec);
    } else if (key == "one_hot") {
      if (!value.is_boolean()) {
        status = absl::InvalidArgumentError(
            absl::StrCat("preprocess.one_hot: expected true or false, got ", Quote(value)));
      } else {
        spec.one_hot = value.get<bool>();
      }
    } else if (key == "reshape") {
      status = ParseReshape(value, spec);
    } else {
      status = absl::InvalidArgumentError(
          absl::StrCat("preprocess: unknown field ", Quote(Json(key)),
                       " (expected features, missing, scale, one_hot, reshape)"));
    }
    if (!status.ok()) return status;
  }
  return spec;
}

nlohmann::json PreprocessSpecToJson(const PreprocessSpec& spec) {
  Json json = Json::object();
  if (spec.features.has_value()) json["features"] = *spec.features;
  if (spec.missing_all.has_value()) {
    json["missing"] = std::string(MissingStrategyName(*spec.missing_all));
  } else if (!spec.missing_by_column.empty()) {
    Json by_column = Json::object();
    for (const auto& [column, strategy] : spec.missing_by_column) {
      by_column[column] = std::string(MissingStrategyName(strategy));
    }
    json["missing"] = std::move(by_column);
  }
  json["scale"] = std::string(ScaleModeName(spec.scale));
  json["one_hot"] = spec.one_hot;
  if (spec.reshape.has_value()) json["reshape"] = *spec.reshape;
  return json;
}

}  // namespace aiaas::training
