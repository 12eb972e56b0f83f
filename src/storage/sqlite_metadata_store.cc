#include "storage/sqlite_metadata_store.h"

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "storage/sqlite_connection.h"
#include "storage/sqlite_quota_rows.h"
#include "storage/sqlite_schema.h"
#include "storage/sqlite_serving_config_rows.h"
#include "storage/sqlite_version_rows.h"

namespace aiaas::storage {
namespace {

using sqlite::Connection;
using sqlite::ModelRef;
using sqlite::Query;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::TxnMode;

constexpr int kMaxPageSize = 1000;

// ---- SQL. Every value is a bound parameter. ----

constexpr Query kFindModel = {"find model",
                              "SELECT m.id FROM models m JOIN tenants t ON t.id = m.tenant_id"
                              " WHERE t.name = ?1 AND m.name = ?2"};
constexpr Query kSelectModel = {
    "read model",
    "SELECT m.id, m.name, m.description, m.created_at_ms, m.updated_at_ms, m.visibility"
    " FROM models m JOIN tenants t ON t.id = m.tenant_id WHERE t.name = ?1 AND m.name = ?2"};
constexpr Query kSelectModelPage = {
    "list models",
    "SELECT m.id, m.name, m.description, m.created_at_ms, m.updated_at_ms, m.visibility"
    " FROM models m JOIN tenants t ON t.id = m.tenant_id"
    " WHERE t.name = ?1 AND (?2 IS NULL OR m.name > ?2) ORDER BY m.name LIMIT ?3"};
constexpr Query kSelectLabels = {
    "read labels", "SELECT key, value FROM model_labels WHERE model_id = ?1 ORDER BY key"};
// Labels of the models whose names lie in (after, last]: one page of ListModels.
constexpr Query kSelectPageLabels = {
    "list labels",
    "SELECT l.model_id, l.key, l.value FROM model_labels l"
    " JOIN models m ON m.id = l.model_id JOIN tenants t ON t.id = m.tenant_id"
    " WHERE t.name = ?1 AND (?2 IS NULL OR m.name > ?2) AND m.name <= ?3"};
constexpr Query kInsertModel = {
    "insert model",
    "INSERT INTO models(tenant_id, name, description, created_at_ms, updated_at_ms)"
    " VALUES (?1, ?2, ?3, ?4, ?4) RETURNING id"};
constexpr Query kInsertLabel = {
    "insert label", "INSERT INTO model_labels(model_id, key, value) VALUES (?1, ?2, ?3)"};
constexpr Query kDeleteLabels = {"delete labels", "DELETE FROM model_labels WHERE model_id = ?1"};
constexpr Query kUpdateDescription = {"update model description",
                                      "UPDATE models SET description = ?2 WHERE id = ?1"};
constexpr Query kTouchModel = {"update model time",
                               "UPDATE models SET updated_at_ms = ?2 WHERE id = ?1"};
constexpr Query kModelDigests = {
    "list model digests",
    "SELECT DISTINCT digest FROM versions WHERE model_id = ?1 ORDER BY digest"};
constexpr Query kDeleteModel = {"delete model", "DELETE FROM models WHERE id = ?1"};

constexpr Query kNextVersion = {
    "assign version number",
    "UPDATE models SET next_version = next_version + 1 WHERE id = ?1 RETURNING next_version - 1"};
constexpr Query kDeleteVersion = {
    "delete version", "DELETE FROM versions WHERE model_id = ?1 AND version = ?2 RETURNING digest"};
// A blob may back model versions, dataset versions and job checkpoints.
constexpr Query kCountDigest = {
    "count digest references",
    "SELECT (SELECT COUNT(*) FROM versions WHERE digest = ?1)"
    " + (SELECT COUNT(*) FROM dataset_versions WHERE digest = ?1)"
    " + (SELECT COUNT(*) FROM jobs WHERE checkpoint_digest = ?1)"};

constexpr Query kUpsertAlias = {
    "set alias",
    "INSERT INTO aliases(model_id, alias, version) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version"};
constexpr Query kDeleteAlias = {
    "delete alias", "DELETE FROM aliases WHERE model_id = ?1 AND alias = ?2 RETURNING alias"};
constexpr Query kSelectAliases = {
    "list aliases", "SELECT alias, version FROM aliases WHERE model_id = ?1 ORDER BY alias"};
constexpr Query kResolveAlias = {"resolve alias",
                                 "SELECT version FROM aliases WHERE model_id = ?1 AND alias = ?2"};

// ---- Helpers. All run on a connection the caller has locked. ----

absl::Status ModelNotFound(const std::string& name) {
  return absl::NotFoundError(absl::StrCat("model '", name, "' not found"));
}

absl::Status VersionNotFound(const std::string& model, int64_t version) {
  return absl::NotFoundError(
      absl::StrCat("version ", version, " of model '", model, "' not found"));
}

absl::StatusOr<int64_t> FindModelId(Connection& db, const std::string& tenant,
                                    const std::string& name) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kFindModel));
  stmt.BindText(1, tenant).BindText(2, name);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return ModelNotFound(name);
  return stmt.ColumnInt(0);
}

// Fills a ModelRecord from the columns of kSelectModel / kSelectModelPage,
// returning the model's row id.
int64_t ReadModelColumns(const Statement& stmt, const std::string& tenant, ModelRecord& model) {
  model.tenant = tenant;
  model.name = stmt.ColumnText(1);
  model.description = stmt.ColumnText(2);
  model.created_at_ms = stmt.ColumnInt(3);
  model.updated_at_ms = stmt.ColumnInt(4);
  model.visibility = stmt.ColumnText(5);
  return stmt.ColumnInt(0);
}

absl::StatusOr<ModelRecord> ReadModel(Connection& db, const std::string& tenant,
                                      const std::string& name) {
  ModelRecord model;
  int64_t model_id = 0;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectModel));
    stmt.BindText(1, tenant).BindText(2, name);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return ModelNotFound(name);
    model_id = ReadModelColumns(stmt, tenant, model);
  }
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectLabels));
  stmt.BindInt(1, model_id);
  while (true) {
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    model.labels.emplace(stmt.ColumnText(0), stmt.ColumnText(1));
  }
  return model;
}

absl::Status InsertLabels(Connection& db, int64_t model_id,
                          const std::map<std::string, std::string>& labels) {
  for (const auto& [key, value] : labels) {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kInsertLabel));
    AIAAS_RETURN_IF_ERROR(stmt.BindInt(1, model_id).BindText(2, key).BindText(3, value).Run());
  }
  return absl::OkStatus();
}

// Inserts the model row (times as `model` carries them) and its labels under
// tenant row `tenant_id`; returns the new row id.
absl::StatusOr<int64_t> InsertModel(Connection& db, int64_t tenant_id, const ModelRecord& model) {
  int64_t model_id = 0;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kInsertModel));
    stmt.BindInt(1, tenant_id).BindText(2, model.name).BindText(3, model.description);
    stmt.BindInt(4, model.created_at_ms);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::InternalError("sqlite: insert model: no id returned");
    model_id = stmt.ColumnInt(0);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_RETURN_IF_ERROR(InsertLabels(db, model_id, model.labels));
  return model_id;
}

// Page tokens are the hex of the last name returned: opaque to clients, and
// any name round-trips. Only lowercase hex of even length is accepted.
std::string EncodePageToken(const std::string& last_name) {
  return absl::BytesToHexString(last_name);
}

absl::StatusOr<std::string> DecodePageToken(const std::string& token) {
  bool valid = token.size() % 2 == 0;
  for (char c : token) {
    valid = valid && (absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f'));
  }
  if (!valid) return absl::InvalidArgumentError("invalid page token");
  return absl::HexStringToBytes(token);
}

int64_t SystemNowMs() { return absl::ToUnixMillis(absl::Now()); }

}  // namespace

// ---- Lifecycle ----

absl::StatusOr<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::Open(
    const std::string& path) {
  return Open(path, SqliteMetadataStoreOptions());
}

absl::StatusOr<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::Open(
    const std::string& path, SqliteMetadataStoreOptions options) {
  if (!options.now_ms) options.now_ms = SystemNowMs;
  sqlite::ConnectionOptions conn_options;
  conn_options.busy_timeout_ms = options.busy_timeout_ms;
  AIAAS_ASSIGN_OR_RETURN(std::unique_ptr<Connection> db, Connection::Open(path, conn_options));
  AIAAS_RETURN_IF_ERROR(sqlite::MigrateSchema(*db, options.now_ms()));
  return std::unique_ptr<SqliteMetadataStore>(
      new SqliteMetadataStore(std::move(db), std::move(options.now_ms)));
}

SqliteMetadataStore::SqliteMetadataStore(std::unique_ptr<Connection> db,
                                         std::function<int64_t()> now_ms)
    : now_ms_(std::move(now_ms)), db_(std::move(db)) {}

SqliteMetadataStore::~SqliteMetadataStore() = default;

// ---- Models ----

absl::StatusOr<ModelRecord> SqliteMetadataStore::CreateModel(const ModelRecord& model) {
  return CreateModelChecked(model, nullptr);
}

absl::StatusOr<ModelRecord> SqliteMetadataStore::CreateModelChecked(
    const ModelRecord& model, const QuotaLimits* quota_defaults) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(int64_t tenant_id, sqlite::FindTenantRowId(db, model.tenant));
  if (absl::StatusOr<int64_t> existing = FindModelId(db, model.tenant, model.name); existing.ok()) {
    return absl::AlreadyExistsError(absl::StrCat("model '", model.name, "' already exists"));
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  if (quota_defaults != nullptr) {
    AIAAS_RETURN_IF_ERROR(sqlite::CheckModelQuota(db, tenant_id, model.tenant, *quota_defaults));
  }
  ModelRecord created = model;
  created.created_at_ms = created.updated_at_ms = now_ms_();
  AIAAS_RETURN_IF_ERROR(InsertModel(db, tenant_id, created).status());
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return created;
}

absl::StatusOr<ModelRecord> SqliteMetadataStore::GetModel(const std::string& tenant,
                                                          const std::string& name) {
  absl::MutexLock lock(&mu_);
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_, TxnMode::kDeferred));
  AIAAS_ASSIGN_OR_RETURN(ModelRecord model, ReadModel(*db_, tenant, name));
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return model;
}

absl::StatusOr<Page<ModelRecord>> SqliteMetadataStore::ListModels(const std::string& tenant,
                                                                  int page_size,
                                                                  const std::string& page_token) {
  if (page_size < 1 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be in [1, ", kMaxPageSize, "], got ", page_size));
  }
  std::optional<std::string> after;
  if (!page_token.empty()) {
    AIAAS_ASSIGN_OR_RETURN(after, DecodePageToken(page_token));
  }

  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  Page<ModelRecord> page;
  std::map<int64_t, size_t> index_by_id;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectModelPage));
    // One row more than asked tells whether another page follows.
    stmt.BindText(1, tenant).BindNullableText(2, after);
    stmt.BindInt(3, static_cast<int64_t>(page_size) + 1);
    while (true) {
      AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      if (page.items.size() == static_cast<size_t>(page_size)) {
        page.next_page_token = EncodePageToken(page.items.back().name);
        break;
      }
      ModelRecord& model = page.items.emplace_back();
      index_by_id[ReadModelColumns(stmt, tenant, model)] = page.items.size() - 1;
    }
  }
  if (!page.items.empty()) {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectPageLabels));
    stmt.BindText(1, tenant).BindNullableText(2, after).BindText(3, page.items.back().name);
    while (true) {
      AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      auto it = index_by_id.find(stmt.ColumnInt(0));
      if (it == index_by_id.end()) continue;  // defensive: one snapshot sees no new models
      page.items[it->second].labels.emplace(stmt.ColumnText(1), stmt.ColumnText(2));
    }
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return page;
}

absl::StatusOr<ModelRecord> SqliteMetadataStore::UpdateModel(const std::string& tenant,
                                                             const std::string& name,
                                                             const ModelUpdate& update) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, name));
  if (update.description.has_value()) {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kUpdateDescription));
    AIAAS_RETURN_IF_ERROR(stmt.BindInt(1, model_id).BindText(2, *update.description).Run());
  }
  if (update.labels.has_value()) {
    {
      AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kDeleteLabels));
      AIAAS_RETURN_IF_ERROR(stmt.BindInt(1, model_id).Run());
    }
    AIAAS_RETURN_IF_ERROR(InsertLabels(db, model_id, *update.labels));
  }
  if (update.description.has_value() || update.labels.has_value()) {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kTouchModel));
    AIAAS_RETURN_IF_ERROR(stmt.BindInt(1, model_id).BindInt(2, now_ms_()).Run());
  }
  AIAAS_ASSIGN_OR_RETURN(ModelRecord model, ReadModel(db, tenant, name));
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return model;
}

absl::StatusOr<std::vector<std::string>> SqliteMetadataStore::DeleteModel(const std::string& tenant,
                                                                          const std::string& name) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, name));
  std::vector<std::string> digests;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kModelDigests));
    stmt.BindInt(1, model_id);
    while (true) {
      AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      digests.push_back(stmt.ColumnText(0));
    }
  }
  {
    // Labels, versions, their tensors and serving configs, and aliases go by
    // ON DELETE CASCADE.
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kDeleteModel));
    AIAAS_RETURN_IF_ERROR(stmt.BindInt(1, model_id).Run());
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return digests;
}

// ---- Versions ----

absl::StatusOr<VersionRecord> SqliteMetadataStore::CreateVersion(const VersionRecord& version) {
  return CreateVersionChecked(version, nullptr, MissingModel::kNotFound);
}

absl::StatusOr<VersionRecord> SqliteMetadataStore::CreateVersionChecked(
    const VersionRecord& version, const QuotaLimits* quota_defaults, MissingModel missing) {
  AIAAS_RETURN_IF_ERROR(sqlite::CheckStorable(version.config));
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  const int64_t now_ms = now_ms_();
  absl::StatusOr<int64_t> model_id = FindModelId(db, version.tenant, version.model);
  if (absl::IsNotFound(model_id.status()) && missing == MissingModel::kCreate) {
    AIAAS_ASSIGN_OR_RETURN(int64_t tenant_id, sqlite::FindTenantRowId(db, version.tenant));
    if (quota_defaults != nullptr) {
      AIAAS_RETURN_IF_ERROR(
          sqlite::CheckModelQuota(db, tenant_id, version.tenant, *quota_defaults));
    }
    ModelRecord model;
    model.name = version.model;
    model.created_at_ms = model.updated_at_ms = now_ms;
    model_id = InsertModel(db, tenant_id, model);
  }
  if (!model_id.ok()) return model_id.status();
  if (quota_defaults != nullptr) {
    // Inside the transaction that inserts the row: concurrent pushes see each other's bytes.
    AIAAS_ASSIGN_OR_RETURN(int64_t tenant_id, sqlite::FindTenantRowId(db, version.tenant));
    AIAAS_RETURN_IF_ERROR(sqlite::CheckStoredBytesQuota(db, tenant_id, version.tenant,
                                                        version.size_bytes, *quota_defaults));
  }
  VersionRecord created = version;
  created.created_at_ms = now_ms;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kNextVersion));
    stmt.BindInt(1, *model_id);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return absl::InternalError("sqlite: assign version number: model row vanished");
    created.version = stmt.ColumnInt(0);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_RETURN_IF_ERROR(sqlite::InsertVersion(db, *model_id, created).status());
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return created;
}

absl::StatusOr<VersionRecord> SqliteMetadataStore::GetVersion(const std::string& tenant,
                                                              const std::string& model,
                                                              int64_t version) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, model));
  AIAAS_ASSIGN_OR_RETURN(std::optional<VersionRecord> found,
                         sqlite::ReadVersion(db, ModelRef{model_id, tenant, model}, version));
  if (!found.has_value()) return VersionNotFound(model, version);
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return *std::move(found);
}

absl::StatusOr<VersionRecord> SqliteMetadataStore::GetLatestVersion(const std::string& tenant,
                                                                    const std::string& model) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, model));
  AIAAS_ASSIGN_OR_RETURN(std::optional<VersionRecord> found,
                         sqlite::ReadLatestVersion(db, ModelRef{model_id, tenant, model}));
  if (!found.has_value()) {
    return absl::NotFoundError(absl::StrCat("model '", model, "' has no versions"));
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return *std::move(found);
}

absl::StatusOr<std::vector<VersionRecord>> SqliteMetadataStore::ListVersions(
    const std::string& tenant, const std::string& model) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, model));
  AIAAS_ASSIGN_OR_RETURN(std::vector<VersionRecord> found,
                         sqlite::ReadAllVersions(db, ModelRef{model_id, tenant, model}));
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return found;
}

absl::StatusOr<VersionRecord> SqliteMetadataStore::UpdateServingConfig(
    const std::string& tenant, const std::string& model, int64_t version,
    const ServingConfig& config) {
  AIAAS_RETURN_IF_ERROR(sqlite::CheckStorable(config));
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, model));
  AIAAS_ASSIGN_OR_RETURN(std::optional<int64_t> version_id,
                         sqlite::FindVersionId(db, model_id, version));
  if (!version_id.has_value()) return VersionNotFound(model, version);
  AIAAS_RETURN_IF_ERROR(sqlite::WriteServingConfig(db, *version_id, config));
  AIAAS_ASSIGN_OR_RETURN(std::optional<VersionRecord> updated,
                         sqlite::ReadVersion(db, ModelRef{model_id, tenant, model}, version));
  if (!updated.has_value()) {
    return absl::InternalError("sqlite: update serving config: version row vanished");
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return *std::move(updated);
}

absl::StatusOr<std::string> SqliteMetadataStore::DeleteVersion(const std::string& tenant,
                                                               const std::string& model,
                                                               int64_t version) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, model));
  std::string digest;
  {
    // Aliases pointing at the version, its tensors and its serving config go
    // by ON DELETE CASCADE.
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kDeleteVersion));
    stmt.BindInt(1, model_id).BindInt(2, version);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return VersionNotFound(model, version);
    digest = stmt.ColumnText(0);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return digest;
}

// ---- Aliases ----

absl::Status SqliteMetadataStore::SetAlias(const std::string& tenant, const std::string& model,
                                           const std::string& alias, int64_t version) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, model));
  {
    AIAAS_ASSIGN_OR_RETURN(std::optional<int64_t> version_id,
                           sqlite::FindVersionId(db, model_id, version));
    if (!version_id.has_value()) return VersionNotFound(model, version);
  }
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kUpsertAlias));
    AIAAS_RETURN_IF_ERROR(stmt.BindInt(1, model_id).BindText(2, alias).BindInt(3, version).Run());
  }
  return txn.Commit();
}

absl::Status SqliteMetadataStore::DeleteAlias(const std::string& tenant, const std::string& model,
                                              const std::string& alias) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, model));
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kDeleteAlias));
    stmt.BindInt(1, model_id).BindText(2, alias);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(
          absl::StrCat("alias '", alias, "' of model '", model, "' not found"));
    }
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  return txn.Commit();
}

absl::StatusOr<std::vector<AliasRecord>> SqliteMetadataStore::ListAliases(
    const std::string& tenant, const std::string& model) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, model));
  std::vector<AliasRecord> aliases;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectAliases));
    stmt.BindInt(1, model_id);
    while (true) {
      AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      aliases.push_back(AliasRecord{stmt.ColumnText(0), stmt.ColumnInt(1)});
    }
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return aliases;
}

absl::StatusOr<int64_t> SqliteMetadataStore::ResolveAlias(const std::string& tenant,
                                                          const std::string& model,
                                                          const std::string& alias) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  AIAAS_ASSIGN_OR_RETURN(int64_t model_id, FindModelId(db, tenant, model));
  int64_t version = 0;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kResolveAlias));
    stmt.BindInt(1, model_id).BindText(2, alias);
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return absl::NotFoundError(
          absl::StrCat("alias '", alias, "' of model '", model, "' not found"));
    }
    version = stmt.ColumnInt(0);
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return version;
}

absl::StatusOr<int64_t> SqliteMetadataStore::CountDigestReferences(const std::string& digest) {
  absl::MutexLock lock(&mu_);
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(kCountDigest));
  stmt.BindText(1, digest);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::InternalError("sqlite: count digest references: no result row");
  return stmt.ColumnInt(0);
}

}  // namespace aiaas::storage
