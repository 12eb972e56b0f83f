#ifndef AIAAS_SERVICES_DEADLINE_TIMER_H_
#define AIAAS_SERVICES_DEADLINE_TIMER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace aiaas::services {

// Runs callbacks at deadlines on one background thread, so a request waiting
// in a queue behind long computations is still answered when its deadline
// passes. Callbacks must be short (they answer a request and set a flag).
//
// Thread-safety: all methods may be called from any thread. The destructor
// drops pending callbacks without running them and joins the thread.
class DeadlineTimer {
 public:
  using Id = uint64_t;

  DeadlineTimer();
  ~DeadlineTimer();
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Runs `callback` at `deadline` (at once if it already passed) unless
  // Cancel(id) comes first. An infinite deadline schedules nothing (returns 0).
  Id Schedule(absl::Time deadline, std::function<void()> callback);

  // Drops a pending callback; no effect if it already ran or is 0.
  void Cancel(Id id);

 private:
  void Run();

  absl::Mutex mu_;
  // Ordered by (deadline, id): the first entry fires next.
  std::map<std::pair<absl::Time, Id>, std::function<void()>> pending_ ABSL_GUARDED_BY(mu_);
  std::map<Id, absl::Time> deadlines_ ABSL_GUARDED_BY(mu_);
  Id next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_DEADLINE_TIMER_H_
