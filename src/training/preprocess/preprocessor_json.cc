// FittedPreprocessor::ToJson / FromJson: the document stored beside a trained model.
#include <set>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "training/preprocess/preprocessor.h"

namespace aiaas::training {
namespace {

using Json = nlohmann::json;

constexpr int kFormat = 1;

std::string_view TargetKindName(TargetKind kind) {
  switch (kind) {
    case TargetKind::kClassLabel:
      return "class_label";
    case TargetKind::kRealValue:
      return "real_value";
    case TargetKind::kNone:
      return "none";
  }
  return "none";
}

absl::StatusOr<TargetKind> TargetKindFromJson(const Json& json) {
  if (json == "class_label") return TargetKind::kClassLabel;
  if (json == "real_value") return TargetKind::kRealValue;
  if (json == "none") return TargetKind::kNone;
  return absl::InvalidArgumentError(
      "preprocessor.target.kind: expected class_label, real_value or none");
}

absl::StatusOr<ScaleMode> ScaleFromJson(const Json& json) {
  if (json == "none") return ScaleMode::kNone;
  if (json == "standard") return ScaleMode::kStandard;
  if (json == "minmax") return ScaleMode::kMinMax;
  return absl::InvalidArgumentError("preprocessor.scale: expected none, standard or minmax");
}

}  // namespace

nlohmann::json FittedPreprocessor::ToJson() const {
  Json json = Json::object();
  json["format"] = kFormat;
  json["target"] = {{"column", target_.column},
                    {"kind", std::string(TargetKindName(target_.kind))},
                    {"drop_missing", drop_missing_target_}};
  if (labels_.has_value()) json["labels"] = labels_->ToJson();
  json["scale"] = std::string(ScaleModeName(scale_));
  Json features = Json::array();
  for (const FeatureTransform& feature : features_) {
    features.push_back(FeatureTransformToJson(feature));
  }
  json["features"] = std::move(features);
  json["sample_shape"] = sample_shape_;
  return json;
}

absl::StatusOr<FittedPreprocessor> FittedPreprocessor::FromJson(const nlohmann::json& json) {
  if (!json.is_object() || json.value("format", Json()) != kFormat) {
    return absl::InvalidArgumentError(
        absl::StrCat("preprocessor: expected an object with \"format\": ", kFormat));
  }
  FittedPreprocessor fitted;
  const Json& target = json.value("target", Json());
  if (!target.is_object() || !target.contains("column") || !target["column"].is_string() ||
      !target.contains("drop_missing") || !target["drop_missing"].is_boolean()) {
    return absl::InvalidArgumentError(
        "preprocessor.target: expected {\"column\", \"kind\", \"drop_missing\"}");
  }
  fitted.target_.column = target["column"].get<std::string>();
  absl::StatusOr<TargetKind> kind = TargetKindFromJson(target.value("kind", Json()));
  if (!kind.ok()) return kind.status();
  fitted.target_.kind = *kind;
  fitted.drop_missing_target_ = target["drop_missing"].get<bool>();
  if (fitted.target_.kind != TargetKind::kNone && fitted.target_.column.empty()) {
    return absl::InvalidArgumentError("preprocessor.target.column: must not be empty");
  }
  if (fitted.target_.kind == TargetKind::kClassLabel) {
    if (!json.contains("labels")) {
      return absl::InvalidArgumentError("preprocessor.labels: required for class labels");
    }
    absl::StatusOr<LabelEncoder> labels = LabelEncoder::FromJson(json["labels"]);
    if (!labels.ok()) return labels.status();
    fitted.labels_ = *std::move(labels);
  }
  absl::StatusOr<ScaleMode> scale = ScaleFromJson(json.value("scale", Json()));
  if (!scale.ok()) return scale.status();
  fitted.scale_ = *scale;
  const Json& features = json.value("features", Json());
  if (!features.is_array() || features.empty()) {
    return absl::InvalidArgumentError("preprocessor.features: expected a non-empty array");
  }
  std::set<std::string> names;
  for (const Json& item : features) {
    absl::StatusOr<FeatureTransform> feature = FeatureTransformFromJson(item);
    if (!feature.ok()) return feature.status();
    if (!names.insert(feature->name).second || feature->name == fitted.target_.column) {
      return absl::InvalidArgumentError(
          absl::StrCat("preprocessor.features: column '", feature->name, "' appears twice"));
    }
    fitted.width_ += feature->Width();
    fitted.features_.push_back(*std::move(feature));
  }
  const Json& shape = json.value("sample_shape", Json());
  if (!shape.is_array() || shape.empty()) {
    return absl::InvalidArgumentError("preprocessor.sample_shape: expected a non-empty array");
  }
  std::vector<int64_t> dims;
  for (const Json& dim : shape) {
    if (!dim.is_number_integer()) {
      return absl::InvalidArgumentError("preprocessor.sample_shape: expected integers");
    }
    dims.push_back(dim.get<int64_t>());
  }
  if (absl::Status status = fitted.SetShape(dims); !status.ok()) return status;
  return fitted;
}

}  // namespace aiaas::training
