#include "cli/perf_report.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace aiaas::cli {
namespace {

using nlohmann::ordered_json;

constexpr int kFirstColumnWidth = 11;
constexpr int kNumberColumnWidth = 9;

std::vector<std::string> Columns(const PerfRunInfo& info) {
  std::vector<std::string> columns = {
      info.open_loop ? "RATE/S" : "CONCURRENCY", "INFER/S", "P50 MS", "P90 MS", "P99 MS", "MAX MS"};
  if (info.server_stats) {
    columns.push_back("SRV QUEUE MS");
    columns.push_back("SRV COMPUTE MS");
  }
  columns.push_back("ERRORS");
  return columns;
}

// The first cell left-aligned, numbers right-aligned under their headers, the last cell
// (errors, of any width) left as is, so lines printed one at a time still line up.
std::string Line(const std::vector<std::string>& headers, const std::vector<std::string>& cells) {
  std::string line = absl::StrFormat("%-*s", kFirstColumnWidth, cells.front());
  for (size_t i = 1; i + 1 < cells.size(); ++i) {
    const int width = std::max(kNumberColumnWidth, static_cast<int>(headers[i].size()));
    absl::StrAppend(&line, "  ", absl::StrFormat("%*s", width, cells[i]));
  }
  absl::StrAppend(&line, "  ", cells.back(), "\n");
  return line;
}

std::string Ms(double us, int decimals) { return absl::StrFormat("%.*f", decimals, us / 1000.0); }

std::string OptionalMs(const std::optional<double>& us) {
  return us.has_value() ? Ms(*us, 3) : "-";
}

ordered_json OptionalJson(const std::optional<double>& value, double scale) {
  return value.has_value() ? ordered_json(*value * scale) : ordered_json(nullptr);
}

int64_t ErrorCount(const std::map<std::string, int64_t>& errors) {
  int64_t total = 0;
  for (const auto& [error, count] : errors) total += count;
  return total;
}

}  // namespace

double Throughput(const PerfStepResult& step) {
  if (step.window_s <= 0) return 0;
  return static_cast<double>(step.latency.count * step.batch_size) / step.window_s;
}

std::string FormatErrors(const std::map<std::string, int64_t>& errors) {
  const int64_t total = ErrorCount(errors);
  if (total == 0) return "0";
  std::vector<std::pair<std::string, int64_t>> sorted(errors.begin(), errors.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> parts;
  parts.reserve(sorted.size());
  for (const auto& [error, count] : sorted) parts.push_back(absl::StrCat(error, ": ", count));
  return absl::StrCat(total, " (", absl::StrJoin(parts, ", "), ")");
}

std::string FormatErrorDetails(const PerfStepResult& step) {
  std::string text;
  for (const auto& [error, detail] : step.error_details) {
    absl::StrAppend(&text, "  ", error, ": ", detail, "\n");
  }
  return text;
}

std::string FormatReportHeader(const PerfRunInfo& info) {
  std::string header = absl::StrCat(
      "model ", info.model, " (version ", info.version.value_or("default"), "), protocol ",
      info.protocol, ", inputs: ", DescribeInputs(info.inputs), "\n",
      info.open_loop ? absl::StrCat("open loop (", info.arrivals, " arrivals), ")
                     : std::string("closed loop, "),
      absl::StrFormat("%gs measured after %gs warmup per step", info.duration_s, info.warmup_s),
      info.server_stats ? "" : "; server statistics not available", "\n");
  const std::vector<std::string> columns = Columns(info);
  absl::StrAppend(&header, Line(columns, columns));
  return header;
}

std::string FormatStepLine(const PerfRunInfo& info, const PerfStepResult& step) {
  const LatencySummary& latency = step.latency;
  std::vector<std::string> cells = {
      info.open_loop ? absl::StrFormat("%g", step.request_rate) : absl::StrCat(step.concurrency),
      absl::StrFormat("%.1f", Throughput(step)),
      Ms(static_cast<double>(latency.p50_us), 2),
      Ms(static_cast<double>(latency.p90_us), 2),
      Ms(static_cast<double>(latency.p99_us), 2),
      Ms(static_cast<double>(latency.max_us), 2)};
  if (info.server_stats) {
    cells.push_back(step.server.has_value() ? OptionalMs(step.server->queue_avg_us) : "-");
    cells.push_back(step.server.has_value() ? OptionalMs(step.server->compute_avg_us) : "-");
  }
  cells.push_back(FormatErrors(step.errors));
  return Line(Columns(info), cells);
}

ordered_json ReportJson(const PerfRunInfo& info, const std::vector<PerfStepResult>& steps) {
  ordered_json report;
  report["model"] = info.model;
  report["version"] = info.version.has_value() ? ordered_json(*info.version) : ordered_json();
  report["protocol"] = info.protocol;
  report["mode"] = info.open_loop ? "request_rate" : "concurrency";
  if (info.open_loop) report["arrivals"] = info.arrivals;
  report["duration_s"] = info.duration_s;
  report["warmup_s"] = info.warmup_s;
  ordered_json inputs = ordered_json::array();
  for (const PerfTensor& input : info.inputs) {
    ordered_json entry;
    entry["name"] = input.name;
    entry["datatype"] = std::string(DataTypeName(input.dtype));
    entry["shape"] = input.shape;
    inputs.push_back(std::move(entry));
  }
  report["inputs"] = std::move(inputs);
  report["steps"] = ordered_json::array();
  for (const PerfStepResult& step : steps) {
    ordered_json entry;
    if (info.open_loop) {
      entry["request_rate"] = step.request_rate;
    } else {
      entry["concurrency"] = step.concurrency;
    }
    entry["threads"] = step.threads;
    entry["throughput_infer_per_s"] = Throughput(step);
    entry["requests"] = step.latency.count;
    entry["latency_ms"] = {{"avg", step.latency.avg_us / 1e3},
                           {"p50", static_cast<double>(step.latency.p50_us) / 1e3},
                           {"p90", static_cast<double>(step.latency.p90_us) / 1e3},
                           {"p99", static_cast<double>(step.latency.p99_us) / 1e3},
                           {"max", static_cast<double>(step.latency.max_us) / 1e3}};
    entry["errors"] = ordered_json::object();
    for (const auto& [error, count] : step.errors) entry["errors"][error] = count;
    entry["error_count"] = ErrorCount(step.errors);
    entry["error_details"] = ordered_json::object();
    for (const auto& [error, detail] : step.error_details) entry["error_details"][error] = detail;
    entry["response_bytes"] = step.response_bytes;
    if (step.server.has_value()) {
      const ServerStatsDelta& server = *step.server;
      entry["server"] = {{"requests", server.requests},
                         {"inferences", server.inferences},
                         {"executions", server.executions},
                         {"queue_avg_ms", OptionalJson(server.queue_avg_us, 1e-3)},
                         {"compute_avg_ms", OptionalJson(server.compute_avg_us, 1e-3)},
                         {"server_avg_ms", OptionalJson(server.server_avg_us, 1e-3)},
                         {"avg_batch_size", OptionalJson(server.avg_batch_size, 1)}};
    }
    report["steps"].push_back(std::move(entry));
  }
  return report;
}

}  // namespace aiaas::cli
