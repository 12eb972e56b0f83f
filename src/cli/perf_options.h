#ifndef AIAAS_CLI_PERF_OPTIONS_H_
#define AIAAS_CLI_PERF_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/args.h"
#include "cli/perf_inputs.h"
#include "cli/perf_load.h"

namespace aiaas::cli {

enum class PerfProtocol { kJson, kBinary };

// The command line of `aiaas perf`, checked.
struct PerfOptions {
  std::string model;                   // NAME, or TENANT/NAME for a shared model (see model_ref.h)
  std::optional<std::string> version;  // number or alias; nullopt = the server's default
  // Exactly one of these is non-empty: closed-loop concurrency levels, or open-loop rates
  // in requests per second.
  std::vector<int> concurrency_levels;
  std::vector<double> request_rates;
  ArrivalPattern arrivals = ArrivalPattern::kConstant;
  int max_threads = 64;  // open loop
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  PerfProtocol protocol = PerfProtocol::kJson;
  std::optional<std::string> input_data;  // --input-data: a file path, or "-" for stdin
  ShapeOverrides shapes;
  std::optional<int64_t> batch_size;
  uint64_t seed = 1;
};

// The flags `aiaas perf` accepts besides the global ones.
const std::vector<std::string>& PerfFlagNames();

// Checks and converts the operands ({MODEL}) and flags. InvalidArgument, a usage error, for
// a bad model name, sweep, duration, protocol or number, for --concurrency together with
// --request-rate, and for --shape/--batch-size/--seed together with --input-data (whose
// inputs are sent as they are).
[[nodiscard]] absl::StatusOr<PerfOptions> ParsePerfOptions(const std::vector<std::string>& operands,
                                                           const ParsedArgs& args);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_OPTIONS_H_
