#include "cli/perf_server_stats.h"

#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

json Entry(const std::string& version, int64_t requests, int64_t queue_ns, int64_t compute_ns) {
  return json{{"name", "m"},
              {"version", version},
              {"inference_count", requests * 2},
              {"execution_count", requests},
              {"inference_stats",
               {{"success", {{"count", requests}, {"ns", queue_ns + compute_ns + requests}}},
                {"fail", {{"count", 0}, {"ns", 0}}},
                {"queue", {{"count", requests}, {"ns", queue_ns}}},
                {"compute_infer", {{"count", requests}, {"ns", compute_ns}}}}}};
}

TEST(ParseServerStatsTest, SumsVersionsUnlessOneIsAsked) {
  const json stats = {{"model_stats", {Entry("1", 10, 100, 1000), Entry("2", 5, 50, 500)}}};
  const ServerStatsSnapshot all = *ParseServerStats(stats, std::nullopt);
  EXPECT_EQ(all.success_count, 15);
  EXPECT_EQ(all.queue_ns, 150);
  EXPECT_EQ(all.compute_ns, 1500);
  EXPECT_EQ(all.inference_count, 30);
  EXPECT_EQ(all.execution_count, 15);
  const ServerStatsSnapshot two = *ParseServerStats(stats, "2");
  EXPECT_EQ(two.success_count, 5);
  EXPECT_EQ(two.queue_ns, 50);
  // An alias cannot be matched: all entries count.
  EXPECT_EQ(ParseServerStats(stats, "production")->success_count, 15);
}

TEST(ParseServerStatsTest, StringCountersAndMissingFields) {
  const json stats = json::parse(R"({"model_stats": [{"name": "m", "version": 3,
      "inference_count": "7", "inference_stats": {"queue": {"count": "7", "ns": "700"}}}]})");
  const ServerStatsSnapshot snapshot = *ParseServerStats(stats, "3");
  EXPECT_EQ(snapshot.inference_count, 7);
  EXPECT_EQ(snapshot.queue_ns, 700);
  EXPECT_EQ(snapshot.success_count, 0);
  EXPECT_EQ(ParseServerStats(json::parse("{}"), std::nullopt).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DiffServerStatsTest, AveragesPerRequest) {
  ServerStatsSnapshot before;
  before.success_count = 100;
  before.success_ns = 1'000'000;
  before.queue_ns = 50'000;
  before.compute_ns = 800'000;
  before.inference_count = 100;
  before.execution_count = 100;
  ServerStatsSnapshot after = before;
  after.success_count += 40;
  after.success_ns += int64_t{40} * 2'500'000;  // 2.5 ms each
  after.queue_ns += int64_t{40} * 500'000;      // 0.5 ms each
  after.compute_ns += int64_t{40} * 1'750'000;  // 1.75 ms each
  after.inference_count += 80;
  after.execution_count += 20;
  const ServerStatsDelta delta = DiffServerStats(before, after);
  EXPECT_EQ(delta.requests, 40);
  EXPECT_EQ(delta.inferences, 80);
  EXPECT_EQ(delta.executions, 20);
  EXPECT_DOUBLE_EQ(*delta.queue_avg_us, 500);
  EXPECT_DOUBLE_EQ(*delta.compute_avg_us, 1750);
  EXPECT_DOUBLE_EQ(*delta.server_avg_us, 2500);
  EXPECT_DOUBLE_EQ(*delta.avg_batch_size, 4);
}

TEST(DiffServerStatsTest, NoRequestsOrARestartGiveNoAverages) {
  ServerStatsSnapshot snapshot;
  snapshot.success_count = 10;
  const ServerStatsDelta idle = DiffServerStats(snapshot, snapshot);
  EXPECT_EQ(idle.requests, 0);
  EXPECT_FALSE(idle.queue_avg_us.has_value());
  EXPECT_FALSE(idle.avg_batch_size.has_value());
  const ServerStatsDelta restarted = DiffServerStats(snapshot, ServerStatsSnapshot{});
  EXPECT_EQ(restarted.requests, 0);
  EXPECT_FALSE(restarted.compute_avg_us.has_value());
}

}  // namespace
}  // namespace aiaas::cli
