// The DatasetStore half of SqliteMetadataStore: datasets and their immutable
// versions, on the same connection and under the same mutex as the rest.
#include <optional>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/sqlite_connection.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/sqlite_quota_rows.h"

namespace aiaas::storage {
namespace {

using sqlite::Connection;
using sqlite::Query;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::TxnMode;

constexpr Query kFindDataset = {
    "find dataset",
    "SELECT d.id FROM datasets d JOIN tenants t ON t.id = d.tenant_id"
    " WHERE t.name = ?1 AND d.name = ?2"};
constexpr Query kInsertDataset = {
    "insert dataset",
    "INSERT INTO datasets(tenant_id, name, created_at_ms) VALUES (?1, ?2, ?3) RETURNING id"};
constexpr Query kNextDatasetVersion = {
    "assign dataset version number",
    "UPDATE datasets SET next_version = next_version + 1 WHERE id = ?1"
    " RETURNING next_version - 1"};
constexpr Query kInsertDatasetVersion = {
    "insert dataset version",
    "INSERT INTO dataset_versions(dataset_id, version, format, digest, size_bytes, row_count,"
    " schema_json, created_by, created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"};

// The selects share their columns, read by ReadRows.
#define AIAAS_DATASET_COLUMNS                                                             \
  "SELECT d.name, v.version, v.format, v.digest, v.size_bytes, v.row_count, v.schema_json," \
  " v.created_by, v.created_at_ms FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id"
constexpr Query kSelectVersion = {"read dataset version",
                                  AIAAS_DATASET_COLUMNS " WHERE d.id = ?1 AND v.version = ?2"};
constexpr Query kSelectLatest = {
    "read latest dataset version",
    AIAAS_DATASET_COLUMNS " WHERE d.id = ?1 ORDER BY v.version DESC LIMIT 1"};
constexpr Query kSelectVersions = {"list dataset versions",
                                   AIAAS_DATASET_COLUMNS " WHERE d.id = ?1 ORDER BY v.version"};
constexpr Query kSelectNewestPerDataset = {
    "list datasets",
    AIAAS_DATASET_COLUMNS
    " WHERE d.tenant_id = ?1 AND v.version = (SELECT MAX(version) FROM dataset_versions"
    " WHERE dataset_id = d.id) ORDER BY d.name"};
#undef AIAAS_DATASET_COLUMNS

constexpr Query kDeleteVersion = {
    "delete dataset version",
    "DELETE FROM dataset_versions WHERE dataset_id = ?1 AND version = ?2 RETURNING digest"};
constexpr Query kDeleteDataset = {"delete dataset", "DELETE FROM datasets WHERE id = ?1"};
constexpr Query kDatasetDigests = {"list dataset digests",
                                   "SELECT DISTINCT digest FROM dataset_versions"
                                   " WHERE dataset_id = ?1 ORDER BY digest"};

// A job queued or running on the dataset (any version when ?3 is NULL) trains on it
// (again, after a restart): its data must stay. Specs are nlohmann dumps; the CASE keeps
// json_extract away from anything that is not JSON.
constexpr Query kJobUsingDataset = {
    "find jobs using dataset",
    "SELECT j.id, j.state FROM jobs j JOIN tenants t ON t.id = j.tenant_id"
    " WHERE t.name = ?1 AND j.state IN ('queued', 'running')"
    " AND CASE WHEN json_valid(j.spec_json) THEN json_extract(j.spec_json, '$.dataset') END = ?2"
    " AND (?3 IS NULL OR CASE WHEN json_valid(j.spec_json)"
    " THEN json_extract(j.spec_json, '$.dataset_version') END = ?3)"
    " ORDER BY j.created_at_ms, j.id LIMIT 1"};

// FailedPrecondition naming a job that still needs the dataset (or `version` of it).
absl::Status CheckNoJobUses(Connection& db, const std::string& tenant, const std::string& name,
                            std::optional<int64_t> version) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kJobUsingDataset));
  stmt.BindText(1, tenant).BindText(2, name).BindNullableInt(3, version);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "dataset '", name, "'", version.has_value() ? absl::StrCat(" version ", *version) : "",
      " is used by job ", stmt.ColumnText(0), " (", stmt.ColumnText(1),
      "); cancel the job or wait for it to end, then delete"));
}

absl::Status DatasetNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("dataset '", name, "' not found"));
}

absl::Status VersionNotFound(const std::string& name, int64_t version) {
  return absl::NotFoundError(absl::StrCat("dataset '", name, "' has no version ", version));
}

absl::StatusOr<int64_t> FindDataset(Connection& db, const std::string& tenant,
                                    const std::string& name) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kFindDataset));
  stmt.BindText(1, tenant).BindText(2, name);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    AIAAS_RETURN_IF_ERROR(sqlite::FindTenantRowId(db, tenant).status());
    return DatasetNotFound(name);
  }
  return stmt.ColumnInt(0);
}

absl::StatusOr<std::vector<DatasetVersionRecord>> ReadRows(Statement& stmt,
                                                           const std::string& tenant) {
  std::vector<DatasetVersionRecord> records;
  while (true) {
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    DatasetVersionRecord& r = records.emplace_back();
    r.tenant = tenant;
    r.name = stmt.ColumnText(0);
    r.version = stmt.ColumnInt(1);
    r.format = stmt.ColumnText(2);
    r.digest = stmt.ColumnText(3);
    r.size_bytes = stmt.ColumnInt(4);
    r.rows = stmt.ColumnInt(5);
    r.schema_json = stmt.ColumnText(6);
    r.created_by = stmt.ColumnText(7);
    r.created_at_ms = stmt.ColumnInt(8);
  }
  return records;
}

}  // namespace

absl::StatusOr<DatasetVersionRecord> SqliteMetadataStore::CreateDatasetVersion(
    const DatasetVersionRecord& record, const QuotaLimits& defaults) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  const int64_t now_ms = now_ms_();
  AIAAS_ASSIGN_OR_RETURN(int64_t tenant_id, sqlite::FindTenantRowId(db, record.tenant));
  // Inside the inserting transaction: concurrent uploads see each other's bytes.
  AIAAS_RETURN_IF_ERROR(
      sqlite::CheckStoredBytesQuota(db, tenant_id, record.tenant, record.size_bytes, defaults));
  absl::StatusOr<int64_t> dataset_id = FindDataset(db, record.tenant, record.name);
  if (absl::IsNotFound(dataset_id.status())) {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kInsertDataset));
    stmt.BindInt(1, tenant_id).BindText(2, record.name).BindInt(3, now_ms);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::InternalError("sqlite: insert dataset: no id returned");
    dataset_id = stmt.ColumnInt(0);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  if (!dataset_id.ok()) return dataset_id.status();
  DatasetVersionRecord created = record;
  created.created_at_ms = now_ms;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kNextDatasetVersion));
    stmt.BindInt(1, *dataset_id);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::InternalError("sqlite: assign dataset version: row vanished");
    created.version = stmt.ColumnInt(0);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kInsertDatasetVersion));
    stmt.BindInt(1, *dataset_id).BindInt(2, created.version).BindText(3, created.format);
    stmt.BindText(4, created.digest).BindInt(5, created.size_bytes).BindInt(6, created.rows);
    stmt.BindText(7, created.schema_json).BindText(8, created.created_by);
    stmt.BindInt(9, created.created_at_ms);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return created;
}

absl::StatusOr<DatasetVersionRecord> SqliteMetadataStore::GetDatasetVersion(
    const std::string& tenant, const std::string& name, int64_t version) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  AIAAS_ASSIGN_OR_RETURN(int64_t dataset_id, FindDataset(db, tenant, name));
  AIAAS_ASSIGN_OR_RETURN(Statement stmt,
                         db.Prepare(version == 0 ? kSelectLatest : kSelectVersion));
  stmt.BindInt(1, dataset_id);
  if (version != 0) stmt.BindInt(2, version);
  AIAAS_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> found, ReadRows(stmt, tenant));
  if (found.empty()) {
    return version == 0 ? DatasetNotFound(name) : VersionNotFound(name, version);
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return std::move(found.front());
}

absl::StatusOr<std::vector<DatasetVersionRecord>> SqliteMetadataStore::ListDatasets(
    const std::string& tenant) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  AIAAS_ASSIGN_OR_RETURN(int64_t tenant_id, sqlite::FindTenantRowId(db, tenant));
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectNewestPerDataset));
  stmt.BindInt(1, tenant_id);
  AIAAS_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> found, ReadRows(stmt, tenant));
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return found;
}

absl::StatusOr<std::vector<DatasetVersionRecord>> SqliteMetadataStore::ListDatasetVersions(
    const std::string& tenant, const std::string& name) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  AIAAS_ASSIGN_OR_RETURN(int64_t dataset_id, FindDataset(db, tenant, name));
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectVersions));
  stmt.BindInt(1, dataset_id);
  AIAAS_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> found, ReadRows(stmt, tenant));
  if (found.empty()) return DatasetNotFound(name);
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return found;
}

absl::StatusOr<std::string> SqliteMetadataStore::DeleteDatasetVersion(const std::string& tenant,
                                                                      const std::string& name,
                                                                      int64_t version) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(int64_t dataset_id, FindDataset(db, tenant, name));
  AIAAS_RETURN_IF_ERROR(CheckNoJobUses(db, tenant, name, version));
  std::string digest;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kDeleteVersion));
    stmt.BindInt(1, dataset_id).BindInt(2, version);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return VersionNotFound(name, version);
    digest = stmt.ColumnText(0);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return digest;
}

absl::StatusOr<std::vector<std::string>> SqliteMetadataStore::DeleteDataset(
    const std::string& tenant, const std::string& name) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(int64_t dataset_id, FindDataset(db, tenant, name));
  AIAAS_RETURN_IF_ERROR(CheckNoJobUses(db, tenant, name, std::nullopt));
  std::vector<std::string> digests;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kDatasetDigests));
    stmt.BindInt(1, dataset_id);
    while (true) {
      AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      digests.push_back(stmt.ColumnText(0));
    }
  }
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kDeleteDataset));
    stmt.BindInt(1, dataset_id);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return digests;
}

}  // namespace aiaas::storage
