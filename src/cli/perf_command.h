#ifndef AIAAS_CLI_PERF_COMMAND_H_
#define AIAAS_CLI_PERF_COMMAND_H_

#include "cli/command.h"

namespace aiaas::cli {

// `aiaas perf MODEL`: a load generator in the manner of Triton's perf_analyzer. Sweeps
// closed-loop concurrency levels or open-loop request rates against one model's KServe v2
// infer endpoint and prints throughput, client latency percentiles, errors and (where the
// server has GET /v2/models/M/stats) server-side queue and compute time per step.
// See docs/perf.md.
CommandSpec PerfCommand();

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_COMMAND_H_
