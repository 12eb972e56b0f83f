#ifndef AIAAS_SERVER_SERVING_CONFIG_JSON_H_
#define AIAAS_SERVER_SERVING_CONFIG_JSON_H_

// JSON form of a version's ServingConfig: the `config` part of a push and the
// body of PUT .../versions/{v}/config (a subset of the fields, applied over
// the stored config), and the `config` object in responses.
//
//   {"max_batch_size": 32, "max_queue_delay_us": 2000,
//    "preferred_batch_sizes": [8, 16, 32], "instance_count": 2,
//    "max_queue_size": 1024, "default_timeout_ms": 30000,
//    "warmup": true, "pinned": false}
//
// Limits (inclusive), enforced by ValidateServingConfig:
//   max_batch_size        0 .. 4096 (0 = the model does not batch)
//   max_queue_delay_us    0 .. 10'000'000
//   preferred_batch_sizes distinct sizes, each 1 .. max_batch_size; must be
//                         empty when max_batch_size is 0
//   instance_count        1 .. 64
//   max_queue_size        1 .. 1'000'000
//   default_timeout_ms    1 .. 3'600'000
//
// Thread-safety: the functions are pure; call them from any thread.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/serving_config.h"

namespace aiaas::server {

// Applies the fields present in `body`, a JSON object holding any subset of
// the fields above, over `base` and returns the result, which always passes
// ValidateServingConfig (also when the conflict comes from `base`, e.g. a new
// max_batch_size below a stored preferred size). An empty object returns
// `base` once it is valid. InvalidArgument, naming the field and its allowed
// values, for malformed JSON, a body that is not an object, an unknown field
// (the message lists the valid ones), a value of the wrong type (integers must
// be JSON integers: 8 not 8.0 or "8"; flags JSON booleans; null is not a
// value) or a value outside its limits.
[[nodiscard]] absl::StatusOr<ServingConfig> DecodeServingConfigJson(std::string_view body,
                                                                    const ServingConfig& base);

// OK if every field is within the limits above; otherwise InvalidArgument
// naming the first offending field and its range.
[[nodiscard]] absl::Status ValidateServingConfig(const ServingConfig& config);

// All eight fields as one compact JSON object, in the order listed above.
std::string EncodeServingConfigJson(const ServingConfig& config);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_SERVING_CONFIG_JSON_H_
