// KServe v2 / Open Inference Protocol request decoding, plain JSON and with the
// binary tensor extension. The JSON header is parsed with simdjson; every input's
// name, datatype, shape and data size is checked, for all inputs, before any
// tensor memory is allocated; then values go straight from the parser's tape (or
// the binary section) into the tensors. Response encoding is in
// kserve_json_codec_response.cc; the v1 predict and signature codecs declared in
// kserve_json_codec.h live in v1_predict_codec.cc and signature_json_codec.cc.
#include "server/kserve_json_codec.h"

#include <new>
#include <optional>
#include <set>
#include <utility>
#include <variant>

#include "common/signature_check.h"
#include "common/status_macros.h"
#include "server/json_codec_util.h"
#include "server/json_codec_util_simdjson.h"
#include "server/kserve_binary_codec.h"
#include "server/kserve_json_codec_internal.h"
#include "server/kserve_json_codec_values.h"

namespace aiaas::server {
namespace {

using json_util::Invalid;
using json_util::ShortDump;
using json_util::TypeName;
using kserve_internal::InputLayout;
using kserve_internal::JsonData;
using simdjson::SUCCESS;
using simdjson::dom::element;
using simdjson::dom::element_type;

// An input checked up to its values. Exactly one of `json_data` and
// `binary_size_bytes` is set.
struct PendingInput {
  InputLayout layout;
  std::optional<JsonData> json_data;
  std::optional<uint64_t> binary_size_bytes;
};

// What reading one input needs to know about the request and the inputs before it.
struct InputContext {
  const Signature& signature;
  const CodecLimits& limits;
  bool has_binary_section = false;  // the Inference-Header-Content-Length header was given
  std::set<std::string> names;      // of the inputs read so far
};

absl::StatusOr<ParameterValue> DecodeParameterValue(element value, std::string_view context,
                                                    std::string_view key) {
  switch (value.type()) {
    case element_type::BOOL:
      return ParameterValue(value.get_bool().value_unsafe());
    case element_type::INT64:
      return ParameterValue(value.get_int64().value_unsafe());
    case element_type::UINT64:  // only integers above the int64 maximum are UINT64
      return Invalid(context, " parameter '", key, "' is larger than the int64 maximum");
    case element_type::DOUBLE:
      return ParameterValue(value.get_double().value_unsafe());
    case element_type::STRING:
      return ParameterValue(std::string(value.get_string().value_unsafe()));
    default:
      return Invalid(context, " parameter '", key, "' is ", TypeName(value),
                     "; parameters must be booleans, numbers or strings");
  }
}

// `context` names the owner in messages: "request", "input 'x'".
absl::StatusOr<Parameters> DecodeParameters(element value, std::string_view context) {
  simdjson::dom::object object;
  if (value.get_object().get(object) != SUCCESS) {
    return Invalid(context, " 'parameters' must be an object, got ", TypeName(value));
  }
  Parameters parameters;
  for (const auto& [key, item] : object) {
    AIAAS_ASSIGN_OR_RETURN(parameters[std::string(key)], DecodeParameterValue(item, context, key));
  }
  return parameters;
}

// A boolean extension parameter ("binary_data", "binary_data_output"), if given.
absl::StatusOr<std::optional<bool>> FlagParameter(const Parameters& parameters,
                                                  const std::string& key,
                                                  std::string_view context) {
  auto it = parameters.find(key);
  if (it == parameters.end()) return std::nullopt;
  if (const bool* flag = std::get_if<bool>(&it->second)) return *flag;
  return Invalid(context, " parameter '", key, "' must be true or false");
}

absl::StatusOr<std::vector<int64_t>> DecodeShape(element value, const std::string& input) {
  simdjson::dom::array dims;
  if (value.get_array().get(dims) != SUCCESS) {
    return Invalid("input '", input, "': 'shape' must be an array of non-negative integers, got ",
                   TypeName(value));
  }
  std::vector<int64_t> shape;
  for (element dim : dims) {
    // Integers above the int64 maximum are UINT64 and, like negatives, no valid dim.
    const bool valid = dim.type() == element_type::INT64 && dim.get_int64().value_unsafe() >= 0;
    if (!valid) {
      return Invalid("input '", input, "': 'shape' must be an array of non-negative integers, got ",
                     ShortDump(dim), " in it");
    }
    shape.push_back(dim.get_int64().value_unsafe());
  }
  return shape;
}

absl::Status CheckJsonCarriesType(DataType dtype, const std::string& input) {
  switch (dtype) {
    case DataType::kFp16:
    case DataType::kBf16:
      return Invalid("input '", input, "': ", DataTypeName(dtype),
                     " data cannot be carried in JSON; use the binary tensor extension");
    case DataType::kBytes:
      return Invalid("input '", input,
                     "': BYTES inputs are not supported in JSON; send them with the binary "
                     "tensor extension (binary_data_size)");
    default:
      return absl::OkStatus();
  }
}

// The fields of an input object; the last of repeated keys wins, as with nlohmann.
struct InputFields {
  std::optional<element> name, datatype, shape, parameters, data;
};

InputFields ReadInputFields(simdjson::dom::object input) {
  InputFields fields;
  for (const auto& [key, value] : input) {
    if (key == "name") fields.name = value;
    if (key == "datatype") fields.datatype = value;
    if (key == "shape") fields.shape = value;
    if (key == "parameters") fields.parameters = value;
    if (key == "data") fields.data = value;
  }
  return fields;
}

// Checks inputs[position] up to its values and adds its name to context.names.
absl::StatusOr<PendingInput> DecodeInputLayout(element input, size_t position,
                                               InputContext& context) {
  simdjson::dom::object object;
  if (input.get_object().get(object) != SUCCESS) {
    return Invalid("inputs[", position, "] must be an object, got ", TypeName(input));
  }
  const InputFields fields = ReadInputFields(object);
  std::string_view text;
  if (!fields.name || fields.name->get_string().get(text) != SUCCESS || text.empty()) {
    return Invalid("inputs[", position, "] needs a non-empty string 'name'");
  }
  PendingInput pending;
  InputLayout& layout = pending.layout;
  layout.name = std::string(text);
  const std::string& name = layout.name;
  if (!context.names.insert(name).second) {
    return Invalid("input '", name, "' is given more than once");
  }

  if (!fields.datatype || fields.datatype->get_string().get(text) != SUCCESS) {
    return Invalid("input '", name, "' needs a string 'datatype'");
  }
  auto dtype = ParseDataType(text);
  if (!dtype.ok()) return Invalid("input '", name, "': ", dtype.status().message());
  layout.dtype = *dtype;
  if (!fields.shape) return Invalid("input '", name, "' needs a 'shape'");
  AIAAS_ASSIGN_OR_RETURN(layout.shape, DecodeShape(*fields.shape, name));

  // Metadata first: nothing is allocated for an input the model would reject.
  AIAAS_RETURN_IF_ERROR(
      CheckInputAgainstSignature(context.signature, name, layout.dtype, layout.shape));
  auto count = ElementCount(layout.shape, context.limits.max_elements_per_tensor);
  if (!count.ok()) return Invalid("input '", name, "': ", count.status().message());
  layout.element_count = *count;

  if (fields.parameters) {
    AIAAS_ASSIGN_OR_RETURN(
        Parameters parameters,
        DecodeParameters(*fields.parameters, json_util::Concat("input '", name, "'")));
    if (auto it = parameters.find("binary_data_size"); it != parameters.end()) {
      AIAAS_ASSIGN_OR_RETURN(pending.binary_size_bytes,
                             kserve_internal::BinaryDataSize(it->second, name));
    }
  }
  if (pending.binary_size_bytes) {
    if (fields.data) {
      return Invalid("input '", name,
                     "' has both 'data' and a binary_data_size parameter; send one or the other");
    }
    if (!context.has_binary_section) {
      return Invalid("input '", name,
                     "': the binary tensor extension (binary_data_size) is not supported without "
                     "the Inference-Header-Content-Length header, which says where the JSON ends "
                     "and the binary data begins");
    }
    AIAAS_RETURN_IF_ERROR(kserve_internal::CheckBinaryDataSize(layout, *pending.binary_size_bytes));
    return pending;
  }
  AIAAS_RETURN_IF_ERROR(CheckJsonCarriesType(layout.dtype, name));
  if (!fields.data) return Invalid("input '", name, "' has no 'data'");
  AIAAS_ASSIGN_OR_RETURN(
      pending.json_data,
      kserve_internal::CheckDataLayout(*fields.data, layout, json_util::LeafCheck::kLengthsOnly));
  return pending;
}

absl::Status DecodeRequestedOutputs(element outputs, std::vector<std::string>& names,
                                    OutputEncoding& encoding) {
  simdjson::dom::array array;
  if (outputs.get_array().get(array) != SUCCESS) {
    return Invalid("'outputs' must be an array of {\"name\": ...} objects, got ",
                   TypeName(outputs));
  }
  std::set<std::string> seen;
  size_t i = 0;
  for (element output : array) {
    simdjson::dom::object object;
    if (output.get_object().get(object) != SUCCESS) {
      return Invalid("outputs[", i, "] must be an object, got ", TypeName(output));
    }
    std::optional<element> name_field, parameters_field;
    for (const auto& [key, value] : object) {
      if (key == "name") name_field = value;
      if (key == "parameters") parameters_field = value;
    }
    std::string_view text;
    if (!name_field || name_field->get_string().get(text) != SUCCESS || text.empty()) {
      return Invalid("outputs[", i, "] needs a non-empty string 'name'");
    }
    std::string name(text);
    if (!seen.insert(name).second) return Invalid("output '", name, "' is requested twice");
    if (parameters_field) {
      const std::string context = json_util::Concat("output '", name, "'");
      AIAAS_ASSIGN_OR_RETURN(Parameters parameters, DecodeParameters(*parameters_field, context));
      AIAAS_ASSIGN_OR_RETURN(std::optional<bool> binary,
                             FlagParameter(parameters, "binary_data", context));
      if (binary) (*binary ? encoding.binary_outputs : encoding.json_outputs).insert(name);
    }
    names.push_back(std::move(name));
    ++i;
  }
  return absl::OkStatus();
}

// Reads the values of every pending input (all checked) into `request.inputs`.
// `binary` is the part of the body after the JSON header.
absl::Status ReadInputValues(std::vector<PendingInput>& pending, std::string_view binary,
                             InferRequest& request) {
  size_t offset = 0;
  for (PendingInput& input : pending) {
    InputLayout& layout = input.layout;
    Tensor tensor;
    tensor.dtype = layout.dtype;
    if (input.binary_size_bytes) {
      // CheckBinarySection made the sizes add up to binary.size(), so this fits.
      const auto size = static_cast<size_t>(*input.binary_size_bytes);
      AIAAS_ASSIGN_OR_RETURN(tensor.data,
                             kserve_internal::ReadBinaryData(binary.substr(offset, size), layout));
      offset += size;
    } else {
      tensor.data.resize(static_cast<size_t>(layout.element_count) * DataTypeSize(layout.dtype));
      AIAAS_RETURN_IF_ERROR(
          kserve_internal::ConvertJsonData(*input.json_data, layout, tensor.data.data()));
    }
    tensor.shape = std::move(layout.shape);
    request.inputs.emplace(std::move(layout.name), std::move(tensor));
  }
  return absl::OkStatus();
}

absl::StatusOr<DecodedInferRequest> DecodeInferRequestUnsafe(
    std::string_view body, std::optional<size_t> json_header_length, const Signature& signature,
    const CodecLimits& limits) {
  if (json_header_length && *json_header_length > body.size()) {
    return Invalid("Inference-Header-Content-Length is ", *json_header_length,
                   " but the body has only ", body.size(), " bytes");
  }
  const size_t json_length = json_header_length.value_or(body.size());
  AIAAS_ASSIGN_OR_RETURN(json_util::SimdjsonObject doc,
                         json_util::SimdjsonObject::Parse(body.substr(0, json_length)));
  std::optional<element> id, parameters, inputs, outputs;  // the last of repeated keys wins
  for (const auto& [key, value] : doc.root()) {
    if (key == "id") id = value;
    if (key == "parameters") parameters = value;
    if (key == "inputs") inputs = value;
    if (key == "outputs") outputs = value;
  }

  DecodedInferRequest decoded;
  InferRequest& request = decoded.request;
  if (id) {
    std::string_view text;
    if (id->get_string().get(text) != SUCCESS) {
      return Invalid("'id' must be a string, got ", TypeName(*id));
    }
    request.id = std::string(text);
  }
  if (parameters) {
    AIAAS_ASSIGN_OR_RETURN(request.parameters, DecodeParameters(*parameters, "request"));
    AIAAS_ASSIGN_OR_RETURN(std::optional<bool> binary_output,
                           FlagParameter(request.parameters, "binary_data_output", "request"));
    decoded.output_encoding.binary_by_default = binary_output.value_or(false);
  }
  if (!inputs) return Invalid("the request has no 'inputs'");
  simdjson::dom::array input_array;
  if (inputs->get_array().get(input_array) != SUCCESS || input_array.begin() == input_array.end()) {
    return Invalid("'inputs' must be a non-empty array of input objects");
  }
  InputContext context{signature, limits, json_header_length.has_value(), {}};
  std::vector<PendingInput> pending;
  std::vector<std::string> names;
  for (element input : input_array) {
    AIAAS_ASSIGN_OR_RETURN(PendingInput checked, DecodeInputLayout(input, pending.size(), context));
    names.push_back(checked.layout.name);
    pending.push_back(std::move(checked));
  }
  AIAAS_RETURN_IF_ERROR(CheckAllInputsPresent(signature, names));
  if (outputs) {
    AIAAS_RETURN_IF_ERROR(
        DecodeRequestedOutputs(*outputs, request.requested_outputs, decoded.output_encoding));
  }
  if (json_header_length) {
    std::vector<uint64_t> binary_sizes;
    for (const PendingInput& input : pending) {
      if (input.binary_size_bytes) binary_sizes.push_back(*input.binary_size_bytes);
    }
    AIAAS_RETURN_IF_ERROR(
        kserve_internal::CheckBinarySection(binary_sizes, json_length, body.size()));
  }
  AIAAS_RETURN_IF_ERROR(ReadInputValues(pending, body.substr(json_length), request));
  return decoded;
}

}  // namespace

absl::StatusOr<DecodedInferRequest> DecodeInferRequest(std::string_view body,
                                                       std::optional<size_t> json_header_length,
                                                       const Signature& signature,
                                                       const CodecLimits& limits) {
  try {
    return DecodeInferRequestUnsafe(body, json_header_length, signature, limits);
  } catch (const json_util::Json::exception& e) {  // not expected: error paths only
    return Invalid("invalid request: ", e.what());
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of memory while decoding the request");
  }
}

absl::StatusOr<InferRequest> DecodeInferRequest(std::string_view body, const Signature& signature,
                                                const CodecLimits& limits) {
  AIAAS_ASSIGN_OR_RETURN(DecodedInferRequest decoded,
                         DecodeInferRequest(body, std::nullopt, signature, limits));
  const OutputEncoding& encoding = decoded.output_encoding;
  if (!encoding.binary_outputs.empty()) {
    return Invalid("output '", *encoding.binary_outputs.begin(),
                   "': the binary tensor extension (binary_data) is not supported; "
                   "outputs are returned as JSON");
  }
  // A request-wide "binary_data_output" is ignored, as it always was: Triton's
  // client sets it by default and reads JSON outputs just as well.
  return std::move(decoded.request);
}

}  // namespace aiaas::server
