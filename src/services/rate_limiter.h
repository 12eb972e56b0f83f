#ifndef AIAAS_SERVICES_RATE_LIMITER_H_
#define AIAAS_SERVICES_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace aiaas::services {

// A token bucket's shape: it holds at most `burst` tokens and gains
// `rate_per_s` tokens per second; each request takes one.
// Out-of-range values are clamped (rate to [0.001, 1e9], burst to [1, 1e9]).
struct RateLimit {
  double rate_per_s = 10;
  double burst = 20;
};

// The outcome of one request, with what an HTTP layer needs for the
// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and (on 429)
// `Retry-After` headers. All counts are whole numbers.
struct RateLimitDecision {
  bool allowed = false;
  int64_t limit = 0;          // the burst (tokens a full bucket holds)
  int64_t remaining = 0;      // whole tokens left after this request
  int64_t reset_s = 0;        // seconds until the bucket is full again (0: full)
  int64_t retry_after_s = 0;  // refused: seconds until one token is there (>= 1); allowed: 0
};

struct RateLimiterOptions {
  // Buckets kept at most. A bucket that has refilled completely is the same
  // as no bucket and is dropped by the periodic sweep; when the map is still
  // full, the least recently used half is dropped (those callers start over
  // with a full bucket).
  size_t max_buckets = 100000;
  // How often (clock time) full buckets are swept away.
  absl::Duration sweep_interval = absl::Seconds(60);
};

// Token buckets keyed by a string the caller chooses, e.g. "key:<id>:infer",
// "tenant:<name>:mgmt" — take one per key and one per tenant, separately for
// inference and management, and refuse when either refuses.
//
// Thread-safety: all methods may be called concurrently. The clock is
// borrowed and must outlive the limiter.
class RateLimiter {
 public:
  explicit RateLimiter(Clock* clock, RateLimiterOptions options = {})
      : clock_(clock), options_(options), last_sweep_(clock->Now()) {}

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from the bucket `key` (created full on first use) when
  // there is one. `limit` is the bucket's shape from now on (a key's limit
  // may change between calls; the stored tokens are capped at the new burst).
  RateLimitDecision Acquire(std::string_view key, const RateLimit& limit);

  // Buckets currently kept (for tests and metrics).
  size_t bucket_count() const;

 private:
  struct Bucket {
    double tokens = 0;
    double rate_per_s = 0;
    double burst = 0;
    absl::Time updated;
  };

  // Drops buckets that are full again; then, if still at `max_buckets`, the
  // least recently updated half.
  void Sweep(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const RateLimiterOptions options_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_);
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_RATE_LIMITER_H_
