#ifndef AIAAS_CLI_PERF_SWEEP_H_
#define AIAAS_CLI_PERF_SWEEP_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace aiaas::cli {

// Load levels `aiaas perf` runs one after another, parsed from the flag text. Pure
// functions; every error is InvalidArgument naming the flag, i.e. a usage error.

inline constexpr int kMaxSweepSteps = 64;
inline constexpr int kMaxConcurrency = 1024;
inline constexpr double kMaxRequestRate = 1e6;  // requests per second

// --concurrency: "16" -> {16}; "4:16:4" -> {4, 8, 12, 16} (additive step); "1:64:x2" ->
// {1, 2, 4, 8, 16, 32, 64} (multiplicative); "1:4" -> {1, 2, 3, 4}. The end is included when
// a step lands on it and never exceeded. Values are integers in [1, kMaxConcurrency].
[[nodiscard]] absl::StatusOr<std::vector<int>> ParseConcurrencySweep(absl::string_view spec);

// --request-rate, in requests per second: the same forms as ParseConcurrencySweep with
// decimal values allowed ("0.5", "100:400:100", "50:800:x2"), each in (0, kMaxRequestRate].
[[nodiscard]] absl::StatusOr<std::vector<double>> ParseRateSweep(absl::string_view spec);

// "10s", "500ms", "1m30s" (absl::ParseDuration syntax) or a bare number of seconds ("10").
// Negative durations are rejected; `flag` ("--duration") prefixes the message.
[[nodiscard]] absl::StatusOr<absl::Duration> ParsePerfDuration(absl::string_view text,
                                                               absl::string_view flag);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_SWEEP_H_
