#ifndef AIAAS_SERVER_KSERVE_JSON_CODEC_INTERNAL_H_
#define AIAAS_SERVER_KSERVE_JSON_CODEC_INTERNAL_H_

// Internal to the KServe v2 codec's .cc files (kserve_json_codec.h and
// kserve_binary_codec.h are the public surface): the pieces the request decoder,
// the value converter, the binary section reader and the response encoder share.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/tensor.h"
#include "server/json_codec_util_simdjson.h"
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

// --- JSON "data" (kserve_json_codec_values.cc) ---

// Checks that `data` holds input.element_count values laid out flat or nested like
// input.shape, and returns the depth of its leaves (0 = flat). kLengthsOnly skips
// the per-value look for misplaced arrays, which ConvertJsonData makes up for.
[[nodiscard]] absl::StatusOr<size_t> CheckDataLayout(simdjson::dom::element data,
                                                     const InputLayout& input,
                                                     json_util::LeafCheck leaf_check);

// Converts `data` (passed CheckDataLayout) into `out`, which has room for
// element_count * DataTypeSize(dtype) bytes, in native little-endian order.
// Precondition: dtype is not FP16, BF16 or BYTES. InvalidArgument naming the
// input, the value and its flat index when a value has the wrong type or range
// (a layout problem is reported in preference, as the full check would have).
[[nodiscard]] absl::Status ConvertJsonData(simdjson::dom::element data, size_t leaf_depth,
                                           const InputLayout& input, std::byte* out);

// --- Binary tensor data (kserve_binary_codec.cc) ---

// The byte count an input's "binary_data_size" parameter gives; InvalidArgument
// naming the input unless it is a non-negative integer.
[[nodiscard]] absl::StatusOr<uint64_t> BinaryDataSize(const ParameterValue& value,
                                                      const std::string& input);

// Checks `size_bytes` against the input's shape: element_count * DataTypeSize
// exactly, or for BYTES at least a 4-byte length per element. Overflow-safe.
[[nodiscard]] absl::Status CheckBinaryDataSize(const InputLayout& input, uint64_t size_bytes);

// Checks that the binary_data_size values of all inputs (`total_bytes`, or
// `overflowed` when their sum does not fit 64 bits) equal the bytes after the
// JSON header.
[[nodiscard]] absl::Status CheckBinaryTotal(uint64_t total_bytes, bool overflowed,
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
