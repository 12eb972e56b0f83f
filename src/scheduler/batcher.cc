#include "scheduler/batcher.h"

#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "scheduler/batch_queue.h"
#include "scheduler/batching.h"

namespace aiaas::scheduler {
namespace internal {

// What every batcher thread shares; owned jointly by the threads, so a thread
// may finish after the Batcher is gone (see Batcher::Shutdown).
struct Instances {
  std::shared_ptr<BatchQueue> queue;
  Batcher::Executor executor;
  Clock* clock;
  bool batching;  // max_batch_size > 0
};

}  // namespace internal
namespace {

using internal::Instances;

constexpr int kMaxInstanceCount = 64;

void SetThreadName(const std::string& model, int index) {
  // Linux limits thread names to 15 characters.
  std::string name = absl::StrCat(model.substr(0, 11), "/", index);
  name.resize(std::min<size_t>(name.size(), 15));
  pthread_setname_np(pthread_self(), name.c_str());
}

// Runs one batch, ends its in-flight count, and calls every task's `done`.
void Execute(const Instances& instances, std::vector<QueuedTask>& batch, absl::Time dispatched) {
  std::vector<int64_t> rows;
  rows.reserve(batch.size());
  for (const QueuedTask& task : batch) rows.push_back(task.rows);
  TaskTiming timing;
  timing.batch_requests = static_cast<int>(batch.size());
  for (int64_t count : rows) timing.batch_rows += static_cast<int>(count);

  const absl::Time start = instances.clock->Now();
  absl::StatusOr<runtime::NamedTensors> outputs;
  if (batch.size() == 1) {
    outputs = instances.executor(batch.front().task.inputs);
  } else {
    std::vector<const TensorMap*> parts;
    parts.reserve(batch.size());
    for (const QueuedTask& task : batch) parts.push_back(&task.task.inputs);
    absl::StatusOr<TensorMap> inputs = Concatenate(parts);
    if (inputs.ok()) {
      outputs = instances.executor(*inputs);
    } else {  // the queue only batches compatible requests
      outputs = absl::InternalError(
          absl::StrCat("cannot batch requests: ", std::string(inputs.status().message())));
    }
  }
  timing.compute = instances.clock->Now() - start;
  // No longer in flight before anyone hears the result.
  instances.queue->Finished(batch.size());

  if (outputs.ok() && instances.batching) {
    // A model that drops or reshapes the batch dimension is misconfigured
    // (max_batch_size should be 0): the request itself was fine.
    absl::Status rows_ok = CheckOutputRows(*outputs, timing.batch_rows);
    if (!rows_ok.ok()) outputs = absl::InternalError(rows_ok.message());
  }
  if (batch.size() == 1) {
    timing.queue = dispatched - batch.front().enqueued;
    batch.front().task.done(std::move(outputs), timing);
    return;
  }
  if (!outputs.ok()) {
    for (QueuedTask& task : batch) {
      timing.queue = dispatched - task.enqueued;
      task.task.done(outputs.status(), timing);
    }
    return;
  }
  absl::StatusOr<std::vector<runtime::NamedTensors>> split = Split(*outputs, rows);
  for (size_t i = 0; i < batch.size(); ++i) {
    timing.queue = dispatched - batch[i].enqueued;
    if (split.ok()) {
      batch[i].task.done(std::move((*split)[i]), timing);
    } else {
      batch[i].task.done(absl::InternalError(split.status().message()), timing);
    }
  }
}

void RunInstance(const std::shared_ptr<const Instances>& instances) {
  while (true) {
    Work work = instances->queue->Next();
    for (Work::Failed& failed : work.failed) {
      failed.task.task.done(std::move(failed.status), failed.timing);
    }
    if (!work.batch.empty()) {
      Execute(*instances, work.batch, work.dispatched);
    }
    if (work.stop) return;
  }
}

std::vector<std::thread::id> IdsOf(const std::vector<std::thread>& threads) {
  std::vector<std::thread::id> ids;
  for (const std::thread& thread : threads) ids.push_back(thread.get_id());
  return ids;
}

absl::Status Invalid(const std::string& field, const std::string& rule) {
  return absl::InvalidArgumentError(absl::StrCat("serving config: ", field, " ", rule));
}

}  // namespace

absl::Status ValidateServingConfig(const ServingConfig& config) {
  if (config.max_batch_size < 0) {
    return Invalid("max_batch_size", absl::StrCat("must be >= 0; got ", config.max_batch_size));
  }
  for (int size : config.preferred_batch_sizes) {
    if (size <= 0 || size > config.max_batch_size) {
      return Invalid("preferred_batch_sizes", absl::StrCat("must lie in [1, max_batch_size ",
                                                           config.max_batch_size, "]; got ", size));
    }
  }
  if (config.instance_count < 1 || config.instance_count > kMaxInstanceCount) {
    return Invalid("instance_count", absl::StrCat("must lie in [1, ", kMaxInstanceCount, "]; got ",
                                                  config.instance_count));
  }
  if (config.max_queue_size < 1) {
    return Invalid("max_queue_size", absl::StrCat("must be >= 1; got ", config.max_queue_size));
  }
  if (config.max_queue_delay_us < 0) {
    return Invalid("max_queue_delay_us",
                   absl::StrCat("must be >= 0; got ", config.max_queue_delay_us));
  }
  if (config.default_timeout_ms < 0) {
    return Invalid("default_timeout_ms",
                   absl::StrCat("must be >= 0; got ", config.default_timeout_ms));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Batcher>> Batcher::Create(const BatcherOptions& options,
                                                         Executor executor) {
  if (absl::Status valid = ValidateServingConfig(options.config); !valid.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("model ", options.name, ": ", std::string(valid.message())));
  }
  if (!executor) return absl::InvalidArgumentError("the batcher needs an executor");
  Clock* clock = options.clock != nullptr ? options.clock : RealClock::Get();
  auto queue = std::make_shared<BatchQueue>(options.config, clock, options.name);
  auto instances = std::make_shared<const Instances>(
      Instances{queue, std::move(executor), clock, options.config.max_batch_size > 0});
  std::vector<std::thread> threads;
  threads.reserve(options.config.instance_count);
  for (int i = 0; i < options.config.instance_count; ++i) {
    threads.emplace_back([instances, name = options.name, i] {
      SetThreadName(name, i);
      RunInstance(instances);
    });
  }
  return absl::WrapUnique(
      new Batcher(std::move(instances), std::move(threads), options.run_on_caller_when_idle));
}

Batcher::Batcher(std::shared_ptr<const internal::Instances> instances,
                 std::vector<std::thread> threads, bool run_on_caller_when_idle)
    : instances_(std::move(instances)),
      queue_(instances_->queue),
      run_on_caller_when_idle_(run_on_caller_when_idle),
      thread_ids_(IdsOf(threads)),
      threads_(std::move(threads)) {}

Batcher::~Batcher() { Shutdown(); }

absl::Status Batcher::Submit(Task task) {
  if (!run_on_caller_when_idle_ || !task.may_run_on_caller) return queue_->Add(std::move(task));
  absl::StatusOr<int64_t> rows = BatchRows(task.inputs);
  const bool cancelled = task.cancelled != nullptr && task.cancelled->load();
  if (cancelled || !queue_->ValidateForQueue(task, rows).ok() ||
      !queue_->ClaimIdleInstance(rows.value_or(0), task.deadline)) {
    return queue_->Add(std::move(task));  // it queues, or says why not
  }
  // Run here. `this` may be destroyed from `done`: only locals from now on.
  std::shared_ptr<const Instances> instances = instances_;
  const absl::Time now = instances->clock->Now();
  std::vector<QueuedTask> batch;
  batch.push_back(QueuedTask{std::move(task), rows.value_or(0), now, 0});
  Execute(*instances, batch, now);
  return absl::OkStatus();
}

void Batcher::Shutdown() {
  queue_->Stop();
  const std::thread::id self = std::this_thread::get_id();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&threads_mu_);
    threads.swap(threads_);
  }
  // Joined without the lock: a batcher thread being joined may itself call
  // Shutdown() from `done`.
  for (std::thread& thread : threads) {
    if (thread.get_id() == self) {
      thread.detach();  // it exits by itself once the current `done` returns
    } else {
      thread.join();
    }
  }
  absl::MutexLock lock(&threads_mu_);
  if (!threads.empty()) {
    joined_ = true;
  } else if (std::find(thread_ids_.begin(), thread_ids_.end(), self) == thread_ids_.end()) {
    threads_mu_.Await(absl::Condition(&joined_));  // another caller is joining
  }
}

int Batcher::queue_depth() const { return queue_->queue_depth(); }

int Batcher::in_flight() const { return queue_->in_flight(); }

}  // namespace aiaas::scheduler
