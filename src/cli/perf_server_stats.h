#ifndef AIAAS_CLI_PERF_SERVER_STATS_H_
#define AIAAS_CLI_PERF_SERVER_STATS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {

// Server-side counters of one model, from GET /v2/models/M/stats (Triton's statistics
// extension). Cumulative since the server started.
struct ServerStatsSnapshot {
  int64_t inference_count = 0;  // inferences (batch elements) run
  int64_t execution_count = 0;  // model executions (batches)
  int64_t success_count = 0;    // successful requests
  int64_t success_ns = 0;       // their total time in the server
  int64_t queue_count = 0;
  int64_t queue_ns = 0;  // total time requests waited before execution
  int64_t compute_count = 0;
  int64_t compute_ns = 0;  // total compute_infer time
};

// Sums the counters of the `model_stats` entries of `stats`, or only the entry whose
// "version" is `version` when given and present (the statistics of a model name otherwise
// cover every version it serves). Counters may be JSON numbers or decimal strings; missing
// ones count as 0. InvalidArgument when there is no `model_stats` array.
[[nodiscard]] absl::StatusOr<ServerStatsSnapshot> ParseServerStats(
    const nlohmann::json& stats, const std::optional<std::string>& version);

// What the server did between two snapshots, per request.
struct ServerStatsDelta {
  int64_t requests = 0;                  // successful requests in between
  int64_t inferences = 0;                // inference_count delta
  int64_t executions = 0;                // execution_count delta
  std::optional<double> queue_avg_us;    // queue ns / requests; nullopt without requests
  std::optional<double> compute_avg_us;  // compute_infer ns / requests
  std::optional<double> server_avg_us;   // success ns / requests: all time in the server
  std::optional<double> avg_batch_size;  // inferences / executions
};

// `after` minus `before`. Averages are per successful request, as perf_analyzer reports
// them; a counter that went backwards (the server restarted) gives an empty delta.
ServerStatsDelta DiffServerStats(const ServerStatsSnapshot& before,
                                 const ServerStatsSnapshot& after);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_SERVER_STATS_H_
