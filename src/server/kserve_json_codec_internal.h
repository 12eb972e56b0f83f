#ifndef AIAAS_SERVER_KSERVE_JSON_CODEC_INTERNAL_H_
#define AIAAS_SERVER_KSERVE_JSON_CODEC_INTERNAL_H_

// Internal to the KServe v2 codec's .cc files (kserve_json_codec.h and
// kserve_binary_codec.h are the public surface): what the request decoder, the
// binary section reader and the response encoder share. The JSON value reader,
// which needs simdjson's headers, is declared in kserve_json_codec_values.h.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/tensor.h"
#include "server/kserve_binary_codec.h"
#include "services/inference_types.h"

namespace aiaas::server::kserve_internal {

// One request input whose name, datatype and shape passed every check (signature,
// element limit): its values are read only after all inputs got this far.
struct InputLayout {
  std::string name;
  DataType dtype = DataType::kFp32;
  std::vector<int64_t> shape;
  int64_t element_count = 0;  // ElementCount(shape), within CodecLimits
};

// --- Binary tensor data (kserve_binary_codec.cc) ---

// The byte count an input's "binary_data_size" parameter gives; InvalidArgument
// naming the input unless it is a non-negative integer.
[[nodiscard]] absl::StatusOr<uint64_t> BinaryDataSize(const ParameterValue& value,
                                                      const std::string& input);

// Checks `size_bytes` against the input's shape: element_count * DataTypeSize
// exactly, or for BYTES at least a 4-byte length per element. Overflow-safe.
[[nodiscard]] absl::Status CheckBinaryDataSize(const InputLayout& input, uint64_t size_bytes);

// Checks that the binary inputs' sizes (their binary_data_size values, in input
// order) add up to the `body_bytes - json_header_length` bytes after the JSON
// header. The sum is overflow-checked. Precondition: json_header_length <= body_bytes.
[[nodiscard]] absl::Status CheckBinarySection(const std::vector<uint64_t>& input_sizes_bytes,
                                              size_t json_header_length, size_t body_bytes);

// The tensor data of a binary input: a copy of `bytes` (CheckBinaryDataSize
// passed), after checking that BOOL bytes are 0 or 1 and that BYTES data is exactly
// element_count length-prefixed elements.
[[nodiscard]] absl::StatusOr<std::vector<std::byte>> ReadBinaryData(std::string_view bytes,
                                                                    const InputLayout& input);

// --- Response (kserve_json_codec_response.cc) ---

// Appends the response's JSON. Outputs that `encoding` makes binary get
// "parameters": {"binary_data_size": data.size()} in place of "data".
void AppendResponseJson(const InferResponse& response, const OutputEncoding& encoding,
                        std::string& out);

}  // namespace aiaas::server::kserve_internal

#endif  // AIAAS_SERVER_KSERVE_JSON_CODEC_INTERNAL_H_
