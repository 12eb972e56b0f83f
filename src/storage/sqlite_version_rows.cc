#include "storage/sqlite_version_rows.h"

#include <utility>

#include "common/status_macros.h"
#include "storage/sqlite_serving_config_rows.h"
#include "storage/sqlite_signature_rows.h"

namespace aiaas::storage::sqlite {
namespace {

constexpr Query kInsertVersion = {
    "insert version",
    "INSERT INTO versions(model_id, version, format, digest, size_bytes, description,"
    " created_at_ms, metrics_json, lineage_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    " RETURNING id"};
constexpr Query kFindVersion = {"find version",
                                "SELECT id FROM versions WHERE model_id = ?1 AND version = ?2"};
// The three selects share their columns, read by ReadRows.
constexpr Query kSelectVersion = {
    "read version",
    "SELECT id, version, format, digest, size_bytes, description, created_at_ms, metrics_json,"
    " lineage_json FROM versions"
    " WHERE model_id = ?1 AND version = ?2"};
constexpr Query kSelectLatestVersion = {
    "read latest version",
    "SELECT id, version, format, digest, size_bytes, description, created_at_ms, metrics_json,"
    " lineage_json FROM versions"
    " WHERE model_id = ?1 ORDER BY version DESC LIMIT 1"};
constexpr Query kSelectVersions = {
    "list versions",
    "SELECT id, version, format, digest, size_bytes, description, created_at_ms, metrics_json,"
    " lineage_json FROM versions"
    " WHERE model_id = ?1 ORDER BY version"};

// Steps through one of the bound kSelect*Version* statements, then reads each
// resulting version's signature and serving config.
absl::StatusOr<std::vector<VersionRecord>> ReadRows(Connection& conn, Statement& stmt,
                                                    const ModelRef& model) {
  std::vector<VersionRecord> versions;
  std::vector<int64_t> row_ids;
  while (true) {
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    VersionRecord& v = versions.emplace_back();
    row_ids.push_back(stmt.ColumnInt(0));
    v.tenant = model.tenant;
    v.model = model.name;
    v.version = stmt.ColumnInt(1);
    v.format = stmt.ColumnText(2);
    v.digest = stmt.ColumnText(3);
    v.size_bytes = stmt.ColumnInt(4);
    v.description = stmt.ColumnText(5);
    v.created_at_ms = stmt.ColumnInt(6);
    v.metrics_json = stmt.ColumnText(7);
    v.lineage_json = stmt.ColumnText(8);
  }
  for (size_t i = 0; i < versions.size(); ++i) {
    AIAAS_ASSIGN_OR_RETURN(versions[i].signature, ReadSignature(conn, row_ids[i]));
    AIAAS_ASSIGN_OR_RETURN(versions[i].config, ReadServingConfig(conn, row_ids[i]));
  }
  return versions;
}

std::optional<VersionRecord> First(std::vector<VersionRecord> versions) {
  if (versions.empty()) return std::nullopt;
  return std::move(versions.front());
}

}  // namespace

absl::StatusOr<int64_t> InsertVersion(Connection& conn, int64_t model_id,
                                      const VersionRecord& version) {
  int64_t version_id = 0;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kInsertVersion));
    stmt.BindInt(1, model_id).BindInt(2, version.version).BindText(3, version.format);
    stmt.BindText(4, version.digest).BindInt(5, version.size_bytes);
    stmt.BindText(6, version.description).BindInt(7, version.created_at_ms);
    stmt.BindText(8, version.metrics_json.empty() ? "{}" : version.metrics_json);
    stmt.BindText(9, version.lineage_json.empty() ? "{}" : version.lineage_json);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::InternalError("sqlite: insert version: no id returned");
    version_id = stmt.ColumnInt(0);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_RETURN_IF_ERROR(InsertSignature(conn, version_id, version.signature));
  AIAAS_RETURN_IF_ERROR(WriteServingConfig(conn, version_id, version.config));
  return version_id;
}

absl::StatusOr<std::optional<int64_t>> FindVersionId(Connection& conn, int64_t model_id,
                                                     int64_t version) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kFindVersion));
  stmt.BindInt(1, model_id).BindInt(2, version);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(stmt.ColumnInt(0));
}

absl::StatusOr<std::optional<VersionRecord>> ReadVersion(Connection& conn, const ModelRef& model,
                                                         int64_t version) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kSelectVersion));
  stmt.BindInt(1, model.id).BindInt(2, version);
  AIAAS_ASSIGN_OR_RETURN(std::vector<VersionRecord> found, ReadRows(conn, stmt, model));
  return First(std::move(found));
}

absl::StatusOr<std::optional<VersionRecord>> ReadLatestVersion(Connection& conn,
                                                               const ModelRef& model) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kSelectLatestVersion));
  stmt.BindInt(1, model.id);
  AIAAS_ASSIGN_OR_RETURN(std::vector<VersionRecord> found, ReadRows(conn, stmt, model));
  return First(std::move(found));
}

absl::StatusOr<std::vector<VersionRecord>> ReadAllVersions(Connection& conn,
                                                           const ModelRef& model) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kSelectVersions));
  stmt.BindInt(1, model.id);
  return ReadRows(conn, stmt, model);
}

}  // namespace aiaas::storage::sqlite
