#ifndef AIAAS_MONITORING_MODEL_STATS_H_
#define AIAAS_MONITORING_MODEL_STATS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace aiaas::monitoring {

// How many times something happened and the nanoseconds it took in total.
struct DurationStat {
  uint64_t count = 0;
  uint64_t ns = 0;
};

// Executions that ran `batch_size` requests together.
struct BatchStat {
  int64_t batch_size = 0;
  DurationStat compute_infer;
};

// Cumulative statistics of one model version since it was first recorded, with the meaning of
// Triton's statistics extension. Plain data; a copy taken under ModelStats' lock.
struct ModelStatsSnapshot {
  std::string model;
  std::string version;
  int64_t last_inference_ms = 0;       // Unix ms of the last successful request; 0 if none yet
  uint64_t inference_count = 0;        // rows (batch elements) inferred by successful requests
  uint64_t execution_count = 0;        // model executions (batches)
  DurationStat success;                // successful requests, end to end
  DurationStat fail;                   // failed requests, end to end
  DurationStat queue;                  // successful requests' time waiting for their batch
  DurationStat compute_infer;          // successful requests' share of model execution
  std::vector<BatchStat> batch_stats;  // ascending batch_size, only sizes that ran
};

// The name statistics are kept under for `model` of `tenant`: "tenant/model" ('/' appears
// in neither name, so keys of different tenants never collide). Callers record and read with
// it and show the model's own name to clients.
std::string ModelStatsKey(std::string_view tenant, std::string_view model);

// Triton-style per-version inference statistics, served as JSON by GET /v2/models/.../stats.
//
// Accumulates in memory from the first record until Remove() or process exit. Versions are
// strings ("3"), ordered by number ("9" < "10"); any non-numeric version sorts after them.
// Negative durations (a clock stepped backwards) are recorded as 0.
//
// Thread-safety: every method may be called concurrently; one mutex guards all state and is
// held only for a map lookup and a few additions.
class ModelStats {
 public:
  // `now_ms` returns the current Unix time in milliseconds; unset means the system clock.
  explicit ModelStats(std::function<int64_t()> now_ms = nullptr);
  ~ModelStats();
  ModelStats(const ModelStats&) = delete;
  ModelStats& operator=(const ModelStats&) = delete;

  // One successful request: `e2e_ns` from arrival to response, `queue_ns` waiting for its
  // batch, `compute_ns` of the execution that ran it, `rows` batch elements it carried.
  // Stamps last_inference_ms with now.
  void RecordSuccess(const std::string& model, const std::string& version, int64_t e2e_ns,
                     int64_t queue_ns, int64_t compute_ns, int64_t rows);

  // One failed request (any outcome other than success), `e2e_ns` from arrival to response.
  void RecordFailure(const std::string& model, const std::string& version, int64_t e2e_ns);

  // One model execution that ran `batch_size` requests in `compute_ns`. Counts toward
  // execution_count and batch_stats; call it once per batch, not per request.
  void RecordBatch(const std::string& model, const std::string& version, int64_t batch_size,
                   int64_t compute_ns);

  // The model's versions (ascending), or only `version` when given. Empty when nothing was
  // recorded for them; the caller decides whether that is a 404 or a zero entry.
  std::vector<ModelStatsSnapshot> Snapshot(const std::string& model,
                                           const std::optional<std::string>& version) const;

  // Every recorded version of every model, ordered by model then version.
  std::vector<ModelStatsSnapshot> SnapshotAll() const;

  // Forgets the model's statistics (one version, or all of them), e.g. after a delete.
  void Remove(const std::string& model, const std::optional<std::string>& version);

 private:
  struct Entry;
  // Numeric versions by value, then other strings in plain order.
  struct VersionLess {
    bool operator()(const std::string& a, const std::string& b) const;
  };
  using ByVersion = std::map<std::string, std::unique_ptr<Entry>, VersionLess>;

  Entry& EntryFor(const std::string& model, const std::string& version)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::function<int64_t()> now_ms_;

  mutable absl::Mutex mu_;
  std::map<std::string, ByVersion, std::less<>> models_ ABSL_GUARDED_BY(mu_);
};

}  // namespace aiaas::monitoring

#endif  // AIAAS_MONITORING_MODEL_STATS_H_
