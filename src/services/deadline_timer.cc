#include "services/deadline_timer.h"

#include "absl/time/clock.h"

namespace aiaas::services {

DeadlineTimer::DeadlineTimer() : thread_([this] { Run(); }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

DeadlineTimer::Id DeadlineTimer::Schedule(absl::Time deadline, std::function<void()> callback) {
  if (deadline == absl::InfiniteFuture()) return 0;
  absl::MutexLock lock(&mu_);
  Id id = next_id_++;
  pending_.emplace(std::make_pair(deadline, id), std::move(callback));
  deadlines_.emplace(id, deadline);
  return id;
}

void DeadlineTimer::Cancel(Id id) {
  if (id == 0) return;
  absl::MutexLock lock(&mu_);
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  pending_.erase(std::make_pair(it->second, id));
  deadlines_.erase(it);
}

void DeadlineTimer::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    absl::Time next = pending_.empty() ? absl::InfiniteFuture() : pending_.begin()->first.first;
    if (next > absl::Now()) {
      // Wakes early when a sooner deadline is scheduled or on shutdown.
      auto earlier_or_stop = [this, next]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || (!pending_.empty() && pending_.begin()->first.first < next);
      };
      mu_.AwaitWithDeadline(absl::Condition(&earlier_or_stop), next);
      continue;
    }
    auto first = pending_.begin();
    std::function<void()> callback = std::move(first->second);
    deadlines_.erase(first->first.second);
    pending_.erase(first);
    mu_.Unlock();
    callback();
    mu_.Lock();
  }
}

}  // namespace aiaas::services
