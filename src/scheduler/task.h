#ifndef AIAAS_SCHEDULER_TASK_H_
#define AIAAS_SCHEDULER_TASK_H_

#include <atomic>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tensor.h"
#include "runtime/servable.h"

namespace aiaas::scheduler {

// Where a task's time went, reported with its result.
struct TaskTiming {
  // Submit() to dispatch (or, for a task that never ran, to when it was failed).
  absl::Duration queue;
  // The executor call that ran the task's batch; zero if the task never ran.
  absl::Duration compute;
  // Rows of the execution that included the task (for a non-batching model,
  // the request's first dimension, or 0 if it has none); 0 if it never ran.
  int batch_rows = 0;
  // Requests of that execution; 0 if the task never ran.
  int batch_requests = 0;
};

// One inference request handed to a Batcher.
struct Task {
  // The request's inputs. For a batching model (max_batch_size > 0) every
  // input has the same first dimension: the request's rows.
  TensorMap inputs;
  // A task still queued at this time is failed with DeadlineExceeded and never
  // executed. Checked when a batch is formed and when Submit() finds the queue
  // full; a running task is not interrupted.
  absl::Time deadline = absl::InfiniteFuture();
  // When set (e.g. the client hung up) while the task is queued, the task is
  // failed with Cancelled and never executed. May be null.
  std::shared_ptr<const std::atomic<bool>> cancelled;
  // Receives the task's own output rows (the model's outputs, in the model's
  // order, sliced to this task's rows) or the error. Called exactly once,
  // unless Submit() returned an error (then never): on a batcher thread, or,
  // for a task failed while queued (cancelled, deadline passed) because a
  // later Submit() found the queue full, on that Submit()'s thread before it
  // returns, with no batcher lock held. Should be short: the thread runs the
  // next batch only after it returns.
  std::function<void(absl::StatusOr<runtime::NamedTensors> outputs, const TaskTiming& timing)> done;
  // The submitter has nothing else to do (e.g. no other request is being
  // served): with BatcherOptions::run_on_caller_when_idle, Submit() may run
  // the task on the calling thread. Under load, leaving decoding threads free
  // while instance threads compute pipelines better, so callers clear it.
  bool may_run_on_caller = true;
};

}  // namespace aiaas::scheduler

#endif  // AIAAS_SCHEDULER_TASK_H_
