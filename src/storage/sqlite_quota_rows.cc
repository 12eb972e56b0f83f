#include "storage/sqlite_quota_rows.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace aiaas::storage::sqlite {
namespace {

constexpr Query kFindTenant = {"find tenant", "SELECT id FROM tenants WHERE name = ?1"};
constexpr Query kSelectOverrides = {
    "read quota overrides",
    "SELECT max_models, max_stored_bytes, max_concurrent_jobs FROM tenant_quotas"
    " WHERE tenant_id = ?1"};
constexpr Query kUpsertOverrides = {
    "write quota overrides",
    "INSERT INTO tenant_quotas(tenant_id, max_models, max_stored_bytes, max_concurrent_jobs)"
    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id) DO UPDATE SET"
    " max_models = excluded.max_models, max_stored_bytes = excluded.max_stored_bytes,"
    " max_concurrent_jobs = excluded.max_concurrent_jobs"};
// models(tenant_id, name) is UNIQUE, so both queries walk an index.
constexpr Query kCountModels = {"count models", "SELECT COUNT(*) FROM models WHERE tenant_id = ?1"};
constexpr Query kSumStoredBytes = {
    "sum stored bytes",
    "SELECT (SELECT COALESCE(SUM(v.size_bytes), 0) FROM versions v"
    " JOIN models m ON m.id = v.model_id WHERE m.tenant_id = ?1)"
    " + (SELECT COALESCE(SUM(dv.size_bytes), 0) FROM dataset_versions dv"
    " JOIN datasets d ON d.id = dv.dataset_id WHERE d.tenant_id = ?1)"};

// The count max_concurrent_jobs limits (walks the tenant's jobs by index).
constexpr Query kCountActiveJobs = {
    "count active jobs",
    "SELECT COUNT(*) FROM jobs WHERE tenant_id = ?1 AND state IN ('queued', 'running')"};

std::optional<int64_t> NullableInt(const Statement& stmt, int column) {
  if (stmt.ColumnIsNull(column)) return std::nullopt;
  return stmt.ColumnInt(column);
}

absl::StatusOr<int64_t> ReadCount(Connection& conn, const Query& query, int64_t tenant_id) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(query));
  stmt.BindInt(1, tenant_id);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::InternalError(absl::StrCat("sqlite: ", query.op, ": no result row"));
  return stmt.ColumnInt(0);
}

absl::Status CheckNotNegative(const char* name, const std::optional<int64_t>& value) {
  if (value.has_value() && *value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be >= 0, got ", *value));
  }
  return absl::OkStatus();
}

absl::StatusOr<QuotaLimits> Limits(Connection& conn, int64_t tenant_id,
                                   const QuotaLimits& defaults) {
  AIAAS_ASSIGN_OR_RETURN(QuotaOverrides overrides, ReadQuotaOverrides(conn, tenant_id));
  return EffectiveLimits(overrides, defaults);
}

}  // namespace

absl::StatusOr<int64_t> FindTenantRowId(Connection& conn, const std::string& tenant) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kFindTenant));
  stmt.BindText(1, tenant);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::NotFoundError(absl::StrCat("tenant '", tenant, "' not found"));
  return stmt.ColumnInt(0);
}

absl::StatusOr<QuotaOverrides> ReadQuotaOverrides(Connection& conn, int64_t tenant_id) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kSelectOverrides));
  stmt.BindInt(1, tenant_id);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  QuotaOverrides overrides;
  if (!row) return overrides;
  overrides.max_models = NullableInt(stmt, 0);
  overrides.max_stored_bytes = NullableInt(stmt, 1);
  overrides.max_concurrent_jobs = NullableInt(stmt, 2);
  return overrides;
}

absl::Status WriteQuotaOverrides(Connection& conn, int64_t tenant_id,
                                 const QuotaOverrides& overrides) {
  AIAAS_RETURN_IF_ERROR(CheckNotNegative("max_models", overrides.max_models));
  AIAAS_RETURN_IF_ERROR(CheckNotNegative("max_stored_bytes", overrides.max_stored_bytes));
  AIAAS_RETURN_IF_ERROR(CheckNotNegative("max_concurrent_jobs", overrides.max_concurrent_jobs));
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kUpsertOverrides));
  stmt.BindInt(1, tenant_id).BindNullableInt(2, overrides.max_models);
  stmt.BindNullableInt(3, overrides.max_stored_bytes);
  stmt.BindNullableInt(4, overrides.max_concurrent_jobs);
  return stmt.Run();
}

absl::StatusOr<QuotaUsage> ReadQuotaUsage(Connection& conn, int64_t tenant_id) {
  QuotaUsage usage;
  AIAAS_ASSIGN_OR_RETURN(usage.models, ReadCount(conn, kCountModels, tenant_id));
  AIAAS_ASSIGN_OR_RETURN(usage.stored_bytes, ReadCount(conn, kSumStoredBytes, tenant_id));
  AIAAS_ASSIGN_OR_RETURN(usage.concurrent_jobs, CountActiveJobs(conn, tenant_id));
  return usage;
}

absl::StatusOr<int64_t> CountActiveJobs(Connection& conn, int64_t tenant_id) {
  return ReadCount(conn, kCountActiveJobs, tenant_id);
}

absl::Status CheckModelQuota(Connection& conn, int64_t tenant_id, const std::string& tenant,
                             const QuotaLimits& defaults) {
  AIAAS_ASSIGN_OR_RETURN(QuotaLimits limits, Limits(conn, tenant_id, defaults));
  AIAAS_ASSIGN_OR_RETURN(int64_t models, ReadCount(conn, kCountModels, tenant_id));
  if (models >= limits.max_models) {
    return QuotaExceededError({tenant, "max_models", models, 1, limits.max_models});
  }
  return absl::OkStatus();
}

absl::Status CheckStoredBytesQuota(Connection& conn, int64_t tenant_id, const std::string& tenant,
                                   int64_t new_bytes, const QuotaLimits& defaults) {
  AIAAS_ASSIGN_OR_RETURN(QuotaLimits limits, Limits(conn, tenant_id, defaults));
  AIAAS_ASSIGN_OR_RETURN(int64_t used, ReadCount(conn, kSumStoredBytes, tenant_id));
  // new_bytes > limit - used, without overflowing used + new_bytes.
  if (new_bytes > limits.max_stored_bytes - used) {
    return QuotaExceededError(
        {tenant, "max_stored_bytes", used, new_bytes, limits.max_stored_bytes});
  }
  return absl::OkStatus();
}

}  // namespace aiaas::storage::sqlite
