#ifndef AIAAS_SERVICES_QUOTAS_H_
#define AIAAS_SERVICES_QUOTAS_H_

#include <cstdint>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/permissions.h"
#include "storage/metadata_store.h"
#include "storage/quota_store.h"

namespace aiaas::services {

// The server-wide defaults (the --tenant-max-* flags). A tenant's override
// replaces each one it sets.
struct QuotaOptions {
  int64_t max_models = 1000;
  int64_t max_stored_bytes = int64_t{100} << 30;  // 100 GiB
  int64_t max_concurrent_jobs = 4;
};

// One tenant's quotas as GET /api/v1/tenants/{name}/quotas shows them.
struct TenantQuotas {
  std::string tenant;
  storage::QuotaLimits limits;        // effective: override, else the default
  storage::QuotaOverrides overrides;  // unset: the default applies
  storage::QuotaUsage usage;  // models, stored bytes, jobs queued or running
};

// Whether an upload goes to a model that exists, or creates one.
enum class UploadTarget { kExistingModel, kNewModel };

// How many more bytes a tenant may store, taken before an upload streams in.
struct StoredBytesBudget {
  std::string tenant;
  int64_t used_bytes = 0;
  int64_t max_stored_bytes = std::numeric_limits<int64_t>::max();

  // OK while `new_bytes` more fit; QuotaExceededError for max_stored_bytes
  // ("at least `new_bytes` new") otherwise.
  [[nodiscard]] absl::Status Check(int64_t new_bytes) const;
};

// Per-tenant quotas: the number of models, the bytes stored (sum of
// size_bytes of every version, a blob shared by two versions counting twice)
// and the number of jobs queued or running.
//
// Enforcement is race-free: CreateModel and CreateVersion check inside the
// store transaction that inserts the row, so of N concurrent creations
// exactly as many succeed as the quota allows. CheckUpload is an early,
// advisory check that refuses an upload before its bytes arrive.
//
// Who may do what: reading a tenant's quotas needs quotas:read in that
// tenant (tenant admins, their own tenant) or tenants:manage (server admins,
// any tenant); changing them needs tenants:manage.
//
// Thread-safety: all methods may be called concurrently. The store is
// borrowed and must outlive the service.
// Error codes: PermissionDenied (403: a missing permission, or a quota that
// would be exceeded, with QuotaExceededError's message), NotFound (unknown
// tenant, or model as in MetadataStore), InvalidArgument (bad tenant name or
// negative limit), and the store's errors.
class Quotas {
 public:
  Quotas(storage::QuotaStore* store, const QuotaOptions& defaults);

  Quotas(const Quotas&) = delete;
  Quotas& operator=(const Quotas&) = delete;

  const storage::QuotaLimits& defaults() const { return defaults_; }

  // ---- The API ----

  // Limits, overrides and usage of `tenant`. A caller without tenants:manage
  // asking about another tenant is PermissionDenied whether or not it exists.
  [[nodiscard]] absl::StatusOr<TenantQuotas> Get(const Caller& caller, const std::string& tenant);

  // Applies `update` (tenants:manage only) and returns the result as Get.
  [[nodiscard]] absl::StatusOr<TenantQuotas> Update(const Caller& caller, const std::string& tenant,
                                                    const storage::QuotaOverridesUpdate& update);

  // ---- Enforcement (the caller has authorized the write) ----

  // MetadataStore::CreateModel within max_models.
  [[nodiscard]] absl::StatusOr<storage::ModelRecord> CreateModel(const storage::ModelRecord& model);

  // MetadataStore::CreateVersion, creating the model if it does not exist, in
  // one transaction: within max_stored_bytes (and max_models for a new model).
  // On refusal nothing is written.
  [[nodiscard]] absl::StatusOr<storage::VersionRecord> CreateVersion(
      const storage::VersionRecord& version);

  // Before an upload of at least `min_new_bytes` (0 when unknown) to an
  // existing or a new model: PermissionDenied when it certainly exceeds
  // max_models (new model only) or max_stored_bytes. Returns the byte budget
  // to check while the bytes stream in. Advisory only: CreateVersion decides.
  [[nodiscard]] absl::StatusOr<StoredBytesBudget> CheckUpload(const std::string& tenant,
                                                              UploadTarget target,
                                                              int64_t min_new_bytes);

  // Whether `tenant`, now running `running_jobs` jobs, may start one more:
  // PermissionDenied (QuotaExceededError for max_concurrent_jobs) when
  // running_jobs >= its max_concurrent_jobs. The jobs feature calls this, with
  // the count taken under the same lock or transaction that starts the job.
  [[nodiscard]] absl::Status CheckCanStartJob(const std::string& tenant, int64_t running_jobs);

 private:
  absl::StatusOr<storage::QuotaLimits> LimitsOf(const std::string& tenant);

  storage::QuotaStore* const store_;
  const storage::QuotaLimits defaults_;
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_QUOTAS_H_
