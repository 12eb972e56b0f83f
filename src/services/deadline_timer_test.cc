#include "services/deadline_timer.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace aiaas::services {
namespace {

TEST(DeadlineTimerTest, FiresInDeadlineOrder) {
  DeadlineTimer timer;
  std::vector<int> order;
  absl::Mutex mu;
  absl::Notification done;
  absl::Time now = absl::Now();
  timer.Schedule(now + absl::Milliseconds(30), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(2);
    done.Notify();
  });
  timer.Schedule(now + absl::Milliseconds(10), [&] {
    absl::MutexLock lock(&mu);
    order.push_back(1);
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(DeadlineTimerTest, PastDeadlineFiresAtOnceAndCancelPrevents) {
  DeadlineTimer timer;
  std::atomic<bool> cancelled_ran{false};
  auto id = timer.Schedule(absl::Now() + absl::Milliseconds(50), [&] { cancelled_ran = true; });
  timer.Cancel(id);
  absl::Notification fired;
  timer.Schedule(absl::Now() - absl::Seconds(1), [&] { fired.Notify(); });
  ASSERT_TRUE(fired.WaitForNotificationWithTimeout(absl::Seconds(10)));
  // The cancelled callback's deadline is later than the past one; give it time to (not) run.
  absl::Notification later;
  timer.Schedule(absl::Now() + absl::Milliseconds(100), [&] { later.Notify(); });
  ASSERT_TRUE(later.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(cancelled_ran.load());
}

TEST(DeadlineTimerTest, InfiniteDeadlineSchedulesNothing) {
  DeadlineTimer timer;
  EXPECT_EQ(timer.Schedule(absl::InfiniteFuture(), [] {}), 0u);
}

}  // namespace
}  // namespace aiaas::services
