#include "scheduler/batch_queue.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "scheduler/batching.h"

namespace aiaas::scheduler {
namespace {

bool IsPreferred(const ServingConfig& config, int64_t rows) {
  return std::find(config.preferred_batch_sizes.begin(), config.preferred_batch_sizes.end(),
                   rows) != config.preferred_batch_sizes.end();
}

TaskTiming FailedTiming(const QueuedTask& task, absl::Time now) {
  TaskTiming timing;
  timing.queue = now - task.enqueued;
  return timing;
}

}  // namespace

BatchPlan PlanBatch(const std::deque<QueuedTask>& queue, const ServingConfig& config,
                    absl::Time now, double wait_gain_requests) {
  BatchPlan plan;
  const QueuedTask& oldest = queue.front();
  plan.members.push_back(0);
  plan.rows = oldest.rows;
  if (config.max_batch_size == 0) {
    plan.reason = DispatchReason::kAlone;
    return plan;
  }

  // The oldest request plus the following compatible ones, in arrival order,
  // up to max_batch_size rows. Incompatible requests are skipped and keep
  // their place for a later batch.
  const int64_t max_rows = config.max_batch_size;
  std::vector<int64_t> prefix_rows = {oldest.rows};
  bool full = plan.rows >= max_rows;
  for (size_t i = 1; i < queue.size() && !full; ++i) {
    if (!Compatible(oldest.task.inputs, queue[i].task.inputs)) continue;
    if (plan.rows + queue[i].rows > max_rows) {
      full = true;  // the next compatible request does not fit: this batch cannot grow
      break;
    }
    plan.members.push_back(i);
    plan.rows += queue[i].rows;
    prefix_rows.push_back(plan.rows);
    full = plan.rows == max_rows;
  }
  if (full) {
    plan.reason = DispatchReason::kFull;
    return plan;
  }

  // The longest prefix at a preferred size; the rest waits for the next batch.
  for (size_t n = plan.members.size(); n > 0; --n) {
    if (IsPreferred(config, prefix_rows[n - 1])) {
      plan.reason = DispatchReason::kPreferred;
      plan.members.resize(n);
      plan.rows = prefix_rows[n - 1];
      return plan;
    }
  }

  plan.wait_until = oldest.enqueued + absl::Microseconds(config.max_queue_delay_us);
  if (now >= plan.wait_until) {
    plan.reason = DispatchReason::kDelay;
    plan.wait_until = absl::InfiniteFuture();
    return plan;
  }
  if (wait_gain_requests < kIdleGainThresholdRequests) {
    plan.reason = DispatchReason::kIdle;
    plan.wait_until = absl::InfiniteFuture();
    return plan;
  }
  plan.members.clear();
  plan.rows = 0;
  return plan;
}

BatchQueue::BatchQueue(const ServingConfig& config, Clock* clock, std::string name)
    : config_(config), clock_(clock), name_(std::move(name)) {}

absl::Status BatchQueue::Add(Task task) {
  absl::StatusOr<int64_t> rows = BatchRows(task.inputs);
  std::vector<Work::Failed> dead;
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    status = AddLocked(std::move(task), rows, &dead);
  }
  // Unlocked: `done` may re-enter the queue (Submit, queue_depth, Shutdown).
  // Nothing of `this` is touched after the first call.
  for (Work::Failed& failed : dead) {
    failed.task.task.done(std::move(failed.status), failed.timing);
  }
  return status;
}

absl::Status BatchQueue::ValidateForQueue(const Task& task,
                                          const absl::StatusOr<int64_t>& rows) const {
  absl::MutexLock lock(&mu_);
  return ValidateLocked(task, rows);
}

absl::Status BatchQueue::ValidateLocked(const Task& task,
                                        const absl::StatusOr<int64_t>& rows) const {
  if (stopping_) {
    return absl::FailedPreconditionError(
        absl::StrCat("model ", name_, " is being unloaded; it accepts no new requests"));
  }
  if (!task.done) return absl::InvalidArgumentError("the task has no done callback");
  if (config_.max_batch_size > 0) {
    if (!rows.ok()) return rows.status();
    if (*rows > config_.max_batch_size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "batch dimension ", *rows, " exceeds max_batch_size ", config_.max_batch_size));
    }
  }
  return absl::OkStatus();
}

bool BatchQueue::ClaimIdleInstance(int64_t rows, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || !queue_.empty() || executing_ >= config_.instance_count) return false;
  const absl::Time now = clock_->Now();
  if (now >= deadline) return false;  // the queue answers it as expired
  if (config_.max_batch_size > 0) {
    if (rows > config_.max_batch_size) return false;
    // A batch of one at a preferred size or full is dispatched at once anyway.
    const bool at_once =
        rows >= config_.max_batch_size ||
        std::find(config_.preferred_batch_sizes.begin(), config_.preferred_batch_sizes.end(),
                  rows) != config_.preferred_batch_sizes.end() ||
        config_.max_queue_delay_us == 0;
    if (!at_once) {
      if (PlanningGainLocked(now) >= kIdleGainThresholdRequests) return false;
      ++idle_since_wait_;
    }
  }
  ++executing_;
  ++in_flight_;
  return true;
}

absl::Status BatchQueue::AddLocked(Task task, const absl::StatusOr<int64_t>& rows,
                                   std::vector<Work::Failed>* dead) {
  AIAAS_RETURN_IF_ERROR(ValidateLocked(task, rows));
  const absl::Time now = clock_->Now();
  const size_t max_queue_size = static_cast<size_t>(config_.max_queue_size);
  // Dead tasks would otherwise hold their slots until the next batch is formed.
  if (queue_.size() >= max_queue_size) DropDeadLocked(now, dead);
  if (queue_.size() >= max_queue_size) {
    return absl::UnavailableError(absl::StrCat(
        "queue of model ", name_, " is full (max_queue_size ", config_.max_queue_size, ")"));
  }
  ++added_;
  queue_.push_back(QueuedTask{std::move(task), rows.value_or(0), now, added_});
  return absl::OkStatus();
}

bool BatchQueue::CanLead() const {
  return stopping_ ||
         (!leader_ && !queue_.empty() && executing_ < config_.instance_count);
}

Work BatchQueue::Next() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &BatchQueue::CanLead));
  Work work;
  if (stopping_) {
    for (QueuedTask& task : queue_) {
      const TaskTiming timing = FailedTiming(task, stopped_at_);
      work.failed.push_back(
          {std::move(task),
           absl::UnavailableError(absl::StrCat("model ", name_, " is being unloaded")), timing});
    }
    queue_.clear();
    work.stop = true;
    return work;
  }

  leader_ = true;
  // Once the leader starts waiting it keeps to the delay rules for this batch,
  // and the requests that join meanwhile are its measure of the wait's gain.
  bool waited = false;
  uint64_t wait_seq = 0;  // added_ when the wait started
  while (!stopping_) {
    const absl::Time now = clock_->Now();
    DropDeadLocked(now, &work.failed);
    if (queue_.empty()) break;
    const BatchPlan plan =
        PlanBatch(queue_, config_, now, waited ? kWaitAlwaysHelps : PlanningGainLocked(now));
    if (plan.reason != DispatchReason::kWait) {
      if (waited) LearnLocked(plan, wait_seq);
      if (plan.reason == DispatchReason::kIdle) ++idle_since_wait_;
      TakeLocked(plan, &work.batch);
      work.reason = plan.reason;
      work.dispatched = now;
      in_flight_ += static_cast<int>(work.batch.size());
      ++executing_;
      break;
    }
    // Answer dropped tasks now rather than after the wait.
    if (!work.failed.empty()) break;

    if (!waited) {
      waited = true;
      wait_seq = added_;
      last_wait_ = now;
      idle_since_wait_ = 0;
    }
    struct Wake {
      const BatchQueue* queue;
      uint64_t seen;
    };
    Wake wake{this, added_};
    (void)clock_->AwaitWithDeadline(&mu_,
                                    absl::Condition(
                                        +[](Wake* w) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                          return w->queue->stopping_ || w->queue->added_ != w->seen;
                                        },
                                        &wake),
                                    plan.wait_until);
  }
  leader_ = false;
  return work;
}

double BatchQueue::PlanningGainLocked(absl::Time now) const {
  const bool probe_due =
      idle_since_wait_ >= kIdleProbeBatches && now - last_wait_ >= kIdleProbeInterval;
  return probe_due ? kWaitAlwaysHelps : wait_gain_requests_;
}

void BatchQueue::LearnLocked(const BatchPlan& plan, uint64_t wait_seq) {
  int joined = 0;
  for (size_t i : plan.members) {
    if (queue_[i].seq > wait_seq) ++joined;
  }
  wait_gain_requests_ =
      (1 - kWaitGainSmoothing) * wait_gain_requests_ + kWaitGainSmoothing * joined;
}

void BatchQueue::DropDeadLocked(absl::Time now, std::vector<Work::Failed>* failed) {
  auto is_dead = [now](const QueuedTask& task) {
    return (task.task.cancelled != nullptr && task.task.cancelled->load()) ||
           now >= task.task.deadline;
  };
  if (std::none_of(queue_.begin(), queue_.end(), is_dead)) return;
  std::deque<QueuedTask> live;
  for (QueuedTask& task : queue_) {
    if (!is_dead(task)) {
      live.push_back(std::move(task));
      continue;
    }
    absl::Status status =
        task.task.cancelled != nullptr && task.task.cancelled->load()
            ? absl::CancelledError("the request was cancelled while queued")
            : absl::DeadlineExceededError(
                  absl::StrCat("request timed out after ",
                               absl::ToInt64Milliseconds(now - task.enqueued), " ms in the queue"));
    const TaskTiming timing = FailedTiming(task, now);
    failed->push_back({std::move(task), std::move(status), timing});
  }
  queue_ = std::move(live);
}

void BatchQueue::TakeLocked(const BatchPlan& plan, std::vector<QueuedTask>* batch) {
  batch->reserve(plan.members.size());
  std::deque<QueuedTask> rest;
  size_t next_member = 0;
  for (size_t i = 0; i < queue_.size(); ++i) {
    if (next_member < plan.members.size() && plan.members[next_member] == i) {
      batch->push_back(std::move(queue_[i]));
      ++next_member;
    } else {
      rest.push_back(std::move(queue_[i]));
    }
  }
  queue_ = std::move(rest);
}

void BatchQueue::Finished(size_t requests) {
  absl::MutexLock lock(&mu_);
  in_flight_ -= static_cast<int>(requests);
  --executing_;
}

void BatchQueue::Stop() {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  stopping_ = true;
  stopped_at_ = clock_->Now();
}

int BatchQueue::queue_depth() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

int BatchQueue::in_flight() const {
  absl::MutexLock lock(&mu_);
  return in_flight_;
}

double BatchQueue::wait_gain_requests() const {
  absl::MutexLock lock(&mu_);
  return wait_gain_requests_;
}

}  // namespace aiaas::scheduler
