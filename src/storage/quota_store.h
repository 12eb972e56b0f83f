#ifndef AIAAS_STORAGE_QUOTA_STORE_H_
#define AIAAS_STORAGE_QUOTA_STORE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/metadata_store.h"

namespace aiaas::storage {

// Per-tenant limits. A value of 0 allows nothing (no model, no byte, no job).
struct QuotaLimits {
  int64_t max_models = 0;
  int64_t max_stored_bytes = 0;
  int64_t max_concurrent_jobs = 0;
};

// A tenant's own limits; nullopt means "the server default" (its flag).
struct QuotaOverrides {
  std::optional<int64_t> max_models;
  std::optional<int64_t> max_stored_bytes;
  std::optional<int64_t> max_concurrent_jobs;
};

// A partial change of QuotaOverrides. Per field: unset leaves it alone, a
// value sets it, an engaged nullopt (`std::optional<int64_t>()`) clears it
// back to the server default.
struct QuotaOverridesUpdate {
  std::optional<std::optional<int64_t>> max_models;
  std::optional<std::optional<int64_t>> max_stored_bytes;
  std::optional<std::optional<int64_t>> max_concurrent_jobs;
};

// What a tenant holds now. `stored_bytes` is the sum of size_bytes over all
// its model versions and dataset versions (job checkpoints are not counted):
// a blob shared by two versions counts twice (simple and
// predictable; deleting either version frees its share). `concurrent_jobs`
// counts its jobs queued or running, as max_concurrent_jobs does.
struct QuotaUsage {
  int64_t models = 0;
  int64_t stored_bytes = 0;
  int64_t concurrent_jobs = 0;
};

// The effective limits: each override where set, else the default.
QuotaLimits EffectiveLimits(const QuotaOverrides& overrides, const QuotaLimits& defaults);

// A limit that a creation would exceed: `used` + `requested` > `limit`.
struct QuotaExcess {
  std::string tenant;
  std::string quota;  // "max_models", "max_stored_bytes", "max_concurrent_jobs"
  int64_t used = 0;
  int64_t requested = 0;
  int64_t limit = 0;
  // `requested` is only a lower bound (an early check before an upload's
  // size is known exactly): the message says "+ at least N new".
  bool requested_is_lower_bound = false;
};

// The one wording of a refused quota, PermissionDenied (HTTP 403):
// "tenant 'acme' quota max_stored_bytes exceeded: 1048576 used + 524288 new > 1200000".
absl::Status QuotaExceededError(const QuotaExcess& excess);

// Whether MetadataStore-like creation of a version may create its model.
enum class MissingModel {
  kNotFound,  // an unknown model is NotFound, as in MetadataStore::CreateVersion
  kCreate,    // the model is created (empty description, no labels) in the same transaction
};

// Per-tenant quota overrides, usage, and creation of models and versions
// whose quota check happens in the very transaction that inserts the row, so
// that of concurrent creations exactly as many succeed as the quota allows.
// The server defaults are passed in by the caller (they come from flags and
// are not stored).
//
// Thread-safety: all methods may be called concurrently from any thread.
// Error codes: NotFound for an unknown tenant (or model, as in MetadataStore),
// InvalidArgument for a negative limit, PermissionDenied (QuotaExceededError)
// when a creation would exceed a limit, plus those of MetadataStore.
class QuotaStore {
 public:
  virtual ~QuotaStore() = default;

  // The tenant's overrides (all nullopt when none were ever set).
  [[nodiscard]] virtual absl::StatusOr<QuotaOverrides> GetQuotaOverrides(
      const std::string& tenant) = 0;

  // Applies `update` in one transaction and returns the overrides as stored.
  [[nodiscard]] virtual absl::StatusOr<QuotaOverrides> UpdateQuotaOverrides(
      const std::string& tenant, const QuotaOverridesUpdate& update) = 0;

  // The tenant's models, stored bytes and queued or running jobs, read in one
  // snapshot.
  [[nodiscard]] virtual absl::StatusOr<QuotaUsage> GetQuotaUsage(const std::string& tenant) = 0;

  // MetadataStore::CreateModel, refused with PermissionDenied when the tenant
  // already has max_models models (its override, else `defaults`).
  [[nodiscard]] virtual absl::StatusOr<ModelRecord> CreateModelWithinQuota(
      const ModelRecord& model, const QuotaLimits& defaults) = 0;

  // MetadataStore::CreateVersion, refused with PermissionDenied when
  // usage.stored_bytes + version.size_bytes > max_stored_bytes, or when
  // `missing` is kCreate, the model does not exist and the tenant already has
  // max_models models. On refusal nothing is written (not the model either).
  [[nodiscard]] virtual absl::StatusOr<VersionRecord> CreateVersionWithinQuota(
      const VersionRecord& version, const QuotaLimits& defaults, MissingModel missing) = 0;
};

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_QUOTA_STORE_H_
