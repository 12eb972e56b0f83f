// KServe v2 / Open Inference Protocol request decoding and response encoding.
// The v1 predict and signature codecs declared in the same header live in
// v1_predict_codec.cc and signature_json_codec.cc.
#include "server/kserve_json_codec.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <set>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/signature_check.h"
#include "common/status_macros.h"
#include "server/json_codec_util.h"

namespace aiaas::server {
namespace {

using json_util::Invalid;
using json_util::Json;
using json_util::ShortDump;
using json_util::TypeName;

absl::StatusOr<ParameterValue> DecodeParameterValue(const Json& value, std::string_view context,
                                                    const std::string& key) {
  switch (value.type()) {
    case Json::value_t::boolean:
      return ParameterValue(value.get<bool>());
    case Json::value_t::number_integer:
      return ParameterValue(value.get<int64_t>());
    case Json::value_t::number_unsigned: {
      const auto unsigned_value = value.get<uint64_t>();
      if (unsigned_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return Invalid(context, " parameter '", key, "' is larger than the int64 maximum");
      }
      return ParameterValue(static_cast<int64_t>(unsigned_value));
    }
    case Json::value_t::number_float:
      return ParameterValue(value.get<double>());
    case Json::value_t::string:
      return ParameterValue(value.get<std::string>());
    default:
      return Invalid(context, " parameter '", key, "' is ", TypeName(value),
                     "; parameters must be booleans, numbers or strings");
  }
}

// `context` names the owner in messages: "request", "input 'x'".
absl::StatusOr<Parameters> DecodeParameters(const Json& value, std::string_view context) {
  if (!value.is_object()) {
    return Invalid(context, " 'parameters' must be an object, got ", TypeName(value));
  }
  Parameters parameters;
  for (const auto& [key, item] : value.items()) {
    AIAAS_ASSIGN_OR_RETURN(parameters[key], DecodeParameterValue(item, context, key));
  }
  return parameters;
}

absl::StatusOr<std::vector<int64_t>> DecodeShape(const Json& value, const std::string& input) {
  if (!value.is_array()) {
    return Invalid("input '", input, "': 'shape' must be an array of non-negative integers, got ",
                   TypeName(value));
  }
  std::vector<int64_t> shape;
  shape.reserve(value.size());
  for (const Json& dim : value) {
    // Non-negative JSON integers parse as unsigned; anything else is not a valid dim.
    if (!dim.is_number_unsigned() ||
        dim.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Invalid("input '", input, "': 'shape' must be an array of non-negative integers, got ",
                     ShortDump(dim), " in it");
    }
    shape.push_back(static_cast<int64_t>(dim.get<uint64_t>()));
  }
  return shape;
}

// Converts one JSON scalar to T; the error text says what was wrong and expected.
template <typename T>
absl::Status ConvertValue(const Json& value, DataType dtype, T& out) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) return Invalid(" is ", TypeName(value), "; BOOL needs true or false");
    out = value.get<bool>();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number()) {
      return Invalid(" is ", TypeName(value), "; ", DataTypeName(dtype), " needs a number");
    }
    const double number = value.get<double>();
    if (!std::isfinite(number) ||
        std::fabs(number) > static_cast<double>(std::numeric_limits<T>::max())) {
      return Invalid(" is out of range for ", DataTypeName(dtype));
    }
    out = static_cast<T>(number);
  } else {
    if (!value.is_number_integer()) {
      return Invalid(" is ", TypeName(value), "; ", DataTypeName(dtype), " needs an integer");
    }
    bool in_range;
    if (value.is_number_unsigned()) {
      const auto number = value.get<uint64_t>();
      in_range = number <= static_cast<uint64_t>(std::numeric_limits<T>::max());
      out = static_cast<T>(number);
    } else {
      const auto number = value.get<int64_t>();
      if constexpr (std::is_signed_v<T>) {
        in_range = number >= std::numeric_limits<T>::min() &&
                   number <= static_cast<int64_t>(std::numeric_limits<T>::max());
      } else {
        in_range = number >= 0 && static_cast<uint64_t>(number) <= std::numeric_limits<T>::max();
      }
      out = static_cast<T>(number);
    }
    if (!in_range) {
      using Wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
      return Invalid(" is out of range for ", DataTypeName(dtype), " (",
                     static_cast<Wide>(std::numeric_limits<T>::min()), "..",
                     static_cast<Wide>(std::numeric_limits<T>::max()), ")");
    }
  }
  return absl::OkStatus();
}

// Converts every leaf of a validated `data` into `out` (already sized).
template <typename T>
absl::Status ConvertData(const Json& data, size_t leaf_depth, DataType dtype,
                         const std::string& input, std::vector<std::byte>& out) {
  auto convert = [&](const Json& value, int64_t index) -> absl::Status {
    T converted{};
    absl::Status status = ConvertValue<T>(value, dtype, converted);
    if (!status.ok()) {
      return Invalid("input '", input, "': value ", ShortDump(value), " at index ", index,
                     status.message());
    }
    if constexpr (std::is_same_v<T, bool>) {
      out[index] = static_cast<std::byte>(converted ? 1 : 0);
    } else {
      std::memcpy(out.data() + index * sizeof(T), &converted, sizeof(T));
    }
    return absl::OkStatus();
  };
  int64_t index = 0;
  return json_util::ForEachLeaf(data, leaf_depth, convert, index);
}

absl::Status ConvertByType(const Json& data, size_t leaf_depth, DataType dtype,
                           const std::string& input, std::vector<std::byte>& out) {
  switch (dtype) {
    case DataType::kBool:
      return ConvertData<bool>(data, leaf_depth, dtype, input, out);
    case DataType::kUint8:
      return ConvertData<uint8_t>(data, leaf_depth, dtype, input, out);
    case DataType::kUint16:
      return ConvertData<uint16_t>(data, leaf_depth, dtype, input, out);
    case DataType::kUint32:
      return ConvertData<uint32_t>(data, leaf_depth, dtype, input, out);
    case DataType::kUint64:
      return ConvertData<uint64_t>(data, leaf_depth, dtype, input, out);
    case DataType::kInt8:
      return ConvertData<int8_t>(data, leaf_depth, dtype, input, out);
    case DataType::kInt16:
      return ConvertData<int16_t>(data, leaf_depth, dtype, input, out);
    case DataType::kInt32:
      return ConvertData<int32_t>(data, leaf_depth, dtype, input, out);
    case DataType::kInt64:
      return ConvertData<int64_t>(data, leaf_depth, dtype, input, out);
    case DataType::kFp32:
      return ConvertData<float>(data, leaf_depth, dtype, input, out);
    case DataType::kFp64:
      return ConvertData<double>(data, leaf_depth, dtype, input, out);
    case DataType::kFp16:
    case DataType::kBf16:
    case DataType::kBytes:
      break;  // rejected by CheckJsonCarriesType before any data is read
  }
  return Invalid("input '", input, "': ", DataTypeName(dtype), " data is not supported in JSON");
}

absl::Status CheckJsonCarriesType(DataType dtype, const std::string& input) {
  switch (dtype) {
    case DataType::kFp16:
    case DataType::kBf16:
      return Invalid("input '", input, "': ", DataTypeName(dtype),
                     " data cannot be carried in JSON; use the binary tensor extension");
    case DataType::kBytes:
      return Invalid("input '", input, "': BYTES inputs are not supported yet");
    default:
      return absl::OkStatus();
  }
}

// Checks that `data` holds `count` values laid out flat or nested like `shape`,
// and returns the depth of its leaves (0 = flat).
absl::StatusOr<size_t> CheckDataLayout(const Json& data, const std::vector<int64_t>& shape,
                                       int64_t count, const std::string& input) {
  if (!data.is_array()) {
    return Invalid("input '", input, "': 'data' must be an array, got ", TypeName(data));
  }
  const bool nested = !data.empty() && data.front().is_array();
  if (!nested) {
    if (static_cast<int64_t>(data.size()) != count) {
      return Invalid("input '", input, "': shape ", ShapeToString(shape), " needs ", count,
                     " values, got ", data.size());
    }
    for (size_t i = 0; i < data.size(); ++i) {
      if (data[i].is_array()) {
        return Invalid("input '", input, "': 'data' mixes values and arrays (data[", i,
                       "] is an array); send it flat or nested like the shape");
      }
    }
    return size_t{0};
  }
  if (shape.size() < 2) {
    return Invalid("input '", input, "': 'data' is nested but shape ", ShapeToString(shape),
                   " has fewer than 2 dimensions; send it flat");
  }
  absl::Status status = json_util::CheckNesting(data, shape, "data");
  if (!status.ok()) {
    return Invalid("input '", input, "': nested data does not match shape ", ShapeToString(shape),
                   ": ", status.message());
  }
  return shape.size() - 1;
}

// Decodes inputs[position] and sets `name`; `decoded` holds the inputs before it.
absl::StatusOr<Tensor> DecodeInput(const Json& input, size_t position, const Signature& signature,
                                   const CodecLimits& limits, const TensorMap& decoded,
                                   std::string& name) {
  if (!input.is_object()) {
    return Invalid("inputs[", position, "] must be an object, got ", TypeName(input));
  }
  auto name_it = input.find("name");
  if (name_it == input.end() || !name_it->is_string() || name_it->get<std::string>().empty()) {
    return Invalid("inputs[", position, "] needs a non-empty string 'name'");
  }
  name = name_it->get<std::string>();
  if (decoded.count(name) != 0) return Invalid("input '", name, "' is given more than once");

  auto datatype_it = input.find("datatype");
  if (datatype_it == input.end() || !datatype_it->is_string()) {
    return Invalid("input '", name, "' needs a string 'datatype'");
  }
  auto dtype = ParseDataType(datatype_it->get<std::string>());
  if (!dtype.ok()) return Invalid("input '", name, "': ", dtype.status().message());

  auto shape_it = input.find("shape");
  if (shape_it == input.end()) return Invalid("input '", name, "' needs a 'shape'");
  AIAAS_ASSIGN_OR_RETURN(std::vector<int64_t> shape, DecodeShape(*shape_it, name));

  // Metadata first: nothing below allocates for an input the model would reject.
  AIAAS_RETURN_IF_ERROR(CheckInputAgainstSignature(signature, name, *dtype, shape));
  auto count = ElementCount(shape, limits.max_elements_per_tensor);
  if (!count.ok()) return Invalid("input '", name, "': ", count.status().message());

  if (auto it = input.find("parameters"); it != input.end()) {
    AIAAS_ASSIGN_OR_RETURN(Parameters parameters,
                           DecodeParameters(*it, absl::StrCat("input '", name, "'")));
    if (parameters.count("binary_data_size") != 0) {
      return Invalid("input '", name,
                     "': the binary tensor extension (binary_data_size) is not supported; "
                     "send 'data' as JSON");
    }
  }
  AIAAS_RETURN_IF_ERROR(CheckJsonCarriesType(*dtype, name));
  auto data_it = input.find("data");
  if (data_it == input.end()) return Invalid("input '", name, "' has no 'data'");
  AIAAS_ASSIGN_OR_RETURN(size_t leaf_depth, CheckDataLayout(*data_it, shape, *count, name));

  Tensor tensor;
  tensor.dtype = *dtype;
  const size_t element_size = DataTypeSize(*dtype);
  if (element_size > 0) tensor.data.resize(static_cast<size_t>(*count) * element_size);
  AIAAS_RETURN_IF_ERROR(ConvertByType(*data_it, leaf_depth, *dtype, name, tensor.data));
  tensor.shape = std::move(shape);
  return tensor;
}

absl::StatusOr<std::vector<std::string>> DecodeRequestedOutputs(const Json& outputs) {
  if (!outputs.is_array()) {
    return Invalid("'outputs' must be an array of {\"name\": ...} objects, got ",
                   TypeName(outputs));
  }
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Json& output = outputs[i];
    if (!output.is_object()) {
      return Invalid("outputs[", i, "] must be an object, got ", TypeName(output));
    }
    auto name_it = output.find("name");
    if (name_it == output.end() || !name_it->is_string() || name_it->get<std::string>().empty()) {
      return Invalid("outputs[", i, "] needs a non-empty string 'name'");
    }
    std::string name = name_it->get<std::string>();
    if (!seen.insert(name).second) return Invalid("output '", name, "' is requested twice");
    if (auto it = output.find("parameters"); it != output.end()) {
      AIAAS_ASSIGN_OR_RETURN(Parameters parameters,
                             DecodeParameters(*it, absl::StrCat("output '", name, "'")));
      auto binary = parameters.find("binary_data");
      if (binary != parameters.end() && binary->second == ParameterValue(true)) {
        return Invalid("output '", name,
                       "': the binary tensor extension (binary_data) is not supported; "
                       "outputs are returned as JSON");
      }
    }
    names.push_back(std::move(name));
  }
  return names;
}

absl::StatusOr<InferRequest> DecodeInferRequestUnsafe(std::string_view body,
                                                      const Signature& signature,
                                                      const CodecLimits& limits) {
  AIAAS_ASSIGN_OR_RETURN(Json doc, json_util::ParseJsonObject(body));
  InferRequest request;
  if (auto it = doc.find("id"); it != doc.end()) {
    if (!it->is_string()) return Invalid("'id' must be a string, got ", TypeName(*it));
    request.id = it->get<std::string>();
  }
  if (auto it = doc.find("parameters"); it != doc.end()) {
    AIAAS_ASSIGN_OR_RETURN(request.parameters, DecodeParameters(*it, "request"));
  }
  auto inputs_it = doc.find("inputs");
  if (inputs_it == doc.end()) return Invalid("the request has no 'inputs'");
  if (!inputs_it->is_array() || inputs_it->empty()) {
    return Invalid("'inputs' must be a non-empty array of input objects");
  }
  std::vector<std::string> names;
  for (size_t i = 0; i < inputs_it->size(); ++i) {
    std::string name;
    AIAAS_ASSIGN_OR_RETURN(
        Tensor tensor, DecodeInput((*inputs_it)[i], i, signature, limits, request.inputs, name));
    request.inputs.emplace(name, std::move(tensor));
    names.push_back(std::move(name));
  }
  AIAAS_RETURN_IF_ERROR(CheckAllInputsPresent(signature, names));
  if (auto it = doc.find("outputs"); it != doc.end()) {
    AIAAS_ASSIGN_OR_RETURN(request.requested_outputs, DecodeRequestedOutputs(*it));
  }
  return request;
}

void AppendParameters(const Parameters& parameters, std::string& out) {
  Json object = Json::object();
  for (const auto& [key, value] : parameters) {
    std::visit([&object, &key = key](const auto& v) { object[key] = v; }, value);
  }
  out += object.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

absl::StatusOr<InferRequest> DecodeInferRequest(std::string_view body, const Signature& signature,
                                                const CodecLimits& limits) {
  try {
    return DecodeInferRequestUnsafe(body, signature, limits);
  } catch (const Json::exception& e) {  // not expected: every access is type-checked
    return Invalid("invalid request: ", e.what());
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError("out of memory while decoding the request");
  }
}

std::string EncodeInferResponse(const InferResponse& response) {
  std::string out = "{";
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
    out += "],\"data\":";
    json_util::AppendTensorData(tensor, /*nested=*/false, out);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace aiaas::server
