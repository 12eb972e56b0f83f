#include "cli/perf_latency.h"

#include <numeric>

#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

TEST(PercentileTest, NearestRank) {
  const std::vector<int64_t> four = {1, 2, 3, 4};
  EXPECT_EQ(Percentile(four, 50), 2);
  EXPECT_EQ(Percentile(four, 75), 3);
  EXPECT_EQ(Percentile(four, 76), 4);
  EXPECT_EQ(Percentile(four, 100), 4);
  EXPECT_EQ(Percentile(four, 1), 1);
  EXPECT_EQ(Percentile({}, 50), 0);
  EXPECT_EQ(Percentile({7}, 99), 7);
}

TEST(PercentileTest, HundredValues) {
  std::vector<int64_t> values(100);
  std::iota(values.begin(), values.end(), 1);  // 1..100
  EXPECT_EQ(Percentile(values, 50), 50);
  EXPECT_EQ(Percentile(values, 90), 90);
  EXPECT_EQ(Percentile(values, 99), 99);
  std::vector<int64_t> ten(10);
  std::iota(ten.begin(), ten.end(), 1);
  EXPECT_EQ(Percentile(ten, 90), 9);  // not 10: 0.9 * 10 must not round up
}

TEST(SummarizeLatenciesTest, SortsAndSummarizes) {
  std::vector<int64_t> values;
  for (int64_t v = 1000; v >= 1; --v) values.push_back(v);
  const LatencySummary summary = SummarizeLatencies(values);
  EXPECT_EQ(summary.count, 1000);
  EXPECT_DOUBLE_EQ(summary.avg_us, 500.5);
  EXPECT_EQ(summary.p50_us, 500);
  EXPECT_EQ(summary.p90_us, 900);
  EXPECT_EQ(summary.p99_us, 990);
  EXPECT_EQ(summary.max_us, 1000);
}

TEST(SummarizeLatenciesTest, EmptyIsAllZero) {
  const LatencySummary summary = SummarizeLatencies({});
  EXPECT_EQ(summary.count, 0);
  EXPECT_EQ(summary.max_us, 0);
  EXPECT_EQ(summary.avg_us, 0);
}

}  // namespace
}  // namespace aiaas::cli
