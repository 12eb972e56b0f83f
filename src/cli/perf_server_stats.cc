#include "cli/perf_server_stats.h"

#include "absl/strings/numbers.h"
#include "cli/json_util.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

// A counter as a number or a decimal string (JSON encoders differ on 64-bit integers).
int64_t Counter(const json& object, absl::string_view key) {
  const json* value = Field(object, key);
  if (value == nullptr) return 0;
  if (value->is_number_unsigned()) return static_cast<int64_t>(value->get<uint64_t>());
  if (value->is_number_integer()) return value->get<int64_t>();
  if (value->is_number_float()) return static_cast<int64_t>(value->get<double>());
  int64_t parsed = 0;
  if (value->is_string() && absl::SimpleAtoi(value->get<std::string>(), &parsed)) return parsed;
  return 0;
}

// inference_stats.<kind>.{count, ns}
void AddDuration(const json& entry, absl::string_view kind, int64_t* count, int64_t* ns) {
  const json* inference_stats = Field(entry, "inference_stats");
  if (inference_stats == nullptr) return;
  const json* stat = Field(*inference_stats, kind);
  if (stat == nullptr) return;
  *count += Counter(*stat, "count");
  *ns += Counter(*stat, "ns");
}

void Add(const json& entry, ServerStatsSnapshot* total) {
  total->inference_count += Counter(entry, "inference_count");
  total->execution_count += Counter(entry, "execution_count");
  AddDuration(entry, "success", &total->success_count, &total->success_ns);
  AddDuration(entry, "queue", &total->queue_count, &total->queue_ns);
  AddDuration(entry, "compute_infer", &total->compute_count, &total->compute_ns);
}

std::string VersionText(const json& entry) {
  const json* version = Field(entry, "version");
  if (version == nullptr) return "";
  return version->is_string() ? version->get<std::string>() : version->dump();
}

}  // namespace

absl::StatusOr<ServerStatsSnapshot> ParseServerStats(const json& stats,
                                                     const std::optional<std::string>& version) {
  const json* entries = Field(stats, "model_stats");
  if (entries == nullptr || !entries->is_array()) {
    return absl::InvalidArgumentError("the statistics have no model_stats array");
  }
  ServerStatsSnapshot total;
  if (version.has_value()) {
    for (const json& entry : *entries) {
      if (VersionText(entry) == *version) {
        Add(entry, &total);
        return total;
      }
    }
  }
  for (const json& entry : *entries) Add(entry, &total);
  return total;
}

ServerStatsDelta DiffServerStats(const ServerStatsSnapshot& before,
                                 const ServerStatsSnapshot& after) {
  ServerStatsDelta delta;
  const int64_t requests = after.success_count - before.success_count;
  const int64_t queue_ns = after.queue_ns - before.queue_ns;
  const int64_t compute_ns = after.compute_ns - before.compute_ns;
  const int64_t success_ns = after.success_ns - before.success_ns;
  const int64_t inferences = after.inference_count - before.inference_count;
  const int64_t executions = after.execution_count - before.execution_count;
  if (requests < 0 || queue_ns < 0 || compute_ns < 0 || success_ns < 0 || inferences < 0 ||
      executions < 0) {
    return delta;
  }
  delta.requests = requests;
  delta.inferences = inferences;
  delta.executions = executions;
  if (requests > 0) {
    const double per_request_us = 1e3 * static_cast<double>(requests);
    delta.queue_avg_us = static_cast<double>(queue_ns) / per_request_us;
    delta.compute_avg_us = static_cast<double>(compute_ns) / per_request_us;
    delta.server_avg_us = static_cast<double>(success_ns) / per_request_us;
  }
  if (executions > 0) {
    delta.avg_batch_size = static_cast<double>(inferences) / static_cast<double>(executions);
  }
  return delta;
}

}  // namespace aiaas::cli
