#ifndef AIAAS_COMMON_CLOCK_H_
#define AIAAS_COMMON_CLOCK_H_

#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace aiaas {

// The source of time for deadlines and batching delays, and the one way code
// that must "wait until X happens or time T comes" blocks. Production code
// uses RealClock::Get(); tests pass a FakeClock and move time by hand, so a
// test never sleeps to make a delay elapse.
//
// Thread-safety: every method may be called concurrently.
class Clock {
 public:
  virtual ~Clock() = default;

  // The current time.
  virtual absl::Time Now() = 0;

  // Blocks until `cond` holds or Now() >= `deadline`, whichever comes first.
  // `mu` must be held on entry; like absl::Mutex::Await it is released while
  // blocked and held again on return. `cond` is evaluated with `mu` held and
  // must depend only on state guarded by `mu`. Returns the value of `cond` on
  // return (true: the condition holds; false: the deadline came first).
  // `deadline` may be absl::InfiniteFuture() (wait for `cond` only).
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;
};

// Wall-clock time (absl::Now()); waits are absl::Mutex::AwaitWithDeadline.
class RealClock final : public Clock {
 public:
  // The process-wide instance; never destroyed.
  static RealClock* Get();

  absl::Time Now() override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override;

 private:
  RealClock() = default;
};

// A clock that only moves when told to, for tests. A thread blocked in
// AwaitWithDeadline() wakes as soon as Advance()/SetTime() reaches its
// deadline, or when its condition becomes true (whatever changes the state
// under `mu` releases `mu`, which re-evaluates the condition as usual).
//
// Lock order: a waiter holds its `mu` and then takes the clock's lock; the
// clock never holds its own lock while taking a waiter's `mu`.
//
// Usage:
//   FakeClock clock;
//   ... start a thread that waits with deadline clock.Now() + 5ms ...
//   clock.BlockUntilWaiters(1);         // the thread is now blocked
//   clock.Advance(absl::Milliseconds(5));  // and now it wakes
class FakeClock final : public Clock {
 public:
  // Starts at `start` (default: an arbitrary fixed time, 2020-01-01 UTC).
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1577836800));
  // Precondition: no thread is blocked in AwaitWithDeadline().
  ~FakeClock() override;

  FakeClock(const FakeClock&) = delete;
  FakeClock& operator=(const FakeClock&) = delete;

  absl::Time Now() override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override;

  // Moves time forward by `delta` (>= 0; negative values are ignored) and
  // wakes every waiter whose deadline has been reached.
  void Advance(absl::Duration delta);
  // Moves time to `time` if it is later than Now(); otherwise does nothing.
  void SetTime(absl::Time time);

  // Blocks (really) until at least `count` threads are blocked in
  // AwaitWithDeadline() with a deadline not yet reached. Lets a test know
  // that the code under test has decided to wait before it moves time.
  void BlockUntilWaiters(int count);
  // Threads currently blocked in AwaitWithDeadline() with a deadline not yet reached.
  int waiters();

 private:
  // One blocked AwaitWithDeadline() call; lives on the waiter's stack.
  struct Waiter {
    absl::Mutex* mu;
    absl::Time deadline;
    // Set (under `mu`) by the thread that wakes the waiter.
    bool fired = false;
    // Guarded by the clock's mu_: a waker took it out of `waiting_` and may
    // still touch `mu`; the waiter must not return before it is done.
    bool being_woken = false;
  };

  void WakeDueWaiters() ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  // Waiters whose deadline is later than now_ (not yet woken).
  std::set<Waiter*> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace aiaas

#endif  // AIAAS_COMMON_CLOCK_H_
