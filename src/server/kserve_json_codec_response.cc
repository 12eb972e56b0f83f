// KServe v2 inference response encoding: the JSON envelope shared by the plain
// encoder (declared in kserve_json_codec.h) and the binary extension's encoder
// (kserve_binary_codec.cc appends the binary outputs after it).
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "server/json_codec_util.h"
#include "server/kserve_json_codec.h"
#include "server/kserve_json_codec_internal.h"

namespace aiaas::server {
namespace kserve_internal {
namespace {

using json_util::Json;

void AppendParameters(const Parameters& parameters, std::string& out) {
  Json object = Json::object();
  for (const auto& [key, value] : parameters) {
    std::visit([&object, &key = key](const auto& v) { object[key] = v; }, value);
  }
  out += object.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Room for the whole response up front: about 3 characters of JSON per tensor byte
// (a float is 4 bytes and ~11 characters with its comma), binary outputs as is.
size_t EstimatedSize(const InferResponse& response, const OutputEncoding& encoding) {
  size_t size = 256;
  for (const auto& [name, tensor] : response.outputs) {
    size += 128 + name.size() + tensor.data.size() * (encoding.IsBinary(name) ? 1 : 3);
  }
  return size;
}

}  // namespace

void AppendResponseJson(const InferResponse& response, const OutputEncoding& encoding,
                        std::string& out) {
  out.reserve(out.size() + EstimatedSize(response, encoding));
  out += '{';
  if (!response.id.empty()) {
    out += "\"id\":";
    json_util::AppendString(response.id, out);
    out += ',';
  }
  out += "\"model_name\":";
  json_util::AppendString(response.model, out);
  out += ",\"model_version\":";
  json_util::AppendString(response.version, out);
  if (!response.parameters.empty()) {
    out += ",\"parameters\":";
    AppendParameters(response.parameters, out);
  }
  out += ",\"outputs\":[";
  bool first = true;
  for (const auto& [name, tensor] : response.outputs) {
    if (!first) out += ',';
    first = false;
    out += "{\"name\":";
    json_util::AppendString(name, out);
    out += ",\"datatype\":\"";
    out += DataTypeName(tensor.dtype);
    out += "\",\"shape\":[";
    for (size_t i = 0; i < tensor.shape.size(); ++i) {
      if (i > 0) out += ',';
      absl::StrAppend(&out, tensor.shape[i]);
    }
    if (encoding.IsBinary(name)) {
      absl::StrAppend(&out, "],\"parameters\":{\"binary_data_size\":", tensor.data.size(), "}}");
      continue;
    }
    out += "],\"data\":";
    json_util::AppendTensorData(tensor, /*nested=*/false, out);
    out += '}';
  }
  out += "]}";
}

}  // namespace kserve_internal

std::string EncodeInferResponse(const InferResponse& response) {
  std::string out;
  kserve_internal::AppendResponseJson(response, OutputEncoding{}, out);
  return out;
}

}  // namespace aiaas::server
