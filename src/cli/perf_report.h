#ifndef AIAAS_CLI_PERF_REPORT_H_
#define AIAAS_CLI_PERF_REPORT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/perf_inputs.h"
#include "cli/perf_latency.h"
#include "cli/perf_server_stats.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {

// What `aiaas perf` prints: a table that grows one line per finished step, or one JSON
// document with every step (--json). Pure functions.

// The run as a whole, for the header.
struct PerfRunInfo {
  std::string model;
  std::optional<std::string> version;  // nullopt: the server's default version
  std::string protocol;                // "json" or "binary"
  bool open_loop = false;              // steps are request rates, not concurrency levels
  std::string arrivals;                // open loop: "constant" or "poisson"
  double duration_s = 0;
  double warmup_s = 0;
  std::vector<PerfTensor> inputs;  // only names, types and shapes are reported
  bool server_stats = false;       // the server has /stats: print its columns
};

// One finished step.
struct PerfStepResult {
  int concurrency = 0;      // closed loop
  double request_rate = 0;  // open loop, requests per second
  int threads = 0;
  double window_s = 0;                               // measured seconds
  int64_t batch_size = 1;                            // inferences per request
  LatencySummary latency;                            // of the successful requests
  std::map<std::string, int64_t> errors;             // failed requests by status or "timeout"
  std::map<std::string, std::string> error_details;  // the first message seen per error
  int64_t response_bytes = 0;
  std::optional<ServerStatsDelta> server;  // nullopt when not available for this step
};

// Successful inferences per second: requests * batch_size / window.
double Throughput(const PerfStepResult& step);

// "0", or "5 (503: 3, timeout: 2)" with the most frequent first.
std::string FormatErrors(const std::map<std::string, int64_t>& errors);

// The lines before the first step: what is measured and the column header.
std::string FormatReportHeader(const PerfRunInfo& info);

// One '\n'-terminated table line, aligned with FormatReportHeader's columns.
std::string FormatStepLine(const PerfRunInfo& info, const PerfStepResult& step);

// "  503: <detail>" lines, one per error with a detail, to explain the ERRORS column.
std::string FormatErrorDetails(const PerfStepResult& step);

// {"model", "version", "protocol", "mode", "duration_s", "warmup_s", "inputs": [...],
//  "steps": [{"concurrency" | "request_rate", "threads", "throughput_infer_per_s",
//             "requests", "latency_ms": {"avg", "p50", "p90", "p99", "max"}, "errors",
//             "error_count", "error_details", "response_bytes", "server"?: {...}}]}
nlohmann::ordered_json ReportJson(const PerfRunInfo& info,
                                  const std::vector<PerfStepResult>& steps);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_REPORT_H_
