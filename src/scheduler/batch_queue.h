#ifndef AIAAS_SCHEDULER_BATCH_QUEUE_H_
#define AIAAS_SCHEDULER_BATCH_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/serving_config.h"
#include "scheduler/task.h"

// The queue and scheduling policy behind a Batcher (see batcher.h for the
// rules in prose). Batcher users need not include this header.
namespace aiaas::scheduler {

// A task waiting in a BatchQueue.
struct QueuedTask {
  Task task;
  // BatchRows(task.inputs); for a non-batching model, 0 when it has none.
  int64_t rows = 0;
  // When Add() accepted it, by the queue's clock.
  absl::Time enqueued;
  // Acceptance order: 1 for the queue's first task, then 2, 3, ... (0 for a
  // task not made by Add(), e.g. in a PlanBatch test).
  uint64_t seq = 0;
};

// Why a batch was dispatched, or that none is (kWait).
enum class DispatchReason {
  kWait,       // nothing to dispatch yet
  kAlone,      // max_batch_size == 0: the oldest request runs by itself
  kFull,       // max_batch_size rows, or the next compatible request does not fit
  kPreferred,  // a preferred batch size reached (the batch is cut there)
  kDelay,      // the oldest request waited max_queue_delay_us
  kIdle,       // waiting would not help: recent waits gathered no requests
};

// The adaptive "waiting would not help" rule (batcher.h, rule (d)). The queue
// keeps a moving average of how many requests joined a batch while its leader
// waited (any batch dispatched after a wait, whatever the reason). When that
// estimate is below kIdleGainThresholdRequests, a leader that would wait
// dispatches at once instead (kIdle).
inline constexpr double kIdleGainThresholdRequests = 0.5;
// Weight of the newest wait in the moving average (exponential smoothing):
// two waits that gather nothing take the estimate from 1 to 0.25.
inline constexpr double kWaitGainSmoothing = 0.5;
// The estimate before any wait was measured: waiting helps (the behaviour of
// a queue without the rule) until waits show otherwise.
inline constexpr double kInitialWaitGainRequests = 1.0;
// To notice rising load, a leader that would dispatch kIdle waits out the
// delay instead (a probe, measured like any wait) once both this many kIdle
// batches and this much clock time have passed since the last wait. Both
// limits bound the probes' cost: at most one wait per kIdleProbeInterval under
// fast closed-loop traffic, one per kIdleProbeBatches batches under sparse
// traffic.
inline constexpr int kIdleProbeBatches = 32;
inline constexpr absl::Duration kIdleProbeInterval = absl::Milliseconds(100);
// For PlanBatch: assume waiting helps (never dispatch kIdle).
inline constexpr double kWaitAlwaysHelps = std::numeric_limits<double>::infinity();

// The next batch of a queue, as decided by PlanBatch().
struct BatchPlan {
  DispatchReason reason = DispatchReason::kWait;
  // Indices into the queue, ascending, starting with 0; empty when kWait.
  std::vector<size_t> members;
  // Rows of the members.
  int64_t rows = 0;
  // With kWait: when the oldest request's delay expires (plan again then, or
  // when a request arrives).
  absl::Time wait_until = absl::InfiniteFuture();
};

// The scheduling rules as a pure function of the queue (oldest first, no
// expired or cancelled tasks, non-empty), a valid `config`, the time, and
// `wait_gain_requests`: how many requests are expected to join the batch if
// the caller waits (the queue's estimate). A plan that would wait is
// dispatched as kIdle instead when that is below kIdleGainThresholdRequests.
BatchPlan PlanBatch(const std::deque<QueuedTask>& queue, const ServingConfig& config,
                    absl::Time now, double wait_gain_requests = kWaitAlwaysHelps);

// What a batcher thread does next, from BatchQueue::Next().
struct Work {
  struct Failed {
    QueuedTask task;
    absl::Status status;
    TaskTiming timing;
  };
  // Tasks to execute as one batch, oldest first; may be empty.
  std::vector<QueuedTask> batch;
  DispatchReason reason = DispatchReason::kWait;
  absl::Time dispatched;
  // Tasks never to execute (expired, cancelled, unloaded): call `done` with
  // the status and timing.
  std::vector<Failed> failed;
  // The queue is stopped: after this work the thread should exit.
  bool stop = false;
};

// A FIFO of tasks for one model version, shared by its batcher threads. At
// most one idle thread at a time (the leader) forms the next batch, waiting on
// the clock for the batching delay unless waiting would not help (kIdle); the
// others wait their turn.
//
// Thread-safety: all methods may be called concurrently. `clock` is borrowed
// and must outlive every call.
class BatchQueue {
 public:
  // `config` must be valid (ValidateServingConfig).
  BatchQueue(const ServingConfig& config, Clock* clock, std::string name);

  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // Queues `task` (see Batcher::Submit for the errors). When the queue is at
  // max_queue_size, first removes its dead tasks (cancelled, or deadline
  // passed by the clock) and calls their `done` (Cancelled / DeadlineExceeded,
  // as in Next()) on the calling thread, after releasing the queue's lock and
  // before returning; only if the queue is still full is `task` refused.
  // Answering them here rather than handing them to a batcher thread frees
  // them at once even while every instance is busy with a long batch.
  [[nodiscard]] absl::Status Add(Task task);

  // Whether a task of `rows` rows with `deadline` may skip the queue and run
  // at once on the calling thread: the queue is empty, fewer than
  // instance_count batches are executing, and the model does not batch or
  // waiting would not help (rule (d), no probe due). On true the task counts
  // as an executing batch of one (and in flight) until Finished(1); a kIdle
  // dispatch is counted for rule (d). The caller must still validate the task
  // as Add() does (ValidateForQueue).
  bool ClaimIdleInstance(int64_t rows, absl::Time deadline);

  // The checks Add() makes before queueing `task` (stopped, no done callback,
  // rows beyond max_batch_size), without queueing it.
  [[nodiscard]] absl::Status ValidateForQueue(const Task& task,
                                              const absl::StatusOr<int64_t>& rows) const;

  // Blocks until the calling thread has work: a batch to run and/or tasks to
  // fail. The batch's requests count as in flight until Finished().
  Work Next();
  // Next() counts the batch as executing; Finished() ends that.

  // The caller finished running a batch of `requests` requests from Next()
  // (the executor returned; results may not be delivered yet).
  void Finished(size_t requests);

  // Refuses new tasks; the next Next() calls hand every queued task back as
  // failed with Unavailable and tell each thread to stop. Idempotent. After
  // Stop() the queue no longer uses the clock (a thread finishing after its
  // Batcher is gone may outlive the clock).
  void Stop();

  int queue_depth() const;
  int in_flight() const;
  // The current estimate of requests joining a batch while its leader waits
  // (see kIdleGainThresholdRequests).
  double wait_gain_requests() const;

 private:
  // Add() under mu_: `dead` receives the tasks removed to make room.
  absl::Status ValidateLocked(const Task& task, const absl::StatusOr<int64_t>& rows) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AddLocked(Task task, const absl::StatusOr<int64_t>& rows,
                         std::vector<Work::Failed>* dead) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool CanLead() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The estimate to plan with, at `now`, for a leader that has not waited
  // yet: kWaitAlwaysHelps when a probe is due.
  double PlanningGainLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Folds the requests of `plan` accepted after `wait_seq` (they joined
  // while the leader waited) into the estimate.
  void LearnLocked(const BatchPlan& plan, uint64_t wait_seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves expired and cancelled tasks into `failed`.
  void DropDeadLocked(absl::Time now, std::vector<Work::Failed>* failed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the plan's members from the queue into `batch`.
  void TakeLocked(const BatchPlan& plan, std::vector<QueuedTask>* batch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ServingConfig config_;
  Clock* const clock_;
  const std::string name_;

  mutable absl::Mutex mu_;
  std::deque<QueuedTask> queue_ ABSL_GUARDED_BY(mu_);
  // Tasks accepted so far: a change wakes the leader to plan again.
  uint64_t added_ ABSL_GUARDED_BY(mu_) = 0;
  // A thread is forming the next batch.
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // When Stop() was first called: the end of the queue time of unloaded tasks.
  absl::Time stopped_at_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // Batches being executed, by instance threads or on callers' threads
  // (ClaimIdleInstance); at most instance_count.
  int executing_ ABSL_GUARDED_BY(mu_) = 0;

  // The "waiting would not help" rule (kIdleGainThresholdRequests).
  double wait_gain_requests_ ABSL_GUARDED_BY(mu_) = kInitialWaitGainRequests;
  // When a leader last started to wait; kIdle batches dispatched since.
  absl::Time last_wait_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int idle_since_wait_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace aiaas::scheduler

#endif  // AIAAS_SCHEDULER_BATCH_QUEUE_H_
