#ifndef AIAAS_SERVICES_INFERENCE_SERVICE_H_
#define AIAAS_SERVICES_INFERENCE_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "monitoring/metrics.h"
#include "monitoring/model_stats.h"
#include "runtime/runtime.h"
#include "services/deadline_timer.h"
#include "services/inference_types.h"
#include "services/model_registry.h"

namespace aiaas::services {

struct InferenceServiceOptions {
  // Sum of loaded versions' memory_bytes() allowed; 0 = unlimited. Loading a
  // version that would exceed it evicts least recently used unpinned versions;
  // if that is not enough the load is refused with Unavailable.
  int64_t model_memory_budget_bytes = 0;
  // Most CPU tensor memory one execution (a batch) may hold at once; beyond it
  // the batch fails with ResourceExhausted. 0 = unlimited. See
  // runtime/memory_budget.h for what is counted.
  int64_t max_request_memory_bytes = 0;
  monitoring::Metrics* metrics = nullptr;   // borrowed; may be null
  monitoring::ModelStats* stats = nullptr;  // borrowed; may be null
};

// Per-request options of an inference.
struct InferOptions {
  // The request is answered DeadlineExceeded at this time if it has not
  // finished; if it is still queued it is never executed.
  absl::Time deadline = absl::InfiniteFuture();
  // Set by the frontend when the client disconnects (the queued request is
  // then dropped); the service also sets it at the deadline. May be null.
  std::shared_ptr<std::atomic<bool>> cancelled;
  int64_t request_bytes = 0;  // for metrics
  // When the frontend had read the whole request: the end-to-end latency
  // metric starts here (at the Infer() call when unset).
  absl::Time received = absl::InfinitePast();
};

// Called exactly once with the outcome of an inference, from any thread.
using InferDone = std::function<void(absl::StatusOr<InferResponse>)>;

// Resolves models, loads versions on first use (verify digest, load, warm up,
// start a Batcher configured from the version's ServingConfig), and runs
// inferences through each version's batcher.
//
// Loaded versions are cached per (tenant, model, version, digest). Concurrent
// first requests for one version load it once; a version that fails to load is
// not cached (the next request retries) and never affects other versions.
// Unloading (delete, config change, eviction) fails requests still queued on
// that version with Unavailable; requests already executing finish. An unload
// that arrives while the version is still loading wins: when the load finishes
// it is dropped (and counted as unloaded) and its waiters get Unavailable.
//
// Thread-safety: all methods may be called concurrently. Borrowed pointers
// must outlive the service.
class InferenceService {
 public:
  InferenceService(ModelRegistry* registry, const runtime::RuntimeRegistry* runtimes,
                   const InferenceServiceOptions& options);
  ~InferenceService();

  // The version a request addresses (see ModelRegistry for `ref`).
  [[nodiscard]] absl::StatusOr<storage::VersionRecord> Resolve(const std::string& tenant,
                                                               const std::string& model,
                                                               const std::string& ref);

  // Runs `request` on `version` and calls `done` exactly once. Inputs must
  // already be validated against version.signature. Errors: InvalidArgument
  // (inputs rejected, unknown output, rows beyond max_batch_size),
  // DeadlineExceeded, Unavailable (queue full — callers answer 503 with
  // Retry-After — or memory budget exhausted), FailedPrecondition (the
  // artifact cannot be loaded). Blocks the calling thread only while the
  // version loads on first use.
  void Infer(const storage::VersionRecord& version, InferRequest request,
             const InferOptions& options, InferDone done);

  // Loads and warms up the version if needed. OK once it can serve.
  [[nodiscard]] absl::Status EnsureLoaded(const storage::VersionRecord& version);

  // Whether the version is loaded and can serve now (false while it is still
  // loading, after a failed load, or once unloaded). A snapshot: a concurrent
  // load or unload may change it right after.
  bool IsLoaded(const storage::VersionRecord& version);

  // Drops a cached version (after delete or a config change).
  void Unload(const std::string& tenant, const std::string& model, int64_t version);
  // Drops every cached version of a model.
  void UnloadModel(const std::string& tenant, const std::string& model);

  // Sum of memory_bytes() of loaded versions.
  int64_t loaded_bytes();

 private:
  struct Loaded;
  struct Slot;
  using Key = std::string;  // tenant, model, version, digest joined by NUL

  absl::StatusOr<std::shared_ptr<Loaded>> GetOrLoad(const storage::VersionRecord& version);
  absl::StatusOr<std::shared_ptr<Loaded>> Load(const storage::VersionRecord& version);
  // Makes room for `bytes` under the budget by evicting LRU unpinned versions.
  absl::Status ReserveMemory(const Key& key, int64_t bytes);
  void EraseMatching(const std::string& prefix);

  ModelRegistry* const registry_;
  const runtime::RuntimeRegistry* const runtimes_;
  const InferenceServiceOptions options_;
  DeadlineTimer deadlines_;
  // Requests between Infer() and their answer, across every version.
  std::atomic<int> requests_in_flight_{0};

  // Loads are serialized: they are rare, and the budget check needs a stable view.
  absl::Mutex load_mu_;
  absl::Mutex mu_;
  std::map<Key, std::shared_ptr<Slot>> slots_ ABSL_GUARDED_BY(mu_);
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_INFERENCE_SERVICE_H_
