#ifndef AIAAS_SERVER_STATS_JSON_H_
#define AIAAS_SERVER_STATS_JSON_H_

#include <string>
#include <vector>

#include "monitoring/model_stats.h"

namespace aiaas::server {

// The body of the KServe v2 / Triton statistics extension,
// GET /v2/models[/{model}[/versions/{v}]]/stats:
//
//   {"model_stats":[{"name":"resnet","version":"3","last_inference":1700000000123,
//     "inference_count":12,"execution_count":5,
//     "inference_stats":{"success":{"count":10,"ns":123},"fail":{...},"queue":{...},
//       "compute_input":{...},"compute_infer":{...},"compute_output":{...}},
//     "batch_stats":[{"batch_size":4,"compute_infer":{"count":2,"ns":456}}]}]}
//
// aiaas does not time input and output tensor copies apart from the execution, so
// compute_input and compute_output are always {"count":0,"ns":0}; they are present because
// Triton clients expect them. Entries keep the order of `stats`.
std::string ModelStatsJson(const std::vector<monitoring::ModelStatsSnapshot>& stats);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_STATS_JSON_H_
