#include "common/clock.h"

#include <vector>

namespace aiaas {

RealClock* RealClock::Get() {
  static RealClock* const clock = new RealClock();  // never destroyed: threads may outlive main
  return clock;
}

absl::Time RealClock::Now() { return absl::Now(); }

bool RealClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                  absl::Time deadline) {
  return mu->AwaitWithDeadline(cond, deadline);
}

FakeClock::FakeClock(absl::Time start) : now_(start) {}

FakeClock::~FakeClock() = default;

absl::Time FakeClock::Now() {
  absl::MutexLock lock(&mu_);
  return now_;
}

bool FakeClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                  absl::Time deadline) {
  mu->AssertHeld();
  if (deadline == absl::InfiniteFuture()) {
    mu->Await(cond);
    return true;
  }
  Waiter waiter{mu, deadline};
  {
    absl::MutexLock lock(&mu_);
    if (now_ >= deadline) return cond.Eval();
    waiting_.insert(&waiter);
  }

  struct WakeUp {
    const absl::Condition* cond;
    const Waiter* waiter;
  };
  WakeUp wake_up{&cond, &waiter};
  mu->Await(absl::Condition(
      +[](WakeUp* w) { return w->waiter->fired || w->cond->Eval(); }, &wake_up));

  {
    absl::MutexLock lock(&mu_);
    waiting_.erase(&waiter);
    if (!waiter.being_woken) return cond.Eval();
  }
  // A waker took `waiter` out of waiting_ and is about to lock `mu` (or just
  // did): let it finish before `waiter` leaves the stack.
  mu->Unlock();
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](Waiter* w) { return !w->being_woken; }, &waiter));
  }
  mu->Lock();
  return cond.Eval();
}

void FakeClock::Advance(absl::Duration delta) {
  if (delta <= absl::ZeroDuration()) return;
  {
    absl::MutexLock lock(&mu_);
    now_ += delta;
  }
  WakeDueWaiters();
}

void FakeClock::SetTime(absl::Time time) {
  {
    absl::MutexLock lock(&mu_);
    if (time <= now_) return;
    now_ = time;
  }
  WakeDueWaiters();
}

void FakeClock::WakeDueWaiters() {
  std::vector<Waiter*> due;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if ((*it)->deadline <= now_) {
        (*it)->being_woken = true;
        due.push_back(*it);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  // Without mu_: a waiter holds its `mu` while it registers with mu_.
  for (Waiter* waiter : due) {
    absl::MutexLock lock(waiter->mu);
    waiter->fired = true;
  }
  absl::MutexLock lock(&mu_);
  for (Waiter* waiter : due) waiter->being_woken = false;
}

void FakeClock::BlockUntilWaiters(int count) {
  struct Want {
    FakeClock* clock;
    size_t count;
  };
  Want want{this, count < 0 ? 0 : static_cast<size_t>(count)};
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](Want* w) ABSL_NO_THREAD_SAFETY_ANALYSIS { return w->clock->waiting_.size() >= w->count; },
      &want));
}

int FakeClock::waiters() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(waiting_.size());
}

}  // namespace aiaas
