#ifndef AIAAS_STORAGE_SQLITE_METADATA_STORE_H_
#define AIAAS_STORAGE_SQLITE_METADATA_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/audit_store.h"
#include "storage/auth_store.h"
#include "storage/dataset_store.h"
#include "storage/job_store.h"
#include "storage/metadata_store.h"
#include "storage/quota_store.h"

namespace aiaas::storage {

namespace sqlite {
class Connection;
}  // namespace sqlite

struct SqliteMetadataStoreOptions {
  // Current time in Unix milliseconds; unset means the system clock.
  // Tests inject a fake to get deterministic timestamps.
  std::function<int64_t()> now_ms;
  // How long a write waits for another process holding the database lock
  // before failing with Unavailable.
  int busy_timeout_ms = 5000;
};

// MetadataStore, AuthStore, QuotaStore, AuditStore, DatasetStore and JobStore
// in one SQLite file (WAL journal, synchronous=FULL, foreign keys enforced),
// the default for a single `aiaas serve`. Each interface but MetadataStore is
// defined in its own sqlite_<name>_store.cc.
//
// Open() applies the versioned schema migrations (see sqlite_schema.h). Writes
// run in IMMEDIATE transactions, so a version number is read from and bumped
// on the model row in the same transaction that inserts the version: numbers
// are unique and never reused, also with several processes on one file.
//
// Tenants: rows of the `tenants` table; migration 1 seeds "default", and
// AuthStore::CreateTenant adds more. CreateModel for an unknown tenant is
// NotFound ("tenant 'x' not found"); reads in an unknown tenant find nothing
// (NotFound, or an empty ListModels page).
//
// Names are stored as given (byte-wise, case-sensitive); validating them
// (ValidateModelName, ValidateAliasName) is the caller's job. The same holds
// for digests and formats.
//
// Error codes beyond those of MetadataStore and AuthStore: Unavailable when
// the database stays locked by another process for busy_timeout_ms (retry
// later), ResourceExhausted when the disk is full, InvalidArgument for a
// page_size outside [1, 1000] and for a value a table check rejects (a
// principal kind other than "user"/"service", a permission other than
// "read"/"infer", a visibility other than "private"/"public", a non-finite
// rate_limit_rps).
//
// Thread-safety: all methods may be called concurrently; they are serialized
// on one connection.
class SqliteMetadataStore final : public MetadataStore, public AuthStore, public QuotaStore,
                                  public AuditStore, public DatasetStore, public JobStore {
 public:
  // Opens or creates the database at `path` (":memory:" for a private
  // in-memory database) and migrates its schema. FailedPrecondition if the
  // file was written by a newer schema version; Internal if it cannot be
  // opened or put in WAL mode.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteMetadataStore>> Open(
      const std::string& path);
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<SqliteMetadataStore>> Open(
      const std::string& path, SqliteMetadataStoreOptions options);

  SqliteMetadataStore(const SqliteMetadataStore&) = delete;
  SqliteMetadataStore& operator=(const SqliteMetadataStore&) = delete;
  ~SqliteMetadataStore() override;

  absl::StatusOr<ModelRecord> CreateModel(const ModelRecord& model) override;
  absl::StatusOr<ModelRecord> GetModel(const std::string& tenant, const std::string& name) override;
  absl::StatusOr<Page<ModelRecord>> ListModels(const std::string& tenant, int page_size,
                                               const std::string& page_token) override;
  // Replaces the description and/or the whole label set; bumps updated_at_ms.
  absl::StatusOr<ModelRecord> UpdateModel(const std::string& tenant, const std::string& name,
                                          const ModelUpdate& update) override;
  // The returned digests are distinct and sorted.
  absl::StatusOr<std::vector<std::string>> DeleteModel(const std::string& tenant,
                                                       const std::string& name) override;

  // Does not change the model's updated_at_ms (that tracks the model's own fields).
  absl::StatusOr<VersionRecord> CreateVersion(const VersionRecord& version) override;
  absl::StatusOr<VersionRecord> GetVersion(const std::string& tenant, const std::string& model,
                                           int64_t version) override;
  absl::StatusOr<VersionRecord> GetLatestVersion(const std::string& tenant,
                                                 const std::string& model) override;
  absl::StatusOr<std::vector<VersionRecord>> ListVersions(const std::string& tenant,
                                                          const std::string& model) override;
  // Replaces the config in one IMMEDIATE transaction (an upsert: versions
  // created before schema step 2 have no config row yet).
  absl::StatusOr<VersionRecord> UpdateServingConfig(const std::string& tenant,
                                                    const std::string& model, int64_t version,
                                                    const ServingConfig& config) override;
  absl::StatusOr<std::string> DeleteVersion(const std::string& tenant, const std::string& model,
                                            int64_t version) override;

  absl::Status SetAlias(const std::string& tenant, const std::string& model,
                        const std::string& alias, int64_t version) override;
  absl::Status DeleteAlias(const std::string& tenant, const std::string& model,
                           const std::string& alias) override;
  // NotFound if the model does not exist.
  absl::StatusOr<std::vector<AliasRecord>> ListAliases(const std::string& tenant,
                                                       const std::string& model) override;
  absl::StatusOr<int64_t> ResolveAlias(const std::string& tenant, const std::string& model,
                                       const std::string& alias) override;

  absl::StatusOr<int64_t> CountDigestReferences(const std::string& digest) override;

  // ---- AuthStore (sqlite_auth_store.cc) ----

  absl::StatusOr<TenantRecord> CreateTenant(const std::string& name) override;
  absl::StatusOr<TenantRecord> GetTenant(const std::string& name) override;
  absl::StatusOr<std::vector<TenantRecord>> ListTenants() override;

  absl::StatusOr<PrincipalRecord> CreatePrincipal(const PrincipalRecord& principal) override;
  absl::StatusOr<PrincipalRecord> GetPrincipal(const std::string& tenant,
                                               const std::string& name) override;
  absl::StatusOr<std::vector<PrincipalRecord>> ListPrincipals(const std::string& tenant) override;
  absl::Status DeletePrincipal(const std::string& tenant, const std::string& name,
                               int64_t now_ms) override;

  absl::Status CreateApiKey(const ApiKeyRecord& key) override;
  absl::StatusOr<ApiKeyRecord> GetApiKey(const std::string& id) override;
  absl::StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(const std::string& tenant) override;
  absl::Status RevokeApiKey(const std::string& id, int64_t now_ms) override;
  absl::Status ReplaceApiKey(const std::string& old_id, const ApiKeyRecord& replacement,
                             int64_t now_ms) override;
  absl::StatusOr<bool> HasAnyApiKey() override;

  // Does not change the model's updated_at_ms.
  absl::Status SetModelVisibility(const std::string& tenant, const std::string& model,
                                  const std::string& visibility) override;
  absl::StatusOr<std::string> GetModelVisibility(const std::string& tenant,
                                                 const std::string& model) override;

  absl::StatusOr<GrantRecord> PutGrant(const GrantRecord& grant) override;
  absl::StatusOr<GrantRecord> GetGrant(const std::string& owner_tenant, const std::string& model,
                                       const std::string& grantee) override;
  absl::StatusOr<std::vector<GrantRecord>> ListGrants(const std::string& owner_tenant,
                                                      const std::string& model) override;
  absl::StatusOr<std::vector<GrantRecord>> ListGrantsTo(const std::string& grantee) override;
  absl::Status DeleteGrant(const std::string& owner_tenant, const std::string& model,
                           const std::string& grantee) override;

  // ---- QuotaStore (sqlite_quota_store.cc) ----

  absl::StatusOr<QuotaOverrides> GetQuotaOverrides(const std::string& tenant) override;
  absl::StatusOr<QuotaOverrides> UpdateQuotaOverrides(const std::string& tenant,
                                                      const QuotaOverridesUpdate& update) override;
  absl::StatusOr<QuotaUsage> GetQuotaUsage(const std::string& tenant) override;
  absl::StatusOr<ModelRecord> CreateModelWithinQuota(const ModelRecord& model,
                                                     const QuotaLimits& defaults) override;
  absl::StatusOr<VersionRecord> CreateVersionWithinQuota(const VersionRecord& version,
                                                         const QuotaLimits& defaults,
                                                         MissingModel missing) override;

  // ---- AuditStore (sqlite_audit_store.cc) ----

  absl::StatusOr<int64_t> AppendAuditEvent(const AuditEventRecord& event) override;
  absl::StatusOr<std::vector<int64_t>> AppendAuditEvents(
      const std::vector<AuditEventRecord>& events) override;
  absl::StatusOr<std::vector<AuditEventRecord>> ListAuditEvents(const AuditQuery& query) override;

  // ---- DatasetStore (sqlite_dataset_store.cc) ----

  absl::StatusOr<DatasetVersionRecord> CreateDatasetVersion(const DatasetVersionRecord& record,
                                                            const QuotaLimits& defaults) override;
  absl::StatusOr<DatasetVersionRecord> GetDatasetVersion(const std::string& tenant,
                                                         const std::string& name,
                                                         int64_t version) override;
  absl::StatusOr<std::vector<DatasetVersionRecord>> ListDatasets(
      const std::string& tenant) override;
  absl::StatusOr<std::vector<DatasetVersionRecord>> ListDatasetVersions(
      const std::string& tenant, const std::string& name) override;
  absl::StatusOr<std::string> DeleteDatasetVersion(const std::string& tenant,
                                                   const std::string& name,
                                                   int64_t version) override;
  absl::StatusOr<std::vector<std::string>> DeleteDataset(const std::string& tenant,
                                                         const std::string& name) override;

  // ---- JobStore (sqlite_job_store.cc) ----

  absl::StatusOr<JobRecord> CreateJob(const JobRecord& job, const QuotaLimits& defaults) override;
  absl::StatusOr<JobRecord> GetJob(const std::string& tenant, const std::string& id) override;
  absl::StatusOr<std::vector<JobRecord>> ListJobs(const std::string& tenant,
                                                  const std::optional<std::string>& state,
                                                  int limit) override;
  absl::StatusOr<std::optional<JobRecord>> ClaimNextJob() override;
  absl::Status UpdateJobProgress(const std::string& id, const JobProgressUpdate& update) override;
  absl::StatusOr<JobRecord> FinishJob(const std::string& id, const JobOutcome& outcome) override;
  absl::StatusOr<JobRecord> RequestJobCancel(const std::string& tenant,
                                             const std::string& id) override;
  absl::StatusOr<bool> IsJobCancelRequested(const std::string& id) override;
  absl::StatusOr<RequeuedJobs> RequeueInterruptedJobs() override;

 private:
  SqliteMetadataStore(std::unique_ptr<sqlite::Connection> db, std::function<int64_t()> now_ms);

  // CreateModel / CreateVersion, with the quota checks of QuotaStore when
  // `quota_defaults` is set (null: unchecked).
  absl::StatusOr<ModelRecord> CreateModelChecked(const ModelRecord& model,
                                                 const QuotaLimits* quota_defaults);
  absl::StatusOr<VersionRecord> CreateVersionChecked(const VersionRecord& version,
                                                     const QuotaLimits* quota_defaults,
                                                     MissingModel missing);

  const std::function<int64_t()> now_ms_;

  absl::Mutex mu_;
  const std::unique_ptr<sqlite::Connection> db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_SQLITE_METADATA_STORE_H_
