#include "cli/perf_request.h"

#include "absl/strings/str_cat.h"
#include "cli/perf_tensor_data.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {
namespace {

using nlohmann::ordered_json;

ordered_json TensorHeader(const PerfTensor& tensor) {
  ordered_json header;
  header["name"] = tensor.name;
  header["shape"] = tensor.shape;
  header["datatype"] = std::string(DataTypeName(tensor.dtype));
  return header;
}

std::string Dump(const ordered_json& value) {
  return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace

absl::StatusOr<EncodedRequest> EncodeJsonRequest(const std::vector<PerfTensor>& inputs) {
  ordered_json tensors = ordered_json::array();
  for (const PerfTensor& tensor : inputs) {
    absl::StatusOr<ordered_json> data = TensorDataToJson(tensor.dtype, tensor.data);
    if (!data.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", tensor.name, "': ", data.status().message()));
    }
    ordered_json header = TensorHeader(tensor);
    header["data"] = *std::move(data);
    tensors.push_back(std::move(header));
  }
  ordered_json request;
  request["inputs"] = std::move(tensors);
  return EncodedRequest{Dump(request), "application/json", std::nullopt};
}

EncodedRequest EncodeBinaryRequest(const std::vector<PerfTensor>& inputs,
                                   const std::vector<std::string>& output_names) {
  ordered_json tensors = ordered_json::array();
  size_t data_size = 0;
  for (const PerfTensor& tensor : inputs) {
    ordered_json header = TensorHeader(tensor);
    header["parameters"]["binary_data_size"] = tensor.data.size();
    tensors.push_back(std::move(header));
    data_size += tensor.data.size();
  }
  ordered_json request;
  request["inputs"] = std::move(tensors);
  if (output_names.empty()) {
    request["parameters"]["binary_data_output"] = true;
  } else {
    ordered_json outputs = ordered_json::array();
    for (const std::string& name : output_names) {
      ordered_json output;
      output["name"] = name;
      output["parameters"]["binary_data"] = true;
      outputs.push_back(std::move(output));
    }
    request["outputs"] = std::move(outputs);
  }
  EncodedRequest encoded{Dump(request), "application/octet-stream", std::nullopt};
  encoded.json_header_length = encoded.body.size();
  encoded.body.reserve(encoded.body.size() + data_size);
  for (const PerfTensor& tensor : inputs) encoded.body += tensor.data;
  return encoded;
}

}  // namespace aiaas::cli
