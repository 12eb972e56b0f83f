#include "scheduler/batch_queue.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/test_tensors.h"

namespace aiaas::scheduler {
namespace {

using ::aiaas::scheduler::testing::MakeTensor;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

const absl::Time kStart = absl::FromUnixSeconds(1000);

// A request of `rows` rows; requests of different `kind`s are incompatible.
TensorMap Inputs(int64_t rows, char kind = 'A') {
  return {{"x", MakeTensor(DataType::kFp32, {rows, kind == 'A' ? 2 : 3}, 0)}};
}

// A task without a done callback.
Task TaskWith(TensorMap inputs) {
  Task task;
  task.inputs = std::move(inputs);
  return task;
}

struct Queued {
  int64_t rows;
  char kind;
  int64_t enqueued_us;  // after kStart
};

struct PlanCase {
  std::string name;
  int max_batch_size;
  std::vector<int> preferred;
  int64_t delay_us;
  std::vector<Queued> queue;
  int64_t now_us;
  DispatchReason reason;
  std::vector<size_t> members;
  int64_t wait_until_us = -1;  // checked with kWait
  double wait_gain_requests = kWaitAlwaysHelps;
};

TEST(PlanBatchTest, FollowsTheSchedulingRules) {
  using R = DispatchReason;
  const std::vector<PlanCase> cases = {
      {"no batching runs the oldest alone",
       0,
       {},
       500,
       {{1, 'A', 0}, {1, 'A', 0}},
       0,
       R::kAlone,
       {0}},
      {"one request waits for the delay", 4, {}, 500, {{1, 'A', 0}}, 0, R::kWait, {}, 500},
      {"delay counts from the oldest",
       4,
       {},
       500,
       {{1, 'A', 0}, {1, 'A', 300}},
       200,
       R::kWait,
       {},
       500},
      {"delay expired", 4, {}, 500, {{1, 'A', 0}, {1, 'A', 300}}, 500, R::kDelay, {0, 1}},
      {"zero delay never waits", 4, {}, 0, {{1, 'A', 0}}, 0, R::kDelay, {0}},
      {"full at max rows",
       4,
       {},
       500,
       {{1, 'A', 0}, {2, 'A', 0}, {1, 'A', 0}, {1, 'A', 0}},
       0,
       R::kFull,
       {0, 1, 2}},
      {"one request of max rows", 4, {}, 500, {{4, 'A', 0}}, 0, R::kFull, {0}},
      {"next compatible does not fit",
       4,
       {},
       500,
       {{2, 'A', 0}, {3, 'A', 0}, {1, 'A', 0}},
       0,
       R::kFull,
       {0}},
      {"incompatible requests are skipped",
       4,
       {},
       500,
       {{2, 'A', 0}, {1, 'B', 0}, {2, 'A', 0}},
       0,
       R::kFull,
       {0, 2}},
      {"incompatible requests do not count",
       4,
       {},
       500,
       {{1, 'A', 0}, {3, 'B', 0}, {1, 'A', 0}},
       100,
       R::kWait,
       {},
       500},
      {"delay expired takes compatible only",
       4,
       {},
       500,
       {{1, 'A', 0}, {1, 'B', 0}, {1, 'A', 0}},
       600,
       R::kDelay,
       {0, 2}},
      {"below the preferred size waits", 8, {2, 4}, 500, {{1, 'A', 0}}, 0, R::kWait, {}, 500},
      {"preferred size dispatches at once",
       8,
       {2, 4},
       500,
       {{1, 'A', 0}, {1, 'A', 0}},
       0,
       R::kPreferred,
       {0, 1}},
      {"cut at the largest preferred prefix",
       8,
       {2, 4},
       500,
       {{1, 'A', 0}, {1, 'A', 0}, {1, 'A', 0}, {1, 'A', 0}, {1, 'A', 0}},
       0,
       R::kPreferred,
       {0, 1, 2, 3}},
      {"cut at a smaller preferred prefix",
       8,
       {2, 4},
       500,
       {{1, 'A', 0}, {1, 'A', 0}, {1, 'A', 0}},
       0,
       R::kPreferred,
       {0, 1}},
      {"no prefix at a preferred size waits",
       8,
       {4},
       500,
       {{3, 'A', 0}, {3, 'A', 0}},
       0,
       R::kWait,
       {},
       500},
      {"full wins over preferred", 8, {4}, 500, {{4, 'A', 0}, {4, 'A', 0}}, 0, R::kFull, {0, 1}},
      {"zero-row request waits", 4, {}, 500, {{0, 'A', 0}}, 0, R::kWait, {}, 500},
      {"waiting helps: wait", 4, {}, 500, {{1, 'A', 0}}, 0, R::kWait, {}, 500, 0.5},
      {"waiting would not help: idle", 4, {}, 500, {{1, 'A', 0}}, 0, R::kIdle, {0}, -1, 0.49},
      {"idle takes compatible only",
       4,
       {},
       500,
       {{1, 'A', 0}, {1, 'B', 0}, {2, 'A', 0}},
       100,
       R::kIdle,
       {0, 2},
       -1,
       0.0},
      {"preferred wins over idle",
       8,
       {2},
       500,
       {{1, 'A', 0}, {1, 'A', 0}, {1, 'A', 0}},
       0,
       R::kPreferred,
       {0, 1},
       -1,
       0.0},
      {"full wins over idle", 2, {}, 500, {{2, 'A', 0}}, 0, R::kFull, {0}, -1, 0.0},
      {"delay wins over idle", 4, {}, 500, {{1, 'A', 0}}, 500, R::kDelay, {0}, -1, 0.0},
      {"no batching ignores the estimate", 0, {}, 500, {{1, 'A', 0}}, 0, R::kAlone, {0}, -1, 0.0},
  };
  for (const PlanCase& c : cases) {
    SCOPED_TRACE(c.name);
    ServingConfig config;
    config.max_batch_size = c.max_batch_size;
    config.preferred_batch_sizes = c.preferred;
    config.max_queue_delay_us = c.delay_us;
    std::deque<QueuedTask> queue;
    for (const Queued& q : c.queue) {
      queue.push_back(QueuedTask{TaskWith(Inputs(q.rows, q.kind)), q.rows,
                                 kStart + absl::Microseconds(q.enqueued_us)});
    }
    const BatchPlan plan =
        PlanBatch(queue, config, kStart + absl::Microseconds(c.now_us), c.wait_gain_requests);
    EXPECT_EQ(plan.reason, c.reason);
    EXPECT_THAT(plan.members, ElementsAreArray(c.members));
    int64_t rows = 0;
    for (size_t i : plan.members) rows += queue[i].rows;
    EXPECT_EQ(plan.rows, rows);
    if (c.reason == DispatchReason::kWait) {
      EXPECT_EQ(plan.wait_until, kStart + absl::Microseconds(c.wait_until_us));
    } else {
      EXPECT_EQ(plan.wait_until, absl::InfiniteFuture());
    }
  }
}

// Records the statuses a task's done receives.
struct Outcome {
  std::vector<absl::Status> statuses;
};

Task MakeTask(TensorMap inputs, Outcome* outcome) {
  Task task;
  task.inputs = std::move(inputs);
  task.done = [outcome](absl::StatusOr<runtime::NamedTensors> outputs, const TaskTiming&) {
    outcome->statuses.push_back(outputs.status());
  };
  return task;
}

ServingConfig Batching(int max_batch_size, int64_t delay_us = 500) {
  ServingConfig config;
  config.max_batch_size = max_batch_size;
  config.max_queue_delay_us = delay_us;
  return config;
}

TEST(BatchQueueTest, AddRejectsWhatCanNeverRun) {
  FakeClock clock(kStart);
  Outcome outcome;
  BatchQueue queue(Batching(4), &clock, "m:1");

  absl::Status status = queue.Add(MakeTask(Inputs(5), &outcome));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "batch dimension 5 exceeds max_batch_size 4");

  TensorMap scalar = {{"x", MakeTensor(DataType::kFp32, {}, 0)}};
  EXPECT_EQ(queue.Add(MakeTask(scalar, &outcome)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue.Add(TaskWith(Inputs(1))).code(), absl::StatusCode::kInvalidArgument);  // no done
  EXPECT_EQ(queue.queue_depth(), 0);

  BatchQueue alone(ServingConfig{}, &clock, "m:2");  // max_batch_size 0: anything goes
  EXPECT_TRUE(alone.Add(MakeTask(scalar, &outcome)).ok());
  EXPECT_TRUE(alone.Add(MakeTask({}, &outcome)).ok());
  EXPECT_EQ(alone.queue_depth(), 2);
  EXPECT_TRUE(outcome.statuses.empty());
}

TEST(BatchQueueTest, AddRefusesBeyondMaxQueueSizeAndAfterStop) {
  FakeClock clock(kStart);
  Outcome outcome;
  ServingConfig config = Batching(4);
  config.max_queue_size = 2;
  BatchQueue queue(config, &clock, "m:1");
  EXPECT_TRUE(queue.Add(MakeTask(Inputs(1), &outcome)).ok());
  EXPECT_TRUE(queue.Add(MakeTask(Inputs(1), &outcome)).ok());
  absl::Status status = queue.Add(MakeTask(Inputs(1), &outcome));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "queue of model m:1 is full (max_queue_size 2)");

  queue.Stop();
  status = queue.Add(MakeTask(Inputs(1), &outcome));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("model m:1 is being unloaded"));

  Work work = queue.Next();
  EXPECT_TRUE(work.stop);
  EXPECT_TRUE(work.batch.empty());
  ASSERT_EQ(work.failed.size(), 2u);
  for (const Work::Failed& failed : work.failed) {
    EXPECT_EQ(failed.status.code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(failed.status.message(), "model m:1 is being unloaded");
  }
  EXPECT_EQ(queue.queue_depth(), 0);
  EXPECT_TRUE(queue.Next().stop);  // every thread is told to stop
}

TEST(BatchQueueTest, NextDispatchesAFullBatchAndCountsItInFlight) {
  FakeClock clock(kStart);
  Outcome outcome;
  BatchQueue queue(Batching(3), &clock, "m:1");
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(queue.Add(MakeTask(Inputs(1), &outcome)).ok());
  Work work = queue.Next();
  EXPECT_EQ(work.reason, DispatchReason::kFull);
  EXPECT_EQ(work.batch.size(), 3u);
  EXPECT_EQ(work.dispatched, kStart);
  EXPECT_EQ(queue.queue_depth(), 1);
  EXPECT_EQ(queue.in_flight(), 3);
  queue.Finished(3);
  EXPECT_EQ(queue.in_flight(), 0);
}

TEST(BatchQueueTest, NextFailsExpiredAndCancelledTasksAndNeverDispatchesThem) {
  FakeClock clock(kStart);
  Outcome outcome;
  BatchQueue queue(Batching(4, /*delay_us=*/0), &clock, "m:1");

  Task expiring = MakeTask(Inputs(1), &outcome);
  expiring.deadline = kStart + absl::Milliseconds(10);
  ASSERT_TRUE(queue.Add(std::move(expiring)).ok());
  auto flag = std::make_shared<std::atomic<bool>>(false);
  Task cancelled = MakeTask(Inputs(1), &outcome);
  cancelled.cancelled = flag;
  ASSERT_TRUE(queue.Add(std::move(cancelled)).ok());
  clock.Advance(absl::Milliseconds(25));
  Task live = MakeTask(Inputs(2), &outcome);
  live.deadline = kStart + absl::Seconds(1);
  ASSERT_TRUE(queue.Add(std::move(live)).ok());
  flag->store(true);

  Work work = queue.Next();
  ASSERT_EQ(work.failed.size(), 2u);
  EXPECT_EQ(work.failed[0].status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(work.failed[0].status.message(), "request timed out after 25 ms in the queue");
  EXPECT_EQ(work.failed[0].timing.queue, absl::Milliseconds(25));
  EXPECT_EQ(work.failed[0].timing.batch_rows, 0);
  EXPECT_EQ(work.failed[1].status.code(), absl::StatusCode::kCancelled);
  ASSERT_EQ(work.batch.size(), 1u);
  EXPECT_EQ(work.batch[0].rows, 2);
  EXPECT_EQ(work.reason, DispatchReason::kDelay);
  EXPECT_EQ(queue.queue_depth(), 0);
}

TEST(BatchQueueTest, AddAtCapacityAnswersACancelledTaskAndAcceptsTheNewOne) {
  FakeClock clock(kStart);
  Outcome outcome;
  Outcome dead;
  ServingConfig config = Batching(4, /*delay_us=*/0);
  config.max_queue_size = 2;
  BatchQueue queue(config, &clock, "m:1");

  auto flag = std::make_shared<std::atomic<bool>>(false);
  Task cancelled;
  cancelled.inputs = Inputs(1);
  cancelled.cancelled = flag;
  int depth_seen_by_done = -1;
  cancelled.done = [&](absl::StatusOr<runtime::NamedTensors> outputs, const TaskTiming& timing) {
    dead.statuses.push_back(outputs.status());
    EXPECT_EQ(timing.queue, absl::Milliseconds(3));
    depth_seen_by_done = queue.queue_depth();  // re-enters: the queue's lock is free
  };
  ASSERT_TRUE(queue.Add(std::move(cancelled)).ok());
  ASSERT_TRUE(queue.Add(MakeTask(Inputs(1), &outcome)).ok());
  clock.Advance(absl::Milliseconds(3));
  flag->store(true);

  ASSERT_TRUE(queue.Add(MakeTask(Inputs(2), &outcome)).ok());
  ASSERT_EQ(dead.statuses.size(), 1u);  // answered before Add() returned
  EXPECT_EQ(dead.statuses[0], absl::CancelledError("the request was cancelled while queued"));
  EXPECT_EQ(depth_seen_by_done, 2);
  EXPECT_EQ(queue.queue_depth(), 2);
  // Only live tasks left: full again.
  EXPECT_EQ(queue.Add(MakeTask(Inputs(1), &outcome)).code(), absl::StatusCode::kUnavailable);

  Work work = queue.Next();
  EXPECT_TRUE(work.failed.empty());  // never answered twice
  ASSERT_EQ(work.batch.size(), 2u);
  EXPECT_EQ(work.batch[1].rows, 2);
  EXPECT_EQ(dead.statuses.size(), 1u);
  EXPECT_TRUE(outcome.statuses.empty());
}

TEST(BatchQueueTest, AddAtCapacityAnswersAnExpiredTaskAndAcceptsTheNewOne) {
  FakeClock clock(kStart);
  Outcome outcome;
  Outcome expired;
  ServingConfig config = Batching(4, /*delay_us=*/0);
  config.max_queue_size = 2;
  BatchQueue queue(config, &clock, "m:1");

  Task expiring = MakeTask(Inputs(1), &expired);
  expiring.deadline = kStart + absl::Milliseconds(10);
  ASSERT_TRUE(queue.Add(std::move(expiring)).ok());
  ASSERT_TRUE(queue.Add(MakeTask(Inputs(1), &outcome)).ok());
  clock.Advance(absl::Milliseconds(9));
  EXPECT_EQ(queue.Add(MakeTask(Inputs(1), &outcome)).code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(expired.statuses.empty());  // not expired yet

  clock.Advance(absl::Milliseconds(16));
  ASSERT_TRUE(queue.Add(MakeTask(Inputs(2), &outcome)).ok());
  ASSERT_EQ(expired.statuses.size(), 1u);
  EXPECT_EQ(expired.statuses[0],
            absl::DeadlineExceededError("request timed out after 25 ms in the queue"));
  EXPECT_EQ(queue.queue_depth(), 2);

  Work work = queue.Next();
  EXPECT_TRUE(work.failed.empty());
  EXPECT_EQ(work.batch.size(), 2u);
  EXPECT_EQ(expired.statuses.size(), 1u);
  EXPECT_TRUE(outcome.statuses.empty());
}

// Calls Next() on another thread while the test moves the clock.
class Leader {
 public:
  explicit Leader(BatchQueue* queue) : thread_([this, queue] { work_ = queue->Next(); }) {}
  Work Join() {
    thread_.join();
    return std::move(work_);
  }

 private:
  Work work_;
  std::thread thread_;
};

// One request that waits out the whole delay; returns its work.
Work LoneRequestWaitingTheDelay(BatchQueue& queue, FakeClock& clock, Outcome* outcome,
                                int64_t delay_us) {
  EXPECT_TRUE(queue.Add(MakeTask(Inputs(1), outcome)).ok());
  Leader leader(&queue);
  clock.BlockUntilWaiters(1);
  clock.Advance(absl::Microseconds(delay_us));
  Work work = leader.Join();
  queue.Finished(work.batch.size());
  return work;
}

// One request that must not wait (the test would hang if it did).
Work LoneRequestNotWaiting(BatchQueue& queue, Outcome* outcome) {
  EXPECT_TRUE(queue.Add(MakeTask(Inputs(1), outcome)).ok());
  Work work = queue.Next();
  queue.Finished(work.batch.size());
  return work;
}

TEST(BatchQueueTest, DispatchesOnIdleOnceWaitsGatherNothing) {
  FakeClock clock(kStart);
  Outcome outcome;
  constexpr int64_t kDelayUs = 2000;
  BatchQueue queue(Batching(4, kDelayUs), &clock, "m:1");
  EXPECT_EQ(queue.wait_gain_requests(), kInitialWaitGainRequests);

  // A closed-loop client: each request comes after the previous answer.
  for (int i = 0; i < 2; ++i) {
    const Work work = LoneRequestWaitingTheDelay(queue, clock, &outcome, kDelayUs);
    EXPECT_EQ(work.reason, DispatchReason::kDelay);
    EXPECT_EQ(work.batch.size(), 1u);
  }
  EXPECT_EQ(queue.wait_gain_requests(), 0.25);

  const absl::Time now = clock.Now();
  const Work work = LoneRequestNotWaiting(queue, &outcome);
  EXPECT_EQ(work.reason, DispatchReason::kIdle);
  ASSERT_EQ(work.batch.size(), 1u);
  EXPECT_EQ(work.dispatched, now);
  EXPECT_EQ(work.batch[0].enqueued, now);
  EXPECT_EQ(queue.wait_gain_requests(), 0.25);  // an idle batch teaches nothing
}

TEST(BatchQueueTest, ProbesPeriodicallyAndResumesWaitingWhenWaitsGatherRequests) {
  FakeClock clock(kStart);
  Outcome outcome;
  constexpr int64_t kDelayUs = 2000;
  BatchQueue queue(Batching(4, kDelayUs), &clock, "m:1");
  for (int i = 0; i < 2; ++i) LoneRequestWaitingTheDelay(queue, clock, &outcome, kDelayUs);
  ASSERT_LT(queue.wait_gain_requests(), kIdleGainThresholdRequests);

  // Enough idle batches, but too soon after the last wait: no probe yet.
  for (int i = 0; i <= kIdleProbeBatches; ++i) {
    EXPECT_EQ(LoneRequestNotWaiting(queue, &outcome).reason, DispatchReason::kIdle);
  }
  // Both limits passed: the next lone request waits out the delay, and a
  // request arriving meanwhile joins it.
  clock.Advance(kIdleProbeInterval);
  ASSERT_TRUE(queue.Add(MakeTask(Inputs(1), &outcome)).ok());
  Leader probe(&queue);
  clock.BlockUntilWaiters(1);
  ASSERT_TRUE(queue.Add(MakeTask(Inputs(1), &outcome)).ok());
  clock.Advance(absl::Microseconds(kDelayUs));
  Work work = probe.Join();
  EXPECT_EQ(work.reason, DispatchReason::kDelay);
  EXPECT_EQ(work.batch.size(), 2u);
  queue.Finished(work.batch.size());
  EXPECT_EQ(queue.wait_gain_requests(), 0.625);  // 0.25 / 2 + 1 / 2

  // Waiting helps again: a lone request waits, even right after the probe.
  work = LoneRequestWaitingTheDelay(queue, clock, &outcome, kDelayUs);
  EXPECT_EQ(work.reason, DispatchReason::kDelay);
  EXPECT_TRUE(outcome.statuses.empty());
}

TEST(BatchQueueTest, AWaitCutShortByAFullBatchCountsItsGain) {
  FakeClock clock(kStart);
  Outcome outcome;
  BatchQueue queue(Batching(3, /*delay_us=*/2000), &clock, "m:1");
  ASSERT_TRUE(queue.Add(MakeTask(Inputs(1), &outcome)).ok());
  Leader leader(&queue);
  clock.BlockUntilWaiters(1);
  ASSERT_TRUE(queue.Add(MakeTask(Inputs(2), &outcome)).ok());  // fills the batch
  Work work = leader.Join();
  EXPECT_EQ(work.reason, DispatchReason::kFull);
  EXPECT_EQ(work.batch.size(), 2u);
  EXPECT_EQ(queue.wait_gain_requests(), 1.0);  // 1 / 2 + 1 / 2
}

}  // namespace
}  // namespace aiaas::scheduler
