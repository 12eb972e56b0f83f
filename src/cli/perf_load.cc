#include "cli/perf_load.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <thread>
#include <utility>

namespace aiaas::cli {
namespace {

using std::chrono::steady_clock;

// Joins its threads on destruction, so no path out of RunLoadStep leaves one running.
class ThreadGroup {
 public:
  ThreadGroup() = default;
  ~ThreadGroup() {
    for (std::thread& thread : threads_) thread.join();
  }
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;

  void Start(std::function<void()> body) { threads_.emplace_back(std::move(body)); }

 private:
  std::vector<std::thread> threads_;
};

// What one client thread saw; written only by that thread, read after it is joined.
struct WorkerLog {
  std::vector<int64_t> latencies_us;
  std::map<std::string, int64_t> errors;
  std::map<std::string, std::string> error_details;
  int64_t response_bytes = 0;

  void Record(const SendOutcome& outcome, steady_clock::duration latency) {
    if (outcome.ok) {
      latencies_us.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(latency).count());
      response_bytes += outcome.response_bytes;
    } else {
      ++errors[outcome.error];
      if (!outcome.detail.empty()) error_details.emplace(outcome.error, outcome.detail);
    }
  }
};

// The shared timeline of one step.
struct StepTimes {
  SteadyTime start;
  SteadyTime window_start;
  SteadyTime window_end;
  SteadyTime hard_stop;
};

void ClosedLoopWorker(const StepTimes& times, RequestSender& sender, WorkerLog& log) {
  for (SteadyTime sent = steady_clock::now(); sent < times.window_end; sent = steady_clock::now()) {
    const SendOutcome outcome = sender.Send(times.hard_stop);
    if (sent >= times.window_start) log.Record(outcome, steady_clock::now() - sent);
  }
}

// The next due time of the open loop, shared by its client threads.
class SharedSchedule {
 public:
  SharedSchedule(SteadyTime start, const ArrivalSchedule& schedule)
      : start_(start), schedule_(schedule) {}
  SteadyTime Next() {
    std::lock_guard<std::mutex> lock(mu_);
    return start_ + schedule_.Next();
  }

 private:
  const SteadyTime start_;
  std::mutex mu_;
  ArrivalSchedule schedule_;  // guarded by mu_
};

void OpenLoopWorker(const StepTimes& times, SharedSchedule& schedule, RequestSender& sender,
                    WorkerLog& log) {
  for (SteadyTime due = schedule.Next(); due < times.window_end; due = schedule.Next()) {
    std::this_thread::sleep_until(due);
    const SendOutcome outcome = sender.Send(times.hard_stop);
    if (due >= times.window_start) log.Record(outcome, steady_clock::now() - due);
  }
}

steady_clock::duration ToSteady(absl::Duration duration) {
  return std::chrono::duration_cast<steady_clock::duration>(absl::ToChronoNanoseconds(duration));
}

}  // namespace

ArrivalSchedule::ArrivalSchedule(double requests_per_second, ArrivalPattern pattern, uint64_t seed)
    : interval_ns_(1e9 / requests_per_second), pattern_(pattern), rng_(seed) {}

std::chrono::nanoseconds ArrivalSchedule::Next() {
  double offset_ns = 0;
  if (pattern_ == ArrivalPattern::kConstant) {
    // From the index, so rounding never accumulates over a long step.
    offset_ns = interval_ns_ * static_cast<double>(index_);
  } else {
    offset_ns = poisson_offset_ns_;
    std::exponential_distribution<double> gap(1.0 / interval_ns_);
    poisson_offset_ns_ += gap(rng_);
  }
  ++index_;
  return std::chrono::nanoseconds(static_cast<int64_t>(std::llround(offset_ns)));
}

absl::StatusOr<StepMeasurement> RunLoadStep(const LoadStepOptions& options,
                                            const SenderFactory& make_sender,
                                            const LoadStepHooks& hooks) {
  const bool open_loop = options.request_rate > 0;
  const int threads = open_loop ? std::clamp(static_cast<int>(std::ceil(options.request_rate)), 1,
                                             std::max(1, options.max_threads))
                                : std::max(1, options.concurrency);
  std::vector<std::unique_ptr<RequestSender>> senders;
  for (int i = 0; i < threads; ++i) {
    absl::StatusOr<std::unique_ptr<RequestSender>> sender = make_sender();
    if (!sender.ok()) return sender.status();
    senders.push_back(*std::move(sender));
  }
  std::vector<WorkerLog> logs(static_cast<size_t>(threads));

  StepTimes times;
  times.start = steady_clock::now();
  times.window_start = times.start + ToSteady(options.warmup);
  times.window_end = times.window_start + ToSteady(options.duration);
  times.hard_stop = times.window_end + ToSteady(options.grace);
  SharedSchedule schedule(times.start, ArrivalSchedule(std::max(options.request_rate, 1e-9),
                                                       options.arrivals, options.seed));
  {
    ThreadGroup group;  // declared after what the threads use, so it joins first
    for (int i = 0; i < threads; ++i) {
      RequestSender& sender = *senders[static_cast<size_t>(i)];
      WorkerLog& log = logs[static_cast<size_t>(i)];
      if (open_loop) {
        group.Start(
            [&times, &schedule, &sender, &log] { OpenLoopWorker(times, schedule, sender, log); });
      } else {
        group.Start([&times, &sender, &log] { ClosedLoopWorker(times, sender, log); });
      }
    }
    std::this_thread::sleep_until(times.window_start);
    if (hooks.on_window_start) hooks.on_window_start();
    std::this_thread::sleep_until(times.window_end);
    if (hooks.on_window_end) hooks.on_window_end();
  }

  StepMeasurement measurement;
  measurement.threads = threads;
  measurement.window = options.duration;
  for (WorkerLog& log : logs) {
    measurement.latencies_us.insert(measurement.latencies_us.end(), log.latencies_us.begin(),
                                    log.latencies_us.end());
    for (const auto& [error, count] : log.errors) measurement.errors[error] += count;
    measurement.error_details.insert(log.error_details.begin(), log.error_details.end());
    measurement.response_bytes += log.response_bytes;
  }
  return measurement;
}

}  // namespace aiaas::cli
