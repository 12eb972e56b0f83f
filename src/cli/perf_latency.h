#ifndef AIAAS_CLI_PERF_LATENCY_H_
#define AIAAS_CLI_PERF_LATENCY_H_

#include <cstdint>
#include <vector>

namespace aiaas::cli {

// Latency percentiles of one load step, in microseconds. All zero when `count` is 0.
struct LatencySummary {
  int64_t count = 0;
  double avg_us = 0;
  int64_t p50_us = 0;
  int64_t p90_us = 0;
  int64_t p99_us = 0;
  int64_t max_us = 0;
};

// The nearest-rank percentile `percent` (0 < percent <= 100) of `sorted_us` (ascending):
// the smallest value with at least `percent`% of the values at or below it, so p50 of
// {1, 2, 3, 4} is 2 and p99 of 100 values is the 99th. 0 for an empty input.
int64_t Percentile(const std::vector<int64_t>& sorted_us, double percent);

// Sorts `latencies_us` (hence by value) and summarizes it.
LatencySummary SummarizeLatencies(std::vector<int64_t> latencies_us);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_LATENCY_H_
