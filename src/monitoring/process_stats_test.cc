#include "monitoring/process_stats.h"

#include <chrono>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "monitoring/fake_proc_root.h"

namespace aiaas::monitoring {
namespace {

TEST(ProcessStatsTest, ReadsFixtureFiles) {
  FakeProcRoot proc;
  proc.WriteHealthy();
  absl::StatusOr<ProcessStats> stats = ReadProcessStats(proc.path(), 100);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_DOUBLE_EQ(stats->cpu_seconds, 4.0);  // (250 + 150) ticks
  EXPECT_EQ(stats->resident_bytes, 2048 * 1024);
  EXPECT_EQ(stats->threads, 7);
  EXPECT_EQ(stats->open_fds, 3);
  EXPECT_DOUBLE_EQ(stats->start_time_seconds, kFakeBootTime + 3600.0);
}

TEST(ProcessStatsTest, MissingFileIsUnavailable) {
  for (const char* file : {"self/stat", "self/status", "stat"}) {
    FakeProcRoot proc;
    proc.WriteHealthy();
    proc.Delete(file);
    EXPECT_EQ(ReadProcessStats(proc.path(), 100).status().code(), absl::StatusCode::kUnavailable)
        << file;
  }
}

TEST(ProcessStatsTest, GarbageIsInternal) {
  struct Case {
    const char* file;
    const char* content;
  };
  for (const Case& c : {Case{"self/stat", "4242 no parentheses\n"},
                        Case{"self/stat", "4242 (x) S 1 2\n"},  // too few fields
                        Case{"self/status", "Name:\tx\nThreads:\t7\n"},
                        Case{"self/status", "VmRSS:\tlots kB\n"}, Case{"stat", "cpu 1 2 3\n"}}) {
    FakeProcRoot proc;
    proc.WriteHealthy();
    proc.Write(c.file, c.content);
    EXPECT_EQ(ReadProcessStats(proc.path(), 100).status().code(), absl::StatusCode::kInternal)
        << c.file << ": " << c.content;
  }
}

TEST(ProcessStatsTest, RejectsNonPositiveTicks) {
  EXPECT_EQ(ReadProcessStats("/proc", 0).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ProcessStatsTest, RealProcIsPlausible) {
  absl::StatusOr<ProcessStats> stats = ReadProcessStats("/proc", ClockTicksPerSecond());
  ASSERT_TRUE(stats.ok()) << stats.status();
  const double now_s =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(stats->resident_bytes, 0);
  EXPECT_GE(stats->threads, 1);
  EXPECT_GE(stats->open_fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(stats->cpu_seconds, 0);
  EXPECT_GT(stats->start_time_seconds, 1.5e9);
  EXPECT_LE(stats->start_time_seconds, now_s + 1);  // btime has 1 s resolution
}

}  // namespace
}  // namespace aiaas::monitoring
