#ifndef AIAAS_CLI_PERF_TENSOR_DATA_H_
#define AIAAS_CLI_PERF_TENSOR_DATA_H_

#include <cstdint>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/tensor.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {

// Tensor element bytes for `aiaas perf`: generated, or converted from and to the JSON `data`
// of a KServe v2 request. Bytes are always row-major and little-endian (the KServe binary
// tensor layout). Pure functions.

// `elements` random values of `dtype` as raw bytes (elements * DataTypeSize(dtype) of
// them), drawn from `rng`, so a fixed seed gives the same bytes. Values are small and
// exactly representable in every type: floats are multiples of 1/256 in [0, 1), integers are
// in [0, 100), BOOL is 0 or 1. InvalidArgument for BYTES (variable length) or a negative
// count.
[[nodiscard]] absl::StatusOr<std::string> RandomTensorData(DataType dtype, int64_t elements,
                                                           std::mt19937_64& rng);

// The flat JSON array of the values in `bytes` (BOOL as true/false). InvalidArgument for
// FP16, BF16 and BYTES, which KServe JSON cannot carry, or a size that is not a multiple of
// the element size.
[[nodiscard]] absl::StatusOr<nlohmann::ordered_json> TensorDataToJson(DataType dtype,
                                                                      absl::string_view bytes);

// The bytes of a JSON `data` field (flat or nested like the shape) of `dtype`; it must hold
// exactly `elements` values that fit the type. InvalidArgument naming the problem otherwise
// (also for FP16, BF16 and BYTES).
[[nodiscard]] absl::StatusOr<std::string> TensorDataFromJson(DataType dtype,
                                                             const nlohmann::json& data,
                                                             int64_t elements);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_TENSOR_DATA_H_
