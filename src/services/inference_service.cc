#include "services/inference_service.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "runtime/memory_budget.h"
#include "scheduler/batcher.h"
#include "services/warmup.h"

namespace aiaas::services {

// A loaded, warmed-up version with its batcher.
struct InferenceService::Loaded {
  monitoring::VersionKey key;  // tenant, model and version as text (metrics labels, logs)
  std::shared_ptr<runtime::Servable> servable;
  std::unique_ptr<scheduler::Batcher> batcher;
  int64_t memory_bytes = 0;
  bool pinned = false;
};

// One cache entry: loaded once by the first caller while others wait.
struct InferenceService::Slot {
  absl::Mutex mu;
  bool loading ABSL_GUARDED_BY(mu) = true;
  absl::Status status ABSL_GUARDED_BY(mu);
  std::shared_ptr<Loaded> loaded ABSL_GUARDED_BY(mu);
  // Guarded by the service's mu_.
  absl::Time last_used;
  std::shared_ptr<Loaded> ready;  // set once loaded, for LRU bookkeeping
};

namespace {

constexpr char kSep = '\0';

std::string Sep() { return std::string(1, kSep); }

// The digest is part of the key: a model deleted and pushed again under the
// same name and number never hits a stale cache entry.
std::string MakeKey(const storage::VersionRecord& version) {
  return absl::StrCat(version.tenant, Sep(), version.model, Sep(), version.version, Sep(),
                      version.digest);
}

std::string VersionPrefix(const std::string& tenant, const std::string& model, int64_t version) {
  return absl::StrCat(tenant, Sep(), model, Sep(), version, Sep());
}

std::string ModelPrefix(const std::string& tenant, const std::string& model) {
  return absl::StrCat(tenant, Sep(), model, Sep());
}

monitoring::Outcome OutcomeOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return monitoring::Outcome::kSuccess;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kOutOfRange:
      return monitoring::Outcome::kClientError;
    case absl::StatusCode::kDeadlineExceeded:
      return monitoring::Outcome::kTimeout;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      return monitoring::Outcome::kRejected;
    default:
      return monitoring::Outcome::kServerError;
  }
}

// Answers a request exactly once, whichever of completion, deadline or a
// submit error comes first, and records its metrics.
class RequestState {
 public:
  RequestState(InferDone done, monitoring::VersionKey key, int64_t request_bytes,
               absl::Time received, const InferenceServiceOptions* options,
               std::atomic<int>* requests_in_flight, std::string stats_key)
      : requests_in_flight_(requests_in_flight),
        stats_key_(std::move(stats_key)),
        done_(std::move(done)),
        key_(std::move(key)),
        request_bytes_(request_bytes),
        options_(options),
        started_(received == absl::InfinitePast() ? absl::Now() : received) {
    if (options_->metrics != nullptr) options_->metrics->AddInFlight(key_, 1);
  }

  void Finish(absl::StatusOr<InferResponse> response, const scheduler::TaskTiming* timing) {
    if (finished_.exchange(true)) return;
    requests_in_flight_->fetch_sub(1);
    absl::Duration e2e = absl::Now() - started_;
    if (options_->metrics != nullptr) {
      options_->metrics->AddInFlight(key_, -1);
      options_->metrics->RecordRequest(key_, OutcomeOf(response.status()),
                                       absl::ToDoubleSeconds(e2e), request_bytes_);
      if (timing != nullptr) {
        options_->metrics->RecordQueue(key_, absl::ToDoubleSeconds(timing->queue));
      }
    }
    if (options_->stats != nullptr) {
      if (response.ok() && timing != nullptr) {
        options_->stats->RecordSuccess(stats_key_, key_.version, absl::ToInt64Nanoseconds(e2e),
                                       absl::ToInt64Nanoseconds(timing->queue),
                                       absl::ToInt64Nanoseconds(timing->compute), rows);
      } else if (!response.ok()) {
        options_->stats->RecordFailure(stats_key_, key_.version, absl::ToInt64Nanoseconds(e2e));
      }
    }
    done_(std::move(response));
  }

  int64_t rows = 0;
  DeadlineTimer::Id timer_id = 0;

 private:
  std::atomic<int>* const requests_in_flight_;  // the service's; counted in Infer()
  const std::string stats_key_;                 // monitoring::ModelStatsKey
  InferDone done_;
  const monitoring::VersionKey key_;  // the metrics labels; key_.version also for stats
  const int64_t request_bytes_;
  const InferenceServiceOptions* options_;
  const absl::Time started_;
  std::atomic<bool> finished_{false};
};

absl::StatusOr<InferResponse> SelectOutputs(runtime::NamedTensors outputs,
                                            const std::vector<std::string>& requested,
                                            InferResponse response) {
  if (requested.empty()) {
    response.outputs = std::move(outputs);
    return response;
  }
  for (const auto& name : requested) {
    auto it = std::find_if(outputs.begin(), outputs.end(),
                           [&](const auto& output) { return output.first == name; });
    if (it == outputs.end()) {
      std::vector<std::string> names;
      for (const auto& output : outputs) names.push_back(output.first);
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown output '", name, "'; the model's outputs are: ", absl::StrJoin(names, ", ")));
    }
    response.outputs.emplace_back(it->first, std::move(it->second));
  }
  return response;
}

}  // namespace

InferenceService::InferenceService(ModelRegistry* registry,
                                   const runtime::RuntimeRegistry* runtimes,
                                   const InferenceServiceOptions& options)
    : registry_(registry), runtimes_(runtimes), options_(options) {
  if (options_.max_request_memory_bytes > 0) runtime::InstallBudgetedCpuAllocator();
}

InferenceService::~InferenceService() {
  std::map<Key, std::shared_ptr<Slot>> slots;
  {
    absl::MutexLock lock(&mu_);
    slots.swap(slots_);
  }
  // Batchers stop (and fail queued requests) as the slots go away here.
}

absl::StatusOr<storage::VersionRecord> InferenceService::Resolve(const std::string& tenant,
                                                                 const std::string& model,
                                                                 const std::string& ref) {
  return registry_->GetVersion(tenant, model, ref);
}

absl::StatusOr<std::shared_ptr<InferenceService::Loaded>> InferenceService::Load(
    const storage::VersionRecord& version) {
  runtime::Runtime* runtime = runtimes_->Find(version.format);
  if (runtime == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("no runtime for format '", version.format, "'"));
  }
  const std::string label = absl::StrCat(version.version);
  const monitoring::VersionKey key{version.tenant, version.model, label};
  auto fail = [&](const absl::Status& status, absl::Time start) -> absl::Status {
    if (options_.metrics != nullptr) {
      options_.metrics->RecordLoad(key, absl::ToDoubleSeconds(absl::Now() - start),
                                   monitoring::LoadResult::kError);
    }
    return absl::FailedPreconditionError(absl::StrCat("cannot load ", version.model, " version ",
                                                      version.version, ": ",
                                                      std::string(status.message())));
  };
  absl::Time start = absl::Now();
  // The digest is checked on every load: a blob changed on disk is never served.
  auto verified = registry_->VerifyArtifact(version);
  if (!verified.ok()) return fail(verified, start);
  AIAAS_ASSIGN_OR_RETURN(std::string path, registry_->ArtifactPath(version));
  auto servable = runtime->Load(path, version.signature);
  if (!servable.ok()) return fail(servable.status(), start);

  auto loaded = std::make_shared<Loaded>();
  loaded->key = key;
  loaded->servable = std::shared_ptr<runtime::Servable>(std::move(*servable));
  loaded->memory_bytes = std::max<int64_t>(loaded->servable->memory_bytes(), 0);
  loaded->pinned = version.config.pinned;
  absl::Duration load_time = absl::Now() - start;

  absl::Time warmup_start = absl::Now();
  std::string warmup = "skipped (signature has unknown datatypes or shapes)";
  if (version.config.warmup) {
    if (auto inputs = WarmupInputs(version.signature)) {
      auto outputs = loaded->servable->Infer(*inputs);
      warmup =
          outputs.ok() ? "ok" : absl::StrCat("failed: ", std::string(outputs.status().message()));
    }
  } else {
    warmup = "off";
  }
  absl::Duration warmup_time = absl::Now() - warmup_start;

  scheduler::BatcherOptions batcher_options;
  batcher_options.config = version.config;
  batcher_options.name = absl::StrCat(version.model, ":", version.version);
  batcher_options.run_on_caller_when_idle = true;  // see Batcher::Submit
  std::shared_ptr<runtime::Servable> servable_handle = loaded->servable;
  monitoring::Metrics* metrics = options_.metrics;
  monitoring::ModelStats* stats = options_.stats;
  // The executor runs once per batch: the place to record batch sizes and compute time.
  auto batcher = scheduler::Batcher::Create(
      batcher_options, [servable_handle, metrics, stats, key, label,
                        stats_key = monitoring::ModelStatsKey(version.tenant, version.model),
                        memory_limit = options_.max_request_memory_bytes](const TensorMap& inputs) {
        absl::Time compute_start = absl::Now();
        absl::StatusOr<runtime::NamedTensors> outputs;
        {
          runtime::MemoryBudgetScope memory(memory_limit);
          outputs = servable_handle->Infer(inputs);
          if (!outputs.ok() && memory.exceeded()) {
            outputs = absl::ResourceExhaustedError(absl::StrCat(
                "running the model on this request needs more than the request memory limit "
                "of ",
                memory_limit, " bytes (--max-request-memory-bytes)"));
          }
        }
        absl::Duration compute = absl::Now() - compute_start;
        int rows = 1;
        if (!inputs.empty() && !inputs.begin()->second.shape.empty()) {
          rows = static_cast<int>(inputs.begin()->second.shape[0]);
        }
        if (metrics != nullptr) metrics->RecordBatch(key, rows, absl::ToDoubleSeconds(compute));
        if (stats != nullptr)
          stats->RecordBatch(stats_key, label, rows, absl::ToInt64Nanoseconds(compute));
        return outputs;
      });
  if (!batcher.ok()) return fail(batcher.status(), start);
  loaded->batcher = std::move(*batcher);

  if (options_.metrics != nullptr) {
    options_.metrics->RecordLoad(key, absl::ToDoubleSeconds(load_time),
                                 monitoring::LoadResult::kOk);
    options_.metrics->SetResidentBytes(key, loaded->memory_bytes);
  }
  LogInfo("model loaded", {{"model", version.model},
                           {"version", label},
                           {"load_ms", absl::StrCat(absl::ToInt64Milliseconds(load_time))},
                           {"warmup", warmup},
                           {"warmup_ms", absl::StrCat(absl::ToInt64Milliseconds(warmup_time))},
                           {"memory_bytes", absl::StrCat(loaded->memory_bytes)},
                           {"max_batch_size", absl::StrCat(version.config.max_batch_size)},
                           {"instance_count", absl::StrCat(version.config.instance_count)}});
  return loaded;
}

absl::Status InferenceService::ReserveMemory(const Key& key, int64_t bytes) {
  const int64_t budget = options_.model_memory_budget_bytes;
  if (budget <= 0) return absl::OkStatus();
  std::vector<std::shared_ptr<Slot>> evicted;
  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    int64_t used = 0;
    std::vector<std::pair<absl::Time, Key>> candidates;
    for (const auto& [slot_key, slot] : slots_) {
      if (!slot->ready || slot_key == key) continue;
      used += slot->ready->memory_bytes;
      if (!slot->ready->pinned) candidates.emplace_back(slot->last_used, slot_key);
    }
    std::sort(candidates.begin(), candidates.end());
    for (const auto& [last_used, victim] : candidates) {
      if (used + bytes <= budget) break;
      auto it = slots_.find(victim);
      used -= it->second->ready->memory_bytes;
      LogInfo("evicting model (memory budget)", {{"model", it->second->ready->key.model},
                                                 {"version", it->second->ready->key.version}});
      if (options_.metrics != nullptr) {
        options_.metrics->RecordUnload(it->second->ready->key);
        options_.metrics->ClearModel(it->second->ready->key);
      }
      evicted.push_back(std::move(it->second));
      slots_.erase(it);
    }
    if (used + bytes > budget) {
      status = absl::UnavailableError(
          absl::StrCat("model memory budget exhausted: loading needs ", bytes, " bytes, ", used,
                       " bytes are held by pinned or in-use versions, budget is ", budget,
                       " bytes (--model-memory-budget)"));
    }
  }
  return status;  // evicted batchers stop here, outside the lock
}

absl::StatusOr<std::shared_ptr<InferenceService::Loaded>> InferenceService::GetOrLoad(
    const storage::VersionRecord& version) {
  Key key = MakeKey(version);
  std::shared_ptr<Slot> slot;
  bool is_loader = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = slots_.find(key);
    if (it == slots_.end()) {
      slot = std::make_shared<Slot>();
      slots_[key] = slot;
      is_loader = true;
    } else {
      slot = it->second;
      slot->last_used = absl::Now();
    }
  }
  if (is_loader) {
    absl::StatusOr<std::shared_ptr<Loaded>> loaded;
    {
      absl::MutexLock load_lock(&load_mu_);
      // Reserve by artifact size first, then by the measured size once loaded.
      absl::Status reserved = ReserveMemory(key, version.size_bytes);
      loaded = reserved.ok() ? Load(version) : absl::StatusOr<std::shared_ptr<Loaded>>(reserved);
      if (loaded.ok()) {
        absl::Status fits = ReserveMemory(key, (*loaded)->memory_bytes);
        if (!fits.ok()) loaded = fits;
      }
    }
    std::shared_ptr<Loaded> unloaded_while_loading;  // stops outside the locks
    {
      absl::MutexLock lock(&mu_);
      auto it = slots_.find(key);
      const bool still_cached = it != slots_.end() && it->second == slot;
      if (!loaded.ok()) {
        if (still_cached) slots_.erase(it);
      } else if (!still_cached) {
        // Unloaded (or replaced) while it loaded: the unload wins. The load was counted,
        // so count its unload too, and answer the waiters as an unload answers queued
        // requests.
        if (options_.metrics != nullptr) {
          options_.metrics->RecordUnload((*loaded)->key);
          options_.metrics->ClearModel((*loaded)->key);
        }
        unloaded_while_loading = *std::move(loaded);
        loaded = absl::UnavailableError(
            absl::StrCat("model ", version.model, ":", version.version, " is being unloaded"));
      } else {
        slot->ready = *loaded;
        slot->last_used = absl::Now();
      }
    }
    unloaded_while_loading.reset();
    absl::MutexLock lock(&slot->mu);
    slot->loading = false;
    slot->status = loaded.status();
    if (loaded.ok()) slot->loaded = *loaded;
    return loaded;
  }
  absl::MutexLock lock(&slot->mu);
  slot->mu.Await(absl::Condition(
      +[](Slot* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) { return !s->loading; }, slot.get()));
  if (!slot->status.ok()) return slot->status;
  return slot->loaded;
}

absl::Status InferenceService::EnsureLoaded(const storage::VersionRecord& version) {
  return GetOrLoad(version).status();
}

void InferenceService::Infer(const storage::VersionRecord& version, InferRequest request,
                             const InferOptions& options, InferDone done) {
  const std::string label = absl::StrCat(version.version);
  // This request is the only one in the service: nothing to overlap with.
  const bool alone = requests_in_flight_.fetch_add(1) == 0;
  auto state = std::make_shared<RequestState>(
      std::move(done), monitoring::VersionKey{version.tenant, version.model, label},
      options.request_bytes, options.received, &options_, &requests_in_flight_,
      monitoring::ModelStatsKey(version.tenant, version.model));
  auto loaded = GetOrLoad(version);
  if (!loaded.ok()) return state->Finish(loaded.status(), nullptr);

  auto cancelled =
      options.cancelled ? options.cancelled : std::make_shared<std::atomic<bool>>(false);
  absl::Time deadline = options.deadline;
  if (version.config.default_timeout_ms > 0) {
    deadline =
        std::min(deadline, absl::Now() + absl::Milliseconds(version.config.default_timeout_ms));
  }
  const absl::Time submitted = absl::Now();
  state->timer_id = deadlines_.Schedule(deadline, [state, cancelled, submitted]() {
    cancelled->store(true);
    state->Finish(
        absl::DeadlineExceededError(absl::StrCat(
            "request timed out after ", absl::ToInt64Milliseconds(absl::Now() - submitted), " ms")),
        nullptr);
  });

  InferResponse skeleton;
  skeleton.id = std::move(request.id);
  skeleton.model = version.model;
  skeleton.version = label;
  // Rows of this request (its first dimension), for inference_count statistics.
  state->rows = 1;
  if (!request.inputs.empty() && !request.inputs.begin()->second.shape.empty()) {
    state->rows = request.inputs.begin()->second.shape[0];
  }
  scheduler::Task task;
  task.inputs = std::move(request.inputs);
  task.deadline = deadline;
  task.cancelled = cancelled;
  task.may_run_on_caller = alone;
  DeadlineTimer* timers = &deadlines_;
  monitoring::Metrics* metrics = options_.metrics;
  std::weak_ptr<Loaded> weak_loaded = *loaded;
  task.done = [state, timers, metrics, weak_loaded,
               requested = std::move(request.requested_outputs),
               skeleton = std::move(skeleton)](absl::StatusOr<runtime::NamedTensors> outputs,
                                               const scheduler::TaskTiming& timing) mutable {
    timers->Cancel(state->timer_id);
    if (metrics != nullptr) {
      // A batcher may be destroyed from its own callback, so a weak handle is safe here.
      if (auto alive = weak_loaded.lock()) {
        metrics->SetQueueDepth(alive->key, alive->batcher->queue_depth());
      }
    }
    if (!outputs.ok()) return state->Finish(outputs.status(), &timing);
    state->Finish(SelectOutputs(*std::move(outputs), requested, std::move(skeleton)), &timing);
  };
  absl::Status submitted_status = (*loaded)->batcher->Submit(std::move(task));
  if (options_.metrics != nullptr) {
    options_.metrics->SetQueueDepth((*loaded)->key, (*loaded)->batcher->queue_depth());
  }
  if (!submitted_status.ok()) {
    deadlines_.Cancel(state->timer_id);
    state->Finish(submitted_status, nullptr);
  }
}

void InferenceService::EraseMatching(const std::string& prefix) {
  std::vector<std::shared_ptr<Slot>> erased;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = slots_.lower_bound(prefix);
         it != slots_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
      if (it->second->ready && options_.metrics != nullptr) {
        options_.metrics->RecordUnload(it->second->ready->key);
        options_.metrics->ClearModel(it->second->ready->key);
      }
      erased.push_back(std::move(it->second));
      it = slots_.erase(it);
    }
  }
  // Batchers stop here, outside the lock.
}

bool InferenceService::IsLoaded(const storage::VersionRecord& version) {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(MakeKey(version));
  return it != slots_.end() && it->second->ready != nullptr;
}

void InferenceService::Unload(const std::string& tenant, const std::string& model,
                              int64_t version) {
  EraseMatching(VersionPrefix(tenant, model, version));
}

void InferenceService::UnloadModel(const std::string& tenant, const std::string& model) {
  EraseMatching(ModelPrefix(tenant, model));
}

int64_t InferenceService::loaded_bytes() {
  absl::MutexLock lock(&mu_);
  int64_t total = 0;
  for (const auto& [key, slot] : slots_) {
    if (slot->ready) total += slot->ready->memory_bytes;
  }
  return total;
}

}  // namespace aiaas::services
