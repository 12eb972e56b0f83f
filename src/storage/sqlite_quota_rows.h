#ifndef AIAAS_STORAGE_SQLITE_QUOTA_ROWS_H_
#define AIAAS_STORAGE_SQLITE_QUOTA_ROWS_H_

// Quota overrides as a `tenant_quotas` row (NULL column or no row: the server
// default) and the usage queries and checks of QuotaStore, private to
// storage/. Every function runs on a connection the caller has locked, inside
// a transaction the caller owns; the checks belong in the write transaction
// that inserts the row they guard, so no other writer can slip in between.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/quota_store.h"
#include "storage/sqlite_connection.h"

namespace aiaas::storage::sqlite {

// The row id of tenant `tenant`; NotFound "tenant 'x' not found" if none.
[[nodiscard]] absl::StatusOr<int64_t> FindTenantRowId(Connection& conn, const std::string& tenant);

// The overrides of tenant row `tenant_id` (all unset when it has no row).
[[nodiscard]] absl::StatusOr<QuotaOverrides> ReadQuotaOverrides(Connection& conn,
                                                                int64_t tenant_id);

// Stores `overrides` as the tenant's row (an upsert). InvalidArgument for a
// negative limit.
[[nodiscard]] absl::Status WriteQuotaOverrides(Connection& conn, int64_t tenant_id,
                                               const QuotaOverrides& overrides);

// The tenant's model count, the sum of its versions' size_bytes and its
// queued or running jobs.
[[nodiscard]] absl::StatusOr<QuotaUsage> ReadQuotaUsage(Connection& conn, int64_t tenant_id);

// The tenant's jobs queued or running (what max_concurrent_jobs limits).
[[nodiscard]] absl::StatusOr<int64_t> CountActiveJobs(Connection& conn, int64_t tenant_id);

// OK when tenant row `tenant_id` (named `tenant` in the error) may create
// one more model; QuotaExceededError for max_models otherwise.
[[nodiscard]] absl::Status CheckModelQuota(Connection& conn, int64_t tenant_id,
                                           const std::string& tenant, const QuotaLimits& defaults);

// OK when the tenant may store `new_bytes` more; QuotaExceededError for
// max_stored_bytes otherwise.
[[nodiscard]] absl::Status CheckStoredBytesQuota(Connection& conn, int64_t tenant_id,
                                                 const std::string& tenant, int64_t new_bytes,
                                                 const QuotaLimits& defaults);

}  // namespace aiaas::storage::sqlite

#endif  // AIAAS_STORAGE_SQLITE_QUOTA_ROWS_H_
