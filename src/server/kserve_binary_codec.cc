// The binary tensor data extension: reading binary input sections, and writing
// binary outputs after the response's JSON header. The JSON parts of both
// directions live with the JSON codec (kserve_json_codec.cc, ..._response.cc).
#include "server/kserve_binary_codec.h"

#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <system_error>
#include <type_traits>
#include <variant>

#include "server/json_codec_util.h"
#include "server/kserve_json_codec_internal.h"

namespace aiaas::server {

// The wire format is little-endian; tensors hold native bytes, copied as they are.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the binary tensor extension is little-endian; byte swapping is not implemented");

namespace kserve_internal {
namespace {

using json_util::Invalid;

constexpr uint64_t kMaxUint64 = std::numeric_limits<uint64_t>::max();
constexpr size_t kBytesLengthPrefix = sizeof(uint32_t);

// A parameter value described for an error message.
std::string Describe(const ParameterValue& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, bool>) {
          return "a boolean";
        } else if constexpr (std::is_same_v<V, std::string>) {
          return "a string";
        } else if constexpr (std::is_same_v<V, double>) {
          return absl::StrCat("the non-integer number ", v);
        } else {
          return absl::StrCat(v);
        }
      },
      value);
}

// Walks BYTES elements in `bytes`: exactly `count` of them, each a 4-byte
// little-endian length and that many bytes, with nothing left over.
absl::Status CheckBytesLayout(std::string_view bytes, const InputLayout& input) {
  size_t offset = 0;
  for (int64_t i = 0; i < input.element_count; ++i) {
    if (bytes.size() - offset < kBytesLengthPrefix) {
      return Invalid("input '", input.name, "': BYTES element ", i, " of ", input.element_count,
                     " starts at byte ", offset, " but its 4-byte length does not fit in the ",
                     bytes.size(), " bytes of binary data");
    }
    uint32_t length;
    std::memcpy(&length, bytes.data() + offset, sizeof(length));
    offset += kBytesLengthPrefix;
    if (length > bytes.size() - offset) {
      return Invalid("input '", input.name, "': BYTES element ", i, " has length ", length,
                     " but only ", bytes.size() - offset, " bytes of binary data remain");
    }
    offset += length;
  }
  if (offset != bytes.size()) {
    return Invalid("input '", input.name, "': binary_data_size is ", bytes.size(),
                   " bytes but its ", input.element_count, " BYTES elements take ", offset);
  }
  return absl::OkStatus();
}

absl::Status CheckBoolBytes(std::string_view bytes, const InputLayout& input) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (byte > 1) {
      return Invalid("input '", input.name, "': BOOL value at index ", i, " is byte ",
                     static_cast<int>(byte), "; binary BOOL data must be 0 or 1");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint64_t> BinaryDataSize(const ParameterValue& value, const std::string& input) {
  const int64_t* size = std::get_if<int64_t>(&value);
  if (size == nullptr || *size < 0) {
    return Invalid("input '", input, "': binary_data_size must be a non-negative integer ",
                   "(a byte count), got ", Describe(value));
  }
  return static_cast<uint64_t>(*size);
}

absl::Status CheckBinaryDataSize(const InputLayout& input, uint64_t size_bytes) {
  const auto count = static_cast<uint64_t>(input.element_count);
  if (input.dtype == DataType::kBytes) {
    if (count > kMaxUint64 / kBytesLengthPrefix || size_bytes < count * kBytesLengthPrefix) {
      return Invalid("input '", input.name, "': binary_data_size ", size_bytes,
                     " is too small for shape ", ShapeToString(input.shape), ": each of its ",
                     count, " BYTES elements needs at least a 4-byte length");
    }
    return absl::OkStatus();
  }
  const uint64_t element_size = DataTypeSize(input.dtype);
  if (count > kMaxUint64 / element_size) {
    return Invalid("input '", input.name, "': shape ", ShapeToString(input.shape), " of ",
                   DataTypeName(input.dtype), " needs more than 2^64 bytes");
  }
  const uint64_t expected = count * element_size;
  if (size_bytes != expected) {
    return Invalid("input '", input.name, "': binary_data_size is ", size_bytes,
                   " bytes, but shape ", ShapeToString(input.shape), " of ",
                   DataTypeName(input.dtype), " needs ", expected, " (", count, " elements x ",
                   element_size, " bytes)");
  }
  return absl::OkStatus();
}

absl::Status CheckBinarySection(const std::vector<uint64_t>& input_sizes_bytes,
                                size_t json_header_length, size_t body_bytes) {
  std::optional<uint64_t> total = 0;  // nullopt once the sum passes 2^64 - 1
  for (uint64_t size : input_sizes_bytes) {
    if (size > kMaxUint64 - *total) {
      total.reset();
      break;
    }
    *total += size;
  }
  const size_t available = body_bytes - json_header_length;
  if (!total || *total != available) {
    return Invalid("the inputs' binary_data_size values add up to ",
                   total ? absl::StrCat(*total) : std::string("more than 2^64"),
                   " bytes, but the body has ", available, " bytes after the ", json_header_length,
                   "-byte JSON header (Inference-Header-Content-Length)");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::byte>> ReadBinaryData(std::string_view bytes,
                                                      const InputLayout& input) {
  if (input.dtype == DataType::kBytes) AIAAS_RETURN_IF_ERROR(CheckBytesLayout(bytes, input));
  if (input.dtype == DataType::kBool) AIAAS_RETURN_IF_ERROR(CheckBoolBytes(bytes, input));
  std::vector<std::byte> data(bytes.size());
  if (!bytes.empty()) std::memcpy(data.data(), bytes.data(), bytes.size());
  return data;
}

}  // namespace kserve_internal

absl::StatusOr<std::optional<size_t>> ParseJsonHeaderLength(
    const std::optional<std::string>& header_value) {
  if (!header_value) return std::nullopt;
  const std::string& text = *header_value;
  size_t length = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
  // Digits only: from_chars takes no sign, spaces or prefix for an unsigned type.
  if (error != std::errc() || end != text.data() + text.size()) {
    return json_util::Invalid(kInferenceHeaderContentLength, " must be a byte count (a decimal ",
                              "integer), got '", text.substr(0, 40), "'");
  }
  return length;
}

bool OutputEncoding::IsBinary(const std::string& output_name) const {
  if (binary_outputs.count(output_name) != 0) return true;
  if (json_outputs.count(output_name) != 0) return false;
  return binary_by_default;
}

EncodedResponse EncodeInferResponse(const InferResponse& response, const OutputEncoding& encoding) {
  EncodedResponse encoded;
  kserve_internal::AppendResponseJson(response, encoding, encoded.body);
  bool any_binary_output = false;
  for (const auto& output : response.outputs) {
    any_binary_output = any_binary_output || encoding.IsBinary(output.first);
  }
  if (!any_binary_output) {
    encoded.content_type = "application/json";
    return encoded;
  }
  encoded.json_header_length = encoded.body.size();
  for (const auto& [name, tensor] : response.outputs) {
    if (!encoding.IsBinary(name) || tensor.data.empty()) continue;
    encoded.body.append(reinterpret_cast<const char*>(tensor.data.data()), tensor.data.size());
  }
  encoded.content_type = "application/octet-stream";
  return encoded;
}

}  // namespace aiaas::server
