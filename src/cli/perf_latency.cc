#include "cli/perf_latency.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace aiaas::cli {

int64_t Percentile(const std::vector<int64_t>& sorted_us, double percent) {
  if (sorted_us.empty()) return 0;
  const double n = static_cast<double>(sorted_us.size());
  // The small epsilon keeps 0.9 * 10 = 9.000000000000002 from rounding up to rank 10.
  double rank = std::ceil(percent / 100.0 * n - 1e-9);
  rank = std::clamp(rank, 1.0, n);
  return sorted_us[static_cast<size_t>(rank) - 1];
}

LatencySummary SummarizeLatencies(std::vector<int64_t> latencies_us) {
  LatencySummary summary;
  if (latencies_us.empty()) return summary;
  std::sort(latencies_us.begin(), latencies_us.end());
  summary.count = static_cast<int64_t>(latencies_us.size());
  const double total = std::accumulate(latencies_us.begin(), latencies_us.end(), 0.0);
  summary.avg_us = total / static_cast<double>(summary.count);
  summary.p50_us = Percentile(latencies_us, 50);
  summary.p90_us = Percentile(latencies_us, 90);
  summary.p99_us = Percentile(latencies_us, 99);
  summary.max_us = latencies_us.back();
  return summary;
}

}  // namespace aiaas::cli
