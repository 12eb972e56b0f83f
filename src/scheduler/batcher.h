#ifndef AIAAS_SCHEDULER_BATCHER_H_
#define AIAAS_SCHEDULER_BATCHER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/serving_config.h"
#include "common/tensor.h"
#include "runtime/servable.h"
#include "scheduler/task.h"

namespace aiaas::scheduler {

class BatchQueue;
namespace internal {
struct Instances;
}  // namespace internal

struct BatcherOptions {
  // max_batch_size, max_queue_delay_us, preferred_batch_sizes, instance_count
  // and max_queue_size are used; the other fields are the caller's.
  ServingConfig config;
  // Time for queue delays, deadlines and timings. Borrowed; must outlive the
  // Batcher. Null means RealClock::Get().
  Clock* clock = nullptr;
  // Names the model in error messages and thread names, e.g. "resnet:3".
  std::string name;
  // When an instance is idle and the request would be dispatched at once
  // anyway (the queue is empty and the model does not batch, or waiting would
  // not help: rule (d)), Submit() runs it on the calling thread instead of
  // handing it to an instance thread: no thread hand-off, so less latency and
  // CPU at low load. Off by default; see Submit().
  bool run_on_caller_when_idle = false;
};

// OK when `config` can drive a Batcher: max_batch_size >= 0; every preferred
// batch size in [1, max_batch_size] (so none when max_batch_size is 0);
// instance_count in [1, 64]; max_queue_size >= 1; max_queue_delay_us >= 0;
// default_timeout_ms >= 0. Otherwise InvalidArgument naming the field.
[[nodiscard]] absl::Status ValidateServingConfig(const ServingConfig& config);

// Queues inference requests for one loaded model version, groups them into
// batches along the first dimension, and runs each batch on one of
// `instance_count` threads by calling the executor (usually Servable::Infer).
//
// Scheduling rules.
//  * max_batch_size == 0: every request runs alone, in arrival order, on the
//    next free instance, without delay. Inputs are passed through untouched.
//  * max_batch_size > 0: an idle instance forms the next batch from the
//    oldest queued request plus the following requests compatible with it
//    (same input names, dtypes and dims except the first; see batching.h), in
//    arrival order, up to max_batch_size rows; it stops at the first
//    compatible request that would not fit. Incompatible requests are skipped
//    and keep their place, so they lead a later batch in arrival order. The
//    batch is dispatched as soon as
//      (a) it is full: max_batch_size rows, or the next compatible request
//          does not fit; or
//      (b) its rows reach a preferred batch size: it is cut after the longest
//          run of requests whose rows equal a preferred size, and the rest
//          waits for the next batch (an idle instance runs a preferred size
//          at once instead of waiting for more); or
//      (c) the oldest request has waited max_queue_delay_us (0: never wait); or
//      (d) the instance is idle and waiting would not help: the queue keeps
//          a moving average of how many requests joined a batch while its
//          instance waited; when that is below half a request (recent waits
//          gathered nothing, e.g. one closed-loop client), the instance
//          dispatches what it has at once instead of waiting for (c). To
//          notice rising load it still waits out the delay once at least 32
//          such batches and 100 ms have passed since its last wait; when
//          waits gather requests again the average rises and waiting resumes.
//          Under sustained load (the queue refills while instances compute)
//          waits gather requests, so batches form on (a)-(c) as before.
//          Constants and details: batch_queue.h, kIdleGainThresholdRequests.
//    Otherwise the instance waits for (c), a new request, or shutdown, then
//    forms the batch again (once it has started waiting for a batch, it
//    waits by (a)-(c) only). At most one idle instance forms a batch at a
//    time; the others wait their turn, so concurrent batches never share a
//    request. The time is the clock's (BatcherOptions::clock).
//  * Whenever a batch is formed, and whenever Submit() finds the queue at
//    max_queue_size, queued requests whose deadline has passed are failed
//    with DeadlineExceeded ("request timed out after N ms in the queue") and
//    cancelled ones with Cancelled; neither is ever executed, and dead
//    requests never make Submit() refuse a live one as "queue full". A
//    deadline passing or a cancellation while every instance is busy is
//    otherwise seen when the next instance becomes free (the caller may
//    answer the client earlier by itself; `done` still comes once).
//  * A batch of one request is passed to the executor as is; a larger batch
//    is Concatenate()d and its outputs Split() so each task receives exactly
//    its own rows. With max_batch_size > 0 every output must have the batch's
//    rows as first dimension, otherwise each task of the batch fails with
//    Internal ("model output 'y' has shape [..]; its first dimension must be
//    the batch size N"). An executor error is given to every task of the batch.
//
// Thread-safety: every method may be called from any thread. The executor
// is called from up to instance_count threads at once, without any lock
// held. Shutdown() and the destructor block until running batches finish;
// they may also run on a batcher thread (e.g. the last reference dropped
// inside `done`): that thread then exits by itself after its `done` returns,
// so `done` must touch nothing owned with the batcher after that.
//
// Example:
//   BatcherOptions options{version.config, nullptr, "resnet:3"};
//   AIAAS_ASSIGN_OR_RETURN(auto batcher, Batcher::Create(options,
//       [servable](const TensorMap& inputs) { return servable->Infer(inputs); }));
//   absl::Status queued = batcher->Submit({std::move(inputs), deadline, cancelled,
//       [](absl::StatusOr<runtime::NamedTensors> outputs, const TaskTiming&) {...}});
//   if (!queued.ok()) ...  // answer now: `done` will not be called
class Batcher {
 public:
  // Runs one batch; thread-safe. Returns the outputs in the model's order.
  using Executor = std::function<absl::StatusOr<runtime::NamedTensors>(const TensorMap& inputs)>;

  // Validates options.config (ValidateServingConfig) and starts
  // config.instance_count threads. InvalidArgument for a bad config or a
  // null executor.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Batcher>> Create(
      const BatcherOptions& options, Executor executor);

  // Shutdown().
  ~Batcher();

  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `task`. On OK, task.done will be called exactly once, normally
  // from a batcher thread (see Task::done for the exception: a later
  // Submit() that reclaims it as dead). Before returning, this call may run
  // the `done` of queued tasks it failed as dead to make room, on this
  // thread without any batcher lock held: hold no lock across Submit() that
  // such a `done` takes. On error task.done is not called, and:
  //   Unavailable "queue of model X is full (max_queue_size N)" (with live
  //     requests only): answer 503 and let the client retry later;
  //   InvalidArgument: the request can never run here: with max_batch_size
  //     > 0, inputs without a common first dimension, or more rows than
  //     max_batch_size ("batch dimension 70 exceeds max_batch_size 64"); or
  //     task.done is empty;
  //   FailedPrecondition: Shutdown() has started.
  //
  // With BatcherOptions::run_on_caller_when_idle and task.may_run_on_caller,
  // Submit() may instead run
  // the task at once as a batch of one on the calling thread, within
  // instance_count, and call its `done` there before returning OK. Such a
  // batch keeps the executor alive by itself and may still be running when
  // Shutdown() returns.
  [[nodiscard]] absl::Status Submit(Task task);

  // Refuses new tasks, fails every queued task with Unavailable ("model X is
  // being unloaded"), lets running batches finish, and joins the threads.
  // Idempotent and safe from any thread: a call from a batcher thread (from
  // `done`) neither joins nor waits for that thread, so it cannot deadlock.
  void Shutdown();

  // Requests waiting in the queue (not yet dispatched).
  int queue_depth() const;
  // Requests in batches being executed now (dispatched, executor not yet
  // returned).
  int in_flight() const;

 private:
  Batcher(std::shared_ptr<const internal::Instances> instances, std::vector<std::thread> threads,
          bool run_on_caller_when_idle);

  // Shared with the threads, which may outlive the Batcher (see Shutdown()).
  const std::shared_ptr<const internal::Instances> instances_;
  const std::shared_ptr<BatchQueue> queue_;
  const bool run_on_caller_when_idle_;

  // Ids of the batcher threads; never changes.
  const std::vector<std::thread::id> thread_ids_;

  absl::Mutex threads_mu_;
  // Handed to the first Shutdown(), which joins them and then sets joined_.
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(threads_mu_);
  bool joined_ ABSL_GUARDED_BY(threads_mu_) = false;
};

}  // namespace aiaas::scheduler

#endif  // AIAAS_SCHEDULER_BATCHER_H_
