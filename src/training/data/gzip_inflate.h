// Gzip detection and bounded inflation for uploaded .csv.gz files.
#ifndef AIAAS_TRAINING_DATA_GZIP_INFLATE_H_
#define AIAAS_TRAINING_DATA_GZIP_INFLATE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace aiaas::training {

// True when `bytes` starts with the gzip magic 1f 8b.
bool LooksLikeGzip(std::string_view bytes);

// Inflates a gzip stream (several concatenated members are allowed, as `cat a.gz b.gz`
// makes). Never holds more than `max_inflated_bytes` of output: a stream that would
// inflate beyond it is refused (a decompression bomb) with InvalidArgument, as is a
// corrupt or truncated stream.
[[nodiscard]] absl::StatusOr<std::string> InflateGzip(std::string_view bytes,
                                                      size_t max_inflated_bytes);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_GZIP_INFLATE_H_
