#include "monitoring/model_stats.h"

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::monitoring {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// A clock the test moves by hand.
class FakeClock {
 public:
  std::function<int64_t()> AsFunction() {
    return [this] { return now_ms_.load(); };
  }
  void Set(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_{1'700'000'000'000};
};

std::vector<std::string> Versions(const std::vector<ModelStatsSnapshot>& snapshots) {
  std::vector<std::string> out;
  out.reserve(snapshots.size());
  for (const ModelStatsSnapshot& s : snapshots) out.push_back(s.model + "/" + s.version);
  return out;
}

TEST(ModelStatsTest, AccumulatesSuccessFailureQueueAndCompute) {
  FakeClock clock;
  ModelStats stats(clock.AsFunction());
  clock.Set(1000);
  stats.RecordBatch("m", "1", 2, 300);
  stats.RecordSuccess("m", "1", /*e2e_ns=*/1000, /*queue_ns=*/100, /*compute_ns=*/300, /*rows=*/2);
  clock.Set(2000);
  stats.RecordSuccess("m", "1", 2000, 200, 300, 3);
  clock.Set(3000);
  stats.RecordFailure("m", "1", 50);  // failures do not move last_inference

  std::vector<ModelStatsSnapshot> snapshot = stats.Snapshot("m", "1");
  ASSERT_THAT(snapshot, SizeIs(1));
  const ModelStatsSnapshot& s = snapshot[0];
  EXPECT_EQ(s.model, "m");
  EXPECT_EQ(s.version, "1");
  EXPECT_EQ(s.last_inference_ms, 2000);
  EXPECT_EQ(s.inference_count, 5u);
  EXPECT_EQ(s.execution_count, 1u);
  EXPECT_EQ(s.success.count, 2u);
  EXPECT_EQ(s.success.ns, 3000u);
  EXPECT_EQ(s.fail.count, 1u);
  EXPECT_EQ(s.fail.ns, 50u);
  EXPECT_EQ(s.queue.count, 2u);
  EXPECT_EQ(s.queue.ns, 300u);
  EXPECT_EQ(s.compute_infer.count, 2u);
  EXPECT_EQ(s.compute_infer.ns, 600u);
}

// Two tenants may both own a model named "m": their statistics must not merge.
TEST(ModelStatsTest, KeysOfDifferentTenantsDoNotCollide) {
  FakeClock clock;
  ModelStats stats(clock.AsFunction());
  const std::string a = ModelStatsKey("team-a", "m");
  const std::string b = ModelStatsKey("team-b", "m");
  EXPECT_NE(a, b);
  stats.RecordSuccess(a, "1", 1000, 100, 300, 1);
  stats.RecordSuccess(a, "1", 1000, 100, 300, 1);
  stats.RecordSuccess(b, "1", 1000, 100, 300, 1);
  EXPECT_EQ(stats.Snapshot(a, "1").at(0).success.count, 2u);
  EXPECT_EQ(stats.Snapshot(b, "1").at(0).success.count, 1u);
  EXPECT_THAT(stats.Snapshot("m", std::nullopt), SizeIs(0));
}

TEST(ModelStatsTest, BatchStatsAreGroupedBySizeInAscendingOrder) {
  ModelStats stats;
  stats.RecordBatch("m", "1", 8, 800);
  stats.RecordBatch("m", "1", 1, 100);
  stats.RecordBatch("m", "1", 8, 900);
  const ModelStatsSnapshot s = stats.Snapshot("m", std::nullopt).at(0);
  EXPECT_EQ(s.execution_count, 3u);
  ASSERT_THAT(s.batch_stats, SizeIs(2));
  EXPECT_EQ(s.batch_stats[0].batch_size, 1);
  EXPECT_EQ(s.batch_stats[0].compute_infer.count, 1u);
  EXPECT_EQ(s.batch_stats[0].compute_infer.ns, 100u);
  EXPECT_EQ(s.batch_stats[1].batch_size, 8);
  EXPECT_EQ(s.batch_stats[1].compute_infer.count, 2u);
  EXPECT_EQ(s.batch_stats[1].compute_infer.ns, 1700u);
}

TEST(ModelStatsTest, SnapshotSelectsModelAndVersionInNumericOrder) {
  ModelStats stats;
  for (const char* version : {"10", "9", "2"}) stats.RecordFailure("m", version, 1);
  stats.RecordFailure("other", "1", 1);

  EXPECT_THAT(Versions(stats.Snapshot("m", std::nullopt)), ElementsAre("m/2", "m/9", "m/10"));
  EXPECT_THAT(Versions(stats.Snapshot("m", "9")), ElementsAre("m/9"));
  EXPECT_THAT(stats.Snapshot("m", "3"), IsEmpty());
  EXPECT_THAT(stats.Snapshot("nope", std::nullopt), IsEmpty());
  EXPECT_THAT(Versions(stats.SnapshotAll()), ElementsAre("m/2", "m/9", "m/10", "other/1"));
}

TEST(ModelStatsTest, NonNumericVersionsSortAfterNumbers) {
  ModelStats stats;
  for (const char* version : {"b", "10", "1a", "9", "a"}) stats.RecordFailure("m", version, 1);
  EXPECT_THAT(Versions(stats.SnapshotAll()), ElementsAre("m/9", "m/10", "m/1a", "m/a", "m/b"));
}

TEST(ModelStatsTest, NegativeDurationsCountAsZero) {
  ModelStats stats;
  stats.RecordSuccess("m", "1", -5, -5, -5, -1);
  const ModelStatsSnapshot s = stats.SnapshotAll().at(0);
  EXPECT_EQ(s.success.count, 1u);
  EXPECT_EQ(s.success.ns, 0u);
  EXPECT_EQ(s.inference_count, 0u);
}

TEST(ModelStatsTest, LastInferenceUsesTheSystemClockByDefault) {
  ModelStats stats;
  stats.RecordSuccess("m", "1", 1, 1, 1, 1);
  EXPECT_GT(stats.SnapshotAll().at(0).last_inference_ms, int64_t{1'600'000'000'000});
}

TEST(ModelStatsTest, RemoveForgetsAVersionOrAModel) {
  ModelStats stats;
  for (const char* version : {"1", "2"}) stats.RecordFailure("m", version, 1);
  stats.RecordFailure("k", "1", 1);
  stats.Remove("m", "1");
  EXPECT_THAT(Versions(stats.SnapshotAll()), ElementsAre("k/1", "m/2"));
  stats.Remove("m", "2");  // last version: the model goes too
  stats.Remove("absent", std::nullopt);
  EXPECT_THAT(Versions(stats.SnapshotAll()), ElementsAre("k/1"));
  stats.Remove("k", std::nullopt);
  EXPECT_THAT(stats.SnapshotAll(), IsEmpty());
}

TEST(ModelStatsTest, ConcurrentRecordingFromEightThreadsIsExact) {
  ModelStats stats;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stats] {
      for (int i = 0; i < kPerThread; ++i) {
        stats.RecordBatch("m", "1", 1 + i % 4, 10);
        if (i % 5 == 0) {
          stats.RecordFailure("m", "1", 7);
        } else {
          stats.RecordSuccess("m", "1", 100, 20, 10, 2);
        }
        if (i % 1000 == 0) (void)stats.SnapshotAll();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  const ModelStatsSnapshot s = stats.Snapshot("m", "1").at(0);
  constexpr uint64_t kTotal = uint64_t{kThreads} * kPerThread;
  EXPECT_EQ(s.execution_count, kTotal);
  EXPECT_EQ(s.fail.count, kTotal / 5);
  EXPECT_EQ(s.fail.ns, kTotal / 5 * 7);
  EXPECT_EQ(s.success.count, kTotal * 4 / 5);
  EXPECT_EQ(s.success.ns, kTotal * 4 / 5 * 100);
  EXPECT_EQ(s.queue.ns, kTotal * 4 / 5 * 20);
  EXPECT_EQ(s.inference_count, kTotal * 4 / 5 * 2);
  ASSERT_THAT(s.batch_stats, SizeIs(4));
  for (const BatchStat& batch : s.batch_stats) EXPECT_EQ(batch.compute_infer.count, kTotal / 4);
}

}  // namespace
}  // namespace aiaas::monitoring
