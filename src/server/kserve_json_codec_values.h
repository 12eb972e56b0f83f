#ifndef AIAAS_SERVER_KSERVE_JSON_CODEC_VALUES_H_
#define AIAAS_SERVER_KSERVE_JSON_CODEC_VALUES_H_

// Internal to the KServe v2 codec: reading an input's JSON "data" from the
// simdjson tape into its tensor buffer (kserve_json_codec_values.cc).

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/json_codec_util_simdjson.h"
#include "server/kserve_json_codec_internal.h"

namespace aiaas::server::kserve_internal {

// An input's "data" array after CheckDataLayout accepted it.
struct JsonData {
  simdjson::dom::element array;
  size_t leaf_depth = 0;  // array levels between `array` and the values: 0 = flat
};

// Checks that `data` holds input.element_count values laid out flat or nested like
// input.shape. kLengthsOnly skips the per-value look for misplaced arrays, which
// ConvertJsonData makes up for. InvalidArgument naming the input otherwise.
[[nodiscard]] absl::StatusOr<JsonData> CheckDataLayout(simdjson::dom::element data,
                                                       const InputLayout& input,
                                                       json_util::LeafCheck leaf_check);

// Converts `data` into `out`, which has room for element_count * DataTypeSize(dtype)
// bytes, in native little-endian order. Precondition: dtype is not FP16, BF16 or
// BYTES. InvalidArgument naming the input, the value and its flat index when a
// value has the wrong type or range; a layout problem anywhere in `data` is
// reported in preference, as the full layout check would have.
[[nodiscard]] absl::Status ConvertJsonData(const JsonData& data, const InputLayout& input,
                                           std::byte* out);

}  // namespace aiaas::server::kserve_internal

#endif  // AIAAS_SERVER_KSERVE_JSON_CODEC_VALUES_H_
