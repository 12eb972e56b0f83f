#include "server/stats_json.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace aiaas::server {
namespace {

using nlohmann::json;

json DurationJson(const monitoring::DurationStat& stat) {
  return json{{"count", stat.count}, {"ns", stat.ns}};
}

json OneModelJson(const monitoring::ModelStatsSnapshot& s) {
  json batches = json::array();
  for (const monitoring::BatchStat& batch : s.batch_stats) {
    batches.push_back(json{{"batch_size", batch.batch_size},
                           {"compute_infer", DurationJson(batch.compute_infer)}});
  }
  const monitoring::DurationStat not_timed;
  return json{
      {"name", s.model},
      {"version", s.version},
      {"last_inference", s.last_inference_ms},
      {"inference_count", s.inference_count},
      {"execution_count", s.execution_count},
      {"inference_stats", json{{"success", DurationJson(s.success)},
                               {"fail", DurationJson(s.fail)},
                               {"queue", DurationJson(s.queue)},
                               {"compute_input", DurationJson(not_timed)},
                               {"compute_infer", DurationJson(s.compute_infer)},
                               {"compute_output", DurationJson(not_timed)}}},
      {"batch_stats", std::move(batches)},
  };
}

}  // namespace

std::string ModelStatsJson(const std::vector<monitoring::ModelStatsSnapshot>& stats) {
  json models = json::array();
  for (const monitoring::ModelStatsSnapshot& s : stats) models.push_back(OneModelJson(s));
  // Model names are validated ASCII, but replace any invalid UTF-8 rather than let dump() throw.
  return json{{"model_stats", std::move(models)}}.dump(-1, ' ', false,
                                                       json::error_handler_t::replace);
}

}  // namespace aiaas::server
