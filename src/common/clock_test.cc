#include "common/clock.h"

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace aiaas {
namespace {

// State a test thread waits on, guarded by its own mutex like a real user's.
struct Guarded {
  absl::Mutex mu;
  bool flag ABSL_GUARDED_BY(mu) = false;
};

bool WaitForFlag(Clock* clock, Guarded* state, absl::Time deadline) {
  absl::MutexLock lock(&state->mu);
  return clock->AwaitWithDeadline(&state->mu, absl::Condition(&state->flag), deadline);
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(absl::FromUnixSeconds(100));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(100));
  clock.Advance(absl::Milliseconds(1500));
  EXPECT_EQ(clock.Now(), absl::FromUnixMillis(101500));
  clock.Advance(-absl::Seconds(5));  // ignored
  EXPECT_EQ(clock.Now(), absl::FromUnixMillis(101500));
  clock.SetTime(absl::FromUnixSeconds(50));  // earlier: ignored
  EXPECT_EQ(clock.Now(), absl::FromUnixMillis(101500));
  clock.SetTime(absl::FromUnixSeconds(200));
  EXPECT_EQ(clock.Now(), absl::FromUnixSeconds(200));
}

TEST(FakeClockTest, PastDeadlineReturnsAtOnce) {
  FakeClock clock;
  Guarded state;
  EXPECT_FALSE(WaitForFlag(&clock, &state, clock.Now()));
  EXPECT_FALSE(WaitForFlag(&clock, &state, clock.Now() - absl::Seconds(1)));
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClockTest, TrueConditionReturnsAtOnce) {
  FakeClock clock;
  Guarded state;
  {
    absl::MutexLock lock(&state.mu);
    state.flag = true;
  }
  EXPECT_TRUE(WaitForFlag(&clock, &state, clock.Now() + absl::Hours(1)));
  EXPECT_TRUE(WaitForFlag(&clock, &state, absl::InfiniteFuture()));
}

TEST(FakeClockTest, AdvanceWakesAWaiterAtItsDeadline) {
  FakeClock clock;
  Guarded state;
  const absl::Time deadline = clock.Now() + absl::Milliseconds(10);
  bool result = true;
  absl::Notification returned;
  std::thread waiter([&] {
    result = WaitForFlag(&clock, &state, deadline);
    returned.Notify();
  });
  clock.BlockUntilWaiters(1);
  clock.Advance(absl::Milliseconds(9));
  EXPECT_FALSE(returned.HasBeenNotified());
  EXPECT_EQ(clock.waiters(), 1);
  clock.Advance(absl::Milliseconds(1));
  returned.WaitForNotification();
  waiter.join();
  EXPECT_FALSE(result);
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClockTest, ConditionWakesAWaiterBeforeItsDeadline) {
  FakeClock clock;
  Guarded state;
  bool result = false;
  std::thread waiter([&] { result = WaitForFlag(&clock, &state, clock.Now() + absl::Hours(1)); });
  clock.BlockUntilWaiters(1);
  {
    absl::MutexLock lock(&state.mu);
    state.flag = true;
  }
  waiter.join();
  EXPECT_TRUE(result);
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClockTest, SetTimeWakesOnlyDueWaiters) {
  FakeClock clock;
  Guarded early_state;
  Guarded late_state;
  const absl::Time start = clock.Now();
  absl::Notification early_done;
  std::thread early([&] {
    EXPECT_FALSE(WaitForFlag(&clock, &early_state, start + absl::Seconds(1)));
    early_done.Notify();
  });
  std::thread late(
      [&] { EXPECT_TRUE(WaitForFlag(&clock, &late_state, start + absl::Seconds(5))); });
  clock.BlockUntilWaiters(2);
  clock.SetTime(start + absl::Seconds(2));
  early_done.WaitForNotification();
  early.join();
  EXPECT_EQ(clock.waiters(), 1);
  {
    absl::MutexLock lock(&late_state.mu);
    late_state.flag = true;
  }
  late.join();
}

TEST(FakeClockTest, ManyWaitersAndAdvancersDoNotDeadlock) {
  FakeClock clock;
  const absl::Time start = clock.Now();
  constexpr int kWaiters = 8;
  std::vector<Guarded> states(kWaiters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 1; round <= 20; ++round) {
        (void)WaitForFlag(&clock, &states[i], start + absl::Milliseconds(round * (i + 1)));
      }
    });
  }
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] {
      for (int step = 0; step < 200; ++step) clock.Advance(absl::Milliseconds(1));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(clock.Now(), start + absl::Milliseconds(400));
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(RealClockTest, NowIsWallTime) {
  const absl::Time before = absl::Now();
  const absl::Time now = RealClock::Get()->Now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, absl::Now());
}

TEST(RealClockTest, AwaitReturnsAtTheDeadlineOrWhenTheConditionHolds) {
  Guarded state;
  EXPECT_FALSE(WaitForFlag(RealClock::Get(), &state, absl::Now() + absl::Milliseconds(5)));
  {
    absl::MutexLock lock(&state.mu);
    state.flag = true;
  }
  EXPECT_TRUE(WaitForFlag(RealClock::Get(), &state, absl::InfiniteFuture()));
}

}  // namespace
}  // namespace aiaas
