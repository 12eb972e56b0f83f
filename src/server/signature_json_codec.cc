// Management-API signature JSON codec (declared in kserve_json_codec.h).
#include <limits>
#include <new>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/json_codec_util.h"
#include "server/kserve_json_codec.h"

namespace aiaas::server {
namespace {

using json_util::Invalid;
using json_util::Json;
using json_util::ShortDump;
using json_util::TypeName;

absl::StatusOr<TensorSpec> DecodeTensorSpec(const Json& value, std::string_view list,
                                            size_t position) {
  if (!value.is_object()) {
    return Invalid("signature ", list, "[", position, "] must be an object, got ", TypeName(value));
  }
  for (const auto& [key, item] : value.items()) {
    if (key != "name" && key != "datatype" && key != "shape") {
      return Invalid("signature ", list, "[", position, "] has unknown key '", key,
                     "'; allowed keys are name, datatype, shape");
    }
  }
  auto name_it = value.find("name");
  if (name_it == value.end() || !name_it->is_string() || name_it->get<std::string>().empty()) {
    return Invalid("signature ", list, "[", position, "] needs a non-empty string 'name'");
  }
  TensorSpec spec;
  spec.name = name_it->get<std::string>();
  if (auto it = value.find("datatype"); it != value.end()) {
    if (!it->is_string()) {
      return Invalid("signature tensor '", spec.name, "': 'datatype' must be a string, got ",
                     TypeName(*it));
    }
    auto dtype = ParseDataType(it->get<std::string>());
    if (!dtype.ok()) {
      return Invalid("signature tensor '", spec.name, "': ", dtype.status().message());
    }
    spec.dtype = *dtype;
  }
  if (auto it = value.find("shape"); it != value.end()) {
    if (!it->is_array()) {
      return Invalid("signature tensor '", spec.name,
                     "': 'shape' must be an array of integers >= -1, got ", TypeName(*it));
    }
    std::vector<int64_t> shape;
    for (const Json& dim : *it) {
      const bool ok =
          dim.is_number_unsigned()
              ? dim.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
              : dim.is_number_integer() && dim.get<int64_t>() >= -1;
      if (!ok) {
        return Invalid("signature tensor '", spec.name,
                       "': 'shape' must be an array of integers >= -1 (-1 = dynamic), got ",
                       ShortDump(dim), " in it");
      }
      shape.push_back(dim.is_number_unsigned() ? static_cast<int64_t>(dim.get<uint64_t>())
                                               : dim.get<int64_t>());
    }
    spec.shape = std::move(shape);
  }
  return spec;
}

absl::StatusOr<std::vector<TensorSpec>> DecodeTensorSpecs(const Json& doc, const char* list) {
  std::vector<TensorSpec> specs;
  auto it = doc.find(list);
  if (it == doc.end()) return specs;
  if (!it->is_array()) {
    return Invalid("signature '", list, "' must be an array, got ", TypeName(*it));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < it->size(); ++i) {
    AIAAS_ASSIGN_OR_RETURN(TensorSpec spec, DecodeTensorSpec((*it)[i], list, i));
    if (!names.insert(spec.name).second) {
      return Invalid("signature ", list, " name '", spec.name, "' appears more than once");
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

absl::StatusOr<Signature> DecodeSignatureJsonUnsafe(std::string_view body) {
  AIAAS_ASSIGN_OR_RETURN(Json doc, json_util::ParseJsonObject(body));
  for (const auto& [key, item] : doc.items()) {
    if (key != "inputs" && key != "outputs") {
      return Invalid("signature has unknown key '", key, "'; allowed keys are inputs, outputs");
    }
  }
  Signature signature;
  AIAAS_ASSIGN_OR_RETURN(signature.inputs, DecodeTensorSpecs(doc, "inputs"));
  AIAAS_ASSIGN_OR_RETURN(signature.outputs, DecodeTensorSpecs(doc, "outputs"));
  return signature;
}

void AppendTensorSpecs(const std::vector<TensorSpec>& specs, std::string& out) {
  out += '[';
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& spec = specs[i];
    if (i > 0) out += ',';
    out += "{\"name\":";
    json_util::AppendString(spec.name, out);
    if (spec.dtype.has_value()) {
      out += ",\"datatype\":\"";
      out += DataTypeName(*spec.dtype);
      out += '"';
    }
    if (spec.shape.has_value()) {
      out += ",\"shape\":[";
      for (size_t d = 0; d < spec.shape->size(); ++d) {
        if (d > 0) out += ',';
        absl::StrAppend(&out, (*spec.shape)[d]);
      }
      out += ']';
    }
    out += '}';
  }
  out += ']';
}

}  // namespace

absl::StatusOr<Signature> DecodeSignatureJson(std::string_view body) {
  try {
    return DecodeSignatureJsonUnsafe(body);
  } catch (const Json::exception& e) {  // not expected: every access is type-checked
    return Invalid("invalid signature: ", e.what());
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of memory while decoding the signature");
  }
}

std::string EncodeSignatureJson(const Signature& signature) {
  std::string out = "{\"inputs\":";
  AppendTensorSpecs(signature.inputs, out);
  out += ",\"outputs\":";
  AppendTensorSpecs(signature.outputs, out);
  out += '}';
  return out;
}

}  // namespace aiaas::server
