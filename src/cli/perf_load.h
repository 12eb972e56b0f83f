#ifndef AIAAS_CLI_PERF_LOAD_H_
#define AIAAS_CLI_PERF_LOAD_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace aiaas::cli {

// The load generator of `aiaas perf`: client threads that send one prepared request over
// and over for one step of a sweep, and the latencies they saw.

using SteadyTime = std::chrono::steady_clock::time_point;

// The result of one request.
struct SendOutcome {
  bool ok = false;
  // Why it failed, the key of StepMeasurement::errors: the HTTP status ("503"), "timeout",
  // or "connection". Empty when ok.
  std::string error;
  // For failures, what went wrong in words (the server's error message, curl's error); may
  // be empty.
  std::string detail;
  int64_t response_bytes = 0;
};

// Sends the one request of a run and waits for the answer. Owns one connection, reused
// across calls. Not thread-safe: each client thread owns its own sender.
class RequestSender {
 public:
  virtual ~RequestSender() = default;
  // Gives up at `deadline` with error "timeout"; never blocks past it.
  virtual SendOutcome Send(SteadyTime deadline) = 0;
};

// Makes one sender per client thread; called on the thread that runs the step, before any
// client thread starts.
using SenderFactory = std::function<absl::StatusOr<std::unique_ptr<RequestSender>>()>;

enum class ArrivalPattern { kConstant, kPoisson };

// When open-loop requests are due, as offsets from the start of the step: every 1/rate
// seconds (kConstant), or with exponentially distributed gaps of mean 1/rate drawn from
// a generator seeded with `seed` (kPoisson). Not thread-safe.
class ArrivalSchedule {
 public:
  ArrivalSchedule(double requests_per_second, ArrivalPattern pattern, uint64_t seed);
  // The offset of the next request; the first is at 0.
  std::chrono::nanoseconds Next();

 private:
  double interval_ns_;
  ArrivalPattern pattern_;
  std::mt19937_64 rng_;
  int64_t index_ = 0;
  double poisson_offset_ns_ = 0;
};

struct LoadStepOptions {
  // Closed loop: this many client threads, each sending back to back.
  int concurrency = 1;
  // When > 0, open loop instead: requests are due at this rate (per second) no matter how
  // fast answers come, sent by up to `max_threads` client threads; latency counts from the
  // due time, so a client that falls behind shows it.
  double request_rate = 0;
  ArrivalPattern arrivals = ArrivalPattern::kConstant;
  uint64_t seed = 1;  // for kPoisson
  int max_threads = 64;
  absl::Duration warmup = absl::Seconds(2);     // sent but not measured
  absl::Duration duration = absl::Seconds(10);  // the measured window, after the warmup
  // Hard stop: requests still running at warmup + duration + grace are cut off as "timeout".
  absl::Duration grace = absl::Seconds(10);
};

// What one step measured: the requests that were started (closed loop) or due (open loop)
// inside the window.
struct StepMeasurement {
  std::vector<int64_t> latencies_us;                 // of the successful ones, unsorted
  std::map<std::string, int64_t> errors;             // failed ones by SendOutcome::error
  std::map<std::string, std::string> error_details;  // the first detail seen per error
  int64_t response_bytes = 0;                        // of the successful ones
  int threads = 0;                                   // client threads used
  absl::Duration window;                             // the measured window
};

// Called on the calling thread of RunLoadStep when the measured window starts and ends
// (to snapshot server statistics); either may be empty.
struct LoadStepHooks {
  std::function<void()> on_window_start;
  std::function<void()> on_window_end;
};

// Runs one step and returns when every client thread has finished, at most about
// warmup + duration + grace after the call. Errors only if `make_sender` fails.
[[nodiscard]] absl::StatusOr<StepMeasurement> RunLoadStep(const LoadStepOptions& options,
                                                          const SenderFactory& make_sender,
                                                          const LoadStepHooks& hooks);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_LOAD_H_
