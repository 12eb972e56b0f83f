#include "server/management_json.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/kserve_json_codec.h"
#include "server/serving_config_json.h"

namespace aiaas::server {
namespace {

using nlohmann::json;

// dump() with replacement so invalid UTF-8 in stored strings never throws.
std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json ModelObject(const services::ModelView& view) {
  json aliases = json::object();
  for (const auto& alias : view.aliases) aliases[alias.alias] = alias.version;
  json labels = json::object();
  for (const auto& [key, value] : view.model.labels) labels[key] = value;
  return json{{"name", view.model.name},
              {"description", view.model.description},
              {"labels", labels},
              {"visibility", view.model.visibility},
              {"created_at", FormatTimeMs(view.model.created_at_ms)},
              {"updated_at", FormatTimeMs(view.model.updated_at_ms)},
              {"latest_version", view.latest_version.has_value()
                                     ? json(*view.latest_version)
                                     : json(nullptr)},
              {"aliases", aliases}};
}

json SignatureObject(const Signature& signature) {
  return json::parse(EncodeSignatureJson(signature), nullptr, false);
}

// A stored JSON object column; an empty object when unreadable.
json StoredObject(const std::string& text) {
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_object() ? value : json::object();
}

json VersionObject(const storage::VersionRecord& version) {
  json object{{"model", version.model},
              {"version", version.version},
              {"format", version.format},
              {"digest", version.digest},
              {"size_bytes", version.size_bytes},
              {"description", version.description},
              {"signature", SignatureObject(version.signature)},
              {"config", json::parse(EncodeServingConfigJson(version.config), nullptr, false)},
              {"created_at", FormatTimeMs(version.created_at_ms)}};
  // A trained version says how it scored and where it came from (issue #5).
  json metrics = StoredObject(version.metrics_json);
  json lineage = StoredObject(version.lineage_json);
  if (!metrics.empty()) object["metrics"] = std::move(metrics);
  if (!lineage.empty()) object["lineage"] = std::move(lineage);
  return object;
}

json TensorMetadata(const TensorSpec& spec) {
  json object = {{"name", spec.name}};
  if (spec.dtype.has_value()) object["datatype"] = std::string(DataTypeName(*spec.dtype));
  if (spec.shape.has_value()) object["shape"] = *spec.shape;
  return object;
}

std::string Platform(const std::string& format) {
  if (format == "torchscript") return "pytorch_torchscript";
  if (format == "onnx") return "onnx_onnxv1";
  return format;
}

}  // namespace

std::string FormatTimeMs(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms),
                          absl::UTCTimeZone());
}

std::string ModelJson(const services::ModelView& view) { return Dump(ModelObject(view)); }

std::string ModelListJson(const storage::Page<services::ModelView>& page) {
  json models = json::array();
  for (const auto& view : page.items) models.push_back(ModelObject(view));
  return Dump(json{{"models", models}, {"next_page_token", page.next_page_token}});
}

std::string VersionJson(const storage::VersionRecord& version) {
  return Dump(VersionObject(version));
}

std::string VersionListJson(const std::vector<storage::VersionRecord>& versions) {
  json list = json::array();
  for (const auto& version : versions) list.push_back(VersionObject(version));
  return Dump(json{{"versions", list}});
}

std::string AliasJson(const storage::AliasRecord& alias) {
  return Dump(json{{"alias", alias.alias}, {"version", alias.version}});
}

std::string AliasListJson(const std::vector<storage::AliasRecord>& aliases) {
  json list = json::array();
  for (const auto& alias : aliases) {
    list.push_back(json{{"alias", alias.alias}, {"version", alias.version}});
  }
  return Dump(json{{"aliases", list}});
}

std::string V2ModelMetadataJson(const storage::VersionRecord& version,
                                const std::vector<storage::VersionRecord>& all_versions) {
  json versions = json::array();
  for (const auto& v : all_versions) versions.push_back(absl::StrCat(v.version));
  json inputs = json::array();
  for (const auto& spec : version.signature.inputs) inputs.push_back(TensorMetadata(spec));
  json outputs = json::array();
  for (const auto& spec : version.signature.outputs) outputs.push_back(TensorMetadata(spec));
  return Dump(json{{"name", version.model},
                   {"versions", versions},
                   {"platform", Platform(version.format)},
                   {"inputs", inputs},
                   {"outputs", outputs}});
}

}  // namespace aiaas::server
