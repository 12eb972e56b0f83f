#include "cli/perf_load.h"

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Answers after `delay`, failing every `fail_every`-th request (0 = never) with 503.
class FakeSender : public RequestSender {
 public:
  FakeSender(std::chrono::microseconds delay, int fail_every, std::atomic<int>* sent)
      : delay_(delay), fail_every_(fail_every), sent_(sent) {}

  SendOutcome Send(SteadyTime deadline) override {
    const int n = ++*sent_;
    std::this_thread::sleep_until(std::min(deadline, std::chrono::steady_clock::now() + delay_));
    SendOutcome outcome;
    if (std::chrono::steady_clock::now() >= deadline) {
      outcome.error = "timeout";
    } else if (fail_every_ > 0 && n % fail_every_ == 0) {
      outcome.error = "503";
      outcome.detail = "busy";
    } else {
      outcome.ok = true;
      outcome.response_bytes = 10;
    }
    return outcome;
  }

 private:
  std::chrono::microseconds delay_;
  int fail_every_;
  std::atomic<int>* sent_;
};

SenderFactory Factory(std::chrono::microseconds delay, int fail_every, std::atomic<int>* sent,
                      int* made) {
  return [=]() -> absl::StatusOr<std::unique_ptr<RequestSender>> {
    ++*made;
    return std::make_unique<FakeSender>(delay, fail_every, sent);
  };
}

TEST(ArrivalScheduleTest, ConstantIntervals) {
  ArrivalSchedule schedule(4, ArrivalPattern::kConstant, 1);
  EXPECT_EQ(schedule.Next(), std::chrono::milliseconds(0));
  EXPECT_EQ(schedule.Next(), std::chrono::milliseconds(250));
  EXPECT_EQ(schedule.Next(), std::chrono::milliseconds(500));
  ArrivalSchedule third(3, ArrivalPattern::kConstant, 1);
  for (int i = 0; i < 3000; ++i) third.Next();
  EXPECT_EQ(third.Next(), std::chrono::seconds(1000));  // no drift
}

TEST(ArrivalScheduleTest, PoissonMeanGapAndSeed) {
  ArrivalSchedule schedule(1000, ArrivalPattern::kPoisson, 7);
  ArrivalSchedule same(1000, ArrivalPattern::kPoisson, 7);
  std::chrono::nanoseconds last{0};
  for (int i = 0; i < 20000; ++i) {
    const std::chrono::nanoseconds next = schedule.Next();
    EXPECT_GE(next, last);
    EXPECT_EQ(next, same.Next());
    last = next;
  }
  // 20000 gaps of mean 1 ms: within a few percent of 20 s.
  EXPECT_NEAR(std::chrono::duration<double>(last).count(), 20.0, 0.8);
}

TEST(RunLoadStepTest, ClosedLoopMeasuresOnlyTheWindow) {
  std::atomic<int> sent{0};
  int made = 0;
  LoadStepOptions options;
  options.concurrency = 3;
  options.warmup = absl::Milliseconds(100);
  options.duration = absl::Milliseconds(300);
  int window_events = 0;
  LoadStepHooks hooks{[&] { window_events += 1; }, [&] { window_events += 10; }};
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<StepMeasurement> measured =
      RunLoadStep(options, Factory(std::chrono::milliseconds(5), 0, &sent, &made), hooks);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(measured.ok()) << measured.status();
  EXPECT_EQ(made, 3);
  EXPECT_EQ(measured->threads, 3);
  EXPECT_EQ(window_events, 11);
  EXPECT_EQ(measured->window, absl::Milliseconds(300));
  // About 3 clients * 300 ms / 5 ms = 180 measured of about 240 sent; generous bounds for
  // loaded machines.
  EXPECT_GT(measured->latencies_us.size(), 30u);
  EXPECT_LE(measured->latencies_us.size(), 190u);
  EXPECT_LT(static_cast<int>(measured->latencies_us.size()), sent.load());
  for (int64_t latency : measured->latencies_us) EXPECT_GE(latency, 4000);
  EXPECT_EQ(measured->response_bytes, 10 * static_cast<int64_t>(measured->latencies_us.size()));
  EXPECT_TRUE(measured->errors.empty());
  EXPECT_LT(elapsed, std::chrono::seconds(2));
}

TEST(RunLoadStepTest, ErrorsAreCountedByKind) {
  std::atomic<int> sent{0};
  int made = 0;
  LoadStepOptions options;
  options.concurrency = 1;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(100);
  absl::StatusOr<StepMeasurement> measured =
      RunLoadStep(options, Factory(std::chrono::milliseconds(1), 2, &sent, &made), {});
  ASSERT_TRUE(measured.ok());
  ASSERT_EQ(measured->errors.count("503"), 1u);
  EXPECT_THAT(measured->error_details, ElementsAre(Pair("503", "busy")));
  EXPECT_NEAR(static_cast<double>(measured->errors["503"]),
              static_cast<double>(measured->latencies_us.size()), 1.0);
}

TEST(RunLoadStepTest, HardStopCutsSlowRequests) {
  std::atomic<int> sent{0};
  int made = 0;
  LoadStepOptions options;
  options.concurrency = 2;
  options.warmup = absl::ZeroDuration();
  options.duration = absl::Milliseconds(50);
  options.grace = absl::Milliseconds(100);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<StepMeasurement> measured =
      RunLoadStep(options, Factory(std::chrono::seconds(30), 0, &sent, &made), {});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_TRUE(measured.ok());
  EXPECT_THAT(measured->errors, ElementsAre(Pair("timeout", 2)));
  EXPECT_TRUE(measured->latencies_us.empty());
}

TEST(RunLoadStepTest, OpenLoopKeepsTheRate) {
  std::atomic<int> sent{0};
  int made = 0;
  LoadStepOptions options;
  options.request_rate = 200;
  options.max_threads = 8;
  options.warmup = absl::Milliseconds(50);
  options.duration = absl::Milliseconds(500);
  absl::StatusOr<StepMeasurement> measured =
      RunLoadStep(options, Factory(std::chrono::milliseconds(2), 0, &sent, &made), {});
  ASSERT_TRUE(measured.ok());
  EXPECT_EQ(made, 8);
  // Requests due in the window: exactly 100 at 200/s over 0.5 s, all sent and measured.
  EXPECT_EQ(measured->latencies_us.size(), 100u);
  EXPECT_EQ(sent.load(), 110);
}

TEST(RunLoadStepTest, SenderFactoryFailureIsReturned) {
  LoadStepOptions options;
  SenderFactory failing = []() -> absl::StatusOr<std::unique_ptr<RequestSender>> {
    return absl::InternalError("no handle");
  };
  EXPECT_EQ(RunLoadStep(options, failing, {}).status().code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace aiaas::cli
