#include "training/preprocess/label_encoder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aiaas::training {
namespace {

using Json = nlohmann::json;

// 2^63 as a double: every integer-valued double in [-2^63, 2^63) converts to int64 exactly.
constexpr double kTwoPow63 = 9223372036854775808.0;

bool IsInt64Value(double value) {
  return std::isfinite(value) && std::floor(value) == value && value >= -kTwoPow63 &&
         value < kTwoPow63;
}

std::string NotAClassError(const Column& target, size_t row, const std::string& shown) {
  return absl::StrCat("target '", target.name, "' row ", row, ": value ", shown,
                      " is not one of the classes seen when the model was trained");
}

}  // namespace

absl::StatusOr<LabelEncoder> LabelEncoder::Fit(const Column& target, MissingTargets missing) {
  LabelEncoder encoder;
  encoder.integer_ = target.kind == ColumnKind::kNumeric;
  size_t missing_count = 0;
  size_t first_missing = 0;
  std::set<int64_t> ints;
  std::set<std::string> strings;
  for (size_t row = 0; row < target.size(); ++row) {
    if (target.IsMissing(row)) {
      if (missing_count++ == 0) first_missing = row;
      continue;
    }
    if (encoder.integer_) {
      double value = target.numbers[row];
      if (!IsInt64Value(value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("target '", target.name, "' row ", row, ": value ", value,
                         " is not an integer; classification needs integer or text labels "
                         "(use task \"regression\" for a continuous target)"));
      }
      ints.insert(static_cast<int64_t>(value));
    } else {
      strings.insert(target.strings[row]);
    }
  }
  if (missing_count > 0 && missing == MissingTargets::kReject) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target '", target.name, "' is missing in ", missing_count, " rows (first: row ",
        first_missing, "); set preprocess.missing to \"drop\" or {\"", target.name,
        "\": \"drop\"} to drop them"));
  }
  encoder.int_classes_.assign(ints.begin(), ints.end());
  encoder.string_classes_.assign(strings.begin(), strings.end());
  if (encoder.NumClasses() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("target '", target.name, "' has ", encoder.NumClasses(),
                     " distinct value(s); classification needs at least 2 classes"));
  }
  return encoder;
}

absl::StatusOr<LabelEncoder> LabelEncoder::FromJson(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("kind") || !json.contains("classes") ||
      !json["classes"].is_array() || json.size() != 2) {
    return absl::InvalidArgumentError(
        "labels: expected {\"kind\": \"integer\"|\"string\", \"classes\": [...]}");
  }
  LabelEncoder encoder;
  const Json& kind = json["kind"];
  const Json& classes = json["classes"];
  if (kind == "integer") {
    encoder.integer_ = true;
    for (const Json& item : classes) {
      if (!item.is_number_integer() ||
          (item.is_number_unsigned() &&
           item.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
        return absl::InvalidArgumentError("labels.classes: expected integers");
      }
      encoder.int_classes_.push_back(item.get<int64_t>());
    }
  } else if (kind == "string") {
    encoder.integer_ = false;
    for (const Json& item : classes) {
      if (!item.is_string()) return absl::InvalidArgumentError("labels.classes: expected strings");
      encoder.string_classes_.push_back(item.get<std::string>());
    }
  } else {
    return absl::InvalidArgumentError("labels.kind: expected \"integer\" or \"string\"");
  }
  bool strictly_sorted =
      encoder.integer_
          ? std::adjacent_find(encoder.int_classes_.begin(), encoder.int_classes_.end(),
                               std::greater_equal<>()) == encoder.int_classes_.end()
          : std::adjacent_find(encoder.string_classes_.begin(), encoder.string_classes_.end(),
                               std::greater_equal<>()) == encoder.string_classes_.end();
  if (!strictly_sorted) {
    return absl::InvalidArgumentError("labels.classes: must be sorted without duplicates");
  }
  if (encoder.NumClasses() < 2) {
    return absl::InvalidArgumentError("labels.classes: need at least 2 classes");
  }
  return encoder;
}

nlohmann::json LabelEncoder::ToJson() const {
  Json json = Json::object();
  json["kind"] = integer_ ? "integer" : "string";
  json["classes"] = integer_ ? Json(int_classes_) : Json(string_classes_);
  return json;
}

absl::StatusOr<int64_t> LabelEncoder::Encode(const Column& target, size_t row) const {
  if (row >= target.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("target '", target.name, "': row ", row, " is out of range"));
  }
  if (target.IsMissing(row)) {
    return absl::InvalidArgumentError(
        absl::StrCat("target '", target.name, "' row ", row, ": value is missing"));
  }
  if ((target.kind == ColumnKind::kNumeric) != integer_) {
    return absl::InvalidArgumentError(
        absl::StrCat("target '", target.name, "' is ", std::string(ColumnKindName(target.kind)),
                     " but the labels are ", integer_ ? "integers" : "strings"));
  }
  if (integer_) {
    double value = target.numbers[row];
    if (IsInt64Value(value)) {
      auto it =
          std::lower_bound(int_classes_.begin(), int_classes_.end(), static_cast<int64_t>(value));
      if (it != int_classes_.end() && *it == static_cast<int64_t>(value)) {
        return static_cast<int64_t>(it - int_classes_.begin());
      }
    }
    return absl::InvalidArgumentError(NotAClassError(target, row, absl::StrCat(value)));
  }
  const std::string& value = target.strings[row];
  auto it = std::lower_bound(string_classes_.begin(), string_classes_.end(), value);
  if (it != string_classes_.end() && *it == value) {
    return static_cast<int64_t>(it - string_classes_.begin());
  }
  return absl::InvalidArgumentError(NotAClassError(target, row, absl::StrCat("'", value, "'")));
}

absl::StatusOr<std::vector<int64_t>> LabelEncoder::EncodeRows(
    const Column& target, const std::vector<size_t>& rows) const {
  std::vector<int64_t> encoded;
  encoded.reserve(rows.size());
  for (size_t row : rows) {
    absl::StatusOr<int64_t> index = Encode(target, row);
    if (!index.ok()) return index.status();
    encoded.push_back(*index);
  }
  return encoded;
}

absl::StatusOr<int64_t> LabelEncoder::DecodeInteger(int64_t index) const {
  if (!integer_ || index < 0 || static_cast<size_t>(index) >= int_classes_.size()) {
    return absl::OutOfRangeError(absl::StrCat("no integer label for class index ", index));
  }
  return int_classes_[static_cast<size_t>(index)];
}

absl::StatusOr<std::string> LabelEncoder::DecodeString(int64_t index) const {
  if (integer_ || index < 0 || static_cast<size_t>(index) >= string_classes_.size()) {
    return absl::OutOfRangeError(absl::StrCat("no string label for class index ", index));
  }
  return string_classes_[static_cast<size_t>(index)];
}

std::vector<std::string> LabelEncoder::ClassNames() const {
  if (!integer_) return string_classes_;
  std::vector<std::string> names;
  names.reserve(int_classes_.size());
  for (int64_t value : int_classes_) names.push_back(absl::StrCat(value));
  return names;
}

}  // namespace aiaas::training
