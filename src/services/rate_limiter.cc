#include "services/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace aiaas::services {
namespace {

constexpr double kMinRatePerS = 0.001;
constexpr double kMaxValue = 1e9;
// Absorbs floating-point noise so that exactly-enough tokens count as enough.
constexpr double kEpsilon = 1e-9;

RateLimit Clamp(const RateLimit& limit) {
  RateLimit out = limit;
  if (!(out.rate_per_s >= kMinRatePerS)) out.rate_per_s = kMinRatePerS;  // also NaN
  if (!(out.rate_per_s <= kMaxValue)) out.rate_per_s = kMaxValue;
  if (!(out.burst >= 1)) out.burst = 1;
  if (!(out.burst <= kMaxValue)) out.burst = kMaxValue;
  return out;
}

double TokensAt(double tokens, double rate_per_s, double burst, absl::Time updated,
                absl::Time now) {
  const double elapsed_s = std::max(0.0, absl::ToDoubleSeconds(now - updated));
  return std::min(burst, tokens + elapsed_s * rate_per_s);
}

int64_t CeilSeconds(double seconds) {
  if (seconds <= kEpsilon) return 0;
  return static_cast<int64_t>(std::ceil(seconds - kEpsilon));
}

}  // namespace

RateLimitDecision RateLimiter::Acquire(std::string_view key, const RateLimit& requested) {
  const RateLimit limit = Clamp(requested);
  const absl::Time now = clock_->Now();

  absl::MutexLock lock(&mu_);
  if (now - last_sweep_ >= options_.sweep_interval) Sweep(now);
  auto it = buckets_.find(absl::string_view(key.data(), key.size()));
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_buckets) Sweep(now);
    it = buckets_.emplace(std::string(key), Bucket{limit.burst, limit.rate_per_s, limit.burst, now})
             .first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = std::min(
      limit.burst, TokensAt(bucket.tokens, bucket.rate_per_s, bucket.burst, bucket.updated, now));
  bucket.rate_per_s = limit.rate_per_s;
  bucket.burst = limit.burst;
  bucket.updated = std::max(bucket.updated, now);

  RateLimitDecision decision;
  decision.limit = static_cast<int64_t>(std::floor(limit.burst + kEpsilon));
  decision.allowed = bucket.tokens + kEpsilon >= 1;
  if (decision.allowed) {
    bucket.tokens = std::max(0.0, bucket.tokens - 1);
  } else {
    decision.retry_after_s =
        std::max<int64_t>(1, CeilSeconds((1 - bucket.tokens) / limit.rate_per_s));
  }
  decision.remaining = static_cast<int64_t>(std::floor(bucket.tokens + kEpsilon));
  decision.reset_s = CeilSeconds((limit.burst - bucket.tokens) / limit.rate_per_s);
  return decision;
}

size_t RateLimiter::bucket_count() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

void RateLimiter::Sweep(absl::Time now) {
  last_sweep_ = now;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    const Bucket& b = it->second;
    if (TokensAt(b.tokens, b.rate_per_s, b.burst, b.updated, now) + kEpsilon >= b.burst) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
  if (buckets_.size() < options_.max_buckets) return;

  std::vector<std::pair<absl::Time, std::string>> by_age;
  by_age.reserve(buckets_.size());
  for (const auto& [key, bucket] : buckets_) by_age.emplace_back(bucket.updated, key);
  const size_t drop = std::max<size_t>(1, by_age.size() / 2);
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                   by_age.end());
  for (size_t i = 0; i < drop; ++i) buckets_.erase(by_age[i].second);
}

}  // namespace aiaas::services
