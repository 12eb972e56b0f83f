#include "services/rate_limiter.h"

#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace aiaas::services {
namespace {

constexpr RateLimit kTwoPerSecondBurstFive{2, 5};

TEST(RateLimiterTest, BurstThenRefusal) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  for (int i = 0; i < 5; ++i) {
    RateLimitDecision d = limiter.Acquire("k", kTwoPerSecondBurstFive);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.limit, 5);
    EXPECT_EQ(d.remaining, 4 - i);
    EXPECT_EQ(d.retry_after_s, 0);
  }
  RateLimitDecision refused = limiter.Acquire("k", kTwoPerSecondBurstFive);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.limit, 5);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after_s, 1);  // 1 token at 2/s: 0.5 s, rounded up
  EXPECT_EQ(refused.reset_s, 3);        // 5 tokens at 2/s: 2.5 s, rounded up
}

TEST(RateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.Acquire("k", kTwoPerSecondBurstFive).allowed);
  clock.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(limiter.Acquire("k", kTwoPerSecondBurstFive).allowed);
  clock.Advance(absl::Milliseconds(1));  // 0.5 s: one token
  RateLimitDecision d = limiter.Acquire("k", kTwoPerSecondBurstFive);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_FALSE(limiter.Acquire("k", kTwoPerSecondBurstFive).allowed);

  clock.Advance(absl::Hours(1));  // never more than the burst
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Acquire("k", kTwoPerSecondBurstFive).allowed);
  EXPECT_FALSE(limiter.Acquire("k", kTwoPerSecondBurstFive).allowed);
}

TEST(RateLimiterTest, RetryAfterIsWholeSecondsRoundedUpAndAtLeastOne) {
  struct Case {
    RateLimit limit;
    absl::Duration wait_after_drain;
    int64_t retry_after_s;
  };
  const Case cases[] = {
      {{0.1, 1}, absl::ZeroDuration(), 10},     // one token every 10 s
      {{0.1, 1}, absl::Seconds(4), 6},          // 0.4 token there, 0.6 missing
      {{0.1, 1}, absl::Milliseconds(9999), 1},  // 0.1 ms missing: still 1
      {{0.3, 1}, absl::ZeroDuration(), 4},      // 3.33 s -> 4
      {{100, 10}, absl::ZeroDuration(), 1},     // 10 ms -> 1
      {{1, 1}, absl::ZeroDuration(), 1},
  };
  for (const Case& c : cases) {
    FakeClock clock;
    RateLimiter limiter(&clock);
    while (limiter.Acquire("k", c.limit).allowed) {
    }
    clock.Advance(c.wait_after_drain);
    RateLimitDecision d = limiter.Acquire("k", c.limit);
    ASSERT_FALSE(d.allowed);
    EXPECT_EQ(d.retry_after_s, c.retry_after_s)
        << c.limit.rate_per_s << "/s after " << c.wait_after_drain;
    // Waiting exactly Retry-After is always enough.
    clock.Advance(absl::Seconds(d.retry_after_s));
    EXPECT_TRUE(limiter.Acquire("k", c.limit).allowed);
  }
}

TEST(RateLimiterTest, KeysAreIndependent) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  const RateLimit one{1, 1};
  EXPECT_TRUE(limiter.Acquire("tenant:a:infer", one).allowed);
  EXPECT_FALSE(limiter.Acquire("tenant:a:infer", one).allowed);
  EXPECT_TRUE(limiter.Acquire("tenant:b:infer", one).allowed);
  EXPECT_TRUE(limiter.Acquire("tenant:a:mgmt", one).allowed);
  EXPECT_EQ(limiter.bucket_count(), 3u);
}

TEST(RateLimiterTest, ALimitChangeReshapesTheBucket) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  EXPECT_EQ(limiter.Acquire("k", {1, 10}).remaining, 9);
  RateLimitDecision d = limiter.Acquire("k", {1, 3});  // capped at the new burst
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.limit, 3);
  EXPECT_EQ(d.remaining, 2);
}

TEST(RateLimiterTest, NonsenseLimitsAreClamped) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  RateLimitDecision d = limiter.Acquire("k", {0, 0});
  EXPECT_TRUE(d.allowed);  // burst clamped to 1
  EXPECT_EQ(d.limit, 1);
  d = limiter.Acquire("k", {-5, std::nan("")});
  EXPECT_FALSE(d.allowed);
  EXPECT_GE(d.retry_after_s, 1);
}

TEST(RateLimiterTest, FullBucketsAreSweptAway) {
  FakeClock clock;
  RateLimiterOptions options;
  options.sweep_interval = absl::Seconds(10);
  RateLimiter limiter(&clock, options);
  limiter.Acquire("slow", {0.01, 1});  // refills in 100 s
  limiter.Acquire("fast", {10, 1});    // refills in 0.1 s
  EXPECT_EQ(limiter.bucket_count(), 2u);
  clock.Advance(absl::Seconds(10));
  limiter.Acquire("other", {10, 1});      // triggers the sweep
  EXPECT_EQ(limiter.bucket_count(), 2u);  // "fast" is gone, "slow" still counts down
  // A swept bucket was full, so starting over loses nothing.
  EXPECT_EQ(limiter.Acquire("fast", {10, 1}).remaining, 0);
  EXPECT_FALSE(limiter.Acquire("slow", {0.01, 1}).allowed);
}

TEST(RateLimiterTest, MemoryStaysBoundedUnderManyKeys) {
  FakeClock clock;
  RateLimiterOptions options;
  options.max_buckets = 100;
  RateLimiter limiter(&clock, options);
  const RateLimit slow{0.001, 1};  // never refills during the test
  for (int i = 0; i < 10000; ++i) {
    limiter.Acquire(absl::StrCat("key-", i), slow);
    clock.Advance(absl::Milliseconds(1));
    ASSERT_LE(limiter.bucket_count(), 100u);
  }
  // The most recent keys survived the eviction of the least recently used.
  EXPECT_FALSE(limiter.Acquire("key-9999", slow).allowed);
}

TEST(RateLimiterTest, ConcurrentCallersNeverExceedTheBurst) {
  FakeClock clock;
  RateLimiter limiter(&clock);
  const RateLimit limit{1, 1000};
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.Acquire("shared", limit).allowed) allowed.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace aiaas::services
