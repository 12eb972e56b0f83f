#include "storage/sqlite_schema.h"

#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace aiaas::storage::sqlite {
namespace {

struct Migration {
  int64_t version;
  const char* sql;
};

// Ordered, append-only. Every row belonging to a tenant carries it directly
// (models, principals, api_keys: tenant_id) or through its model (labels,
// versions, tensors, serving configs, aliases, grants), and all of those
// cascade when their model is deleted.
constexpr std::array<Migration, 6> kMigrations = {{
    {1, R"sql(
CREATE TABLE tenants (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  created_at_ms INTEGER NOT NULL
);
INSERT INTO tenants(name, created_at_ms)
  VALUES ('default', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));

CREATE TABLE models (
  id            INTEGER PRIMARY KEY,
  tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
  name          TEXT NOT NULL,
  description   TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  -- The number the next version gets: max ever assigned + 1, never reused.
  next_version  INTEGER NOT NULL DEFAULT 1 CHECK (next_version >= 1),
  UNIQUE (tenant_id, name)
);

CREATE TABLE model_labels (
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  key      TEXT NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (model_id, key)
) WITHOUT ROWID;

CREATE TABLE versions (
  id            INTEGER PRIMARY KEY,
  model_id      INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  version       INTEGER NOT NULL CHECK (version >= 1),
  format        TEXT NOT NULL,
  digest        TEXT NOT NULL,
  size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
  description   TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL,
  UNIQUE (model_id, version)
);
CREATE INDEX versions_by_digest ON versions(digest);

-- dtype NULL: any type. shape NULL: any rank; '' is a scalar; '1,-1,784'
-- lists the dims with -1 for a dynamic one.
CREATE TABLE version_tensors (
  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  io         TEXT NOT NULL CHECK (io IN ('input', 'output')),
  position   INTEGER NOT NULL CHECK (position >= 0),
  name       TEXT NOT NULL,
  dtype      TEXT,
  shape      TEXT,
  PRIMARY KEY (version_id, io, position)
) WITHOUT ROWID;

-- The composite foreign key removes an alias together with its version.
CREATE TABLE aliases (
  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  alias    TEXT NOT NULL,
  version  INTEGER NOT NULL,
  PRIMARY KEY (model_id, alias),
  FOREIGN KEY (model_id, version) REFERENCES versions(model_id, version) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX aliases_by_version ON aliases(model_id, version);
)sql"},
    {2, R"sql(
-- One row per version, written by CreateVersion and UpdateServingConfig.
-- Versions created before this step have no row and read as the defaults.
-- The checks are what storage needs to hold the values; serving limits
-- (largest batch, most instances, ...) are validated by the API layer so that
-- they can change without a migration. preferred_batch_sizes lists positive
-- sizes joined by ',' such as '1,2,4'; '' for none.
CREATE TABLE version_serving_configs (
  version_id            INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
  max_batch_size        INTEGER NOT NULL CHECK (max_batch_size >= 0),
  max_queue_delay_us    INTEGER NOT NULL CHECK (max_queue_delay_us >= 0),
  preferred_batch_sizes TEXT NOT NULL DEFAULT ''
    CHECK (preferred_batch_sizes NOT GLOB '*[^0-9,]*'),
  instance_count        INTEGER NOT NULL CHECK (instance_count >= 1),
  max_queue_size        INTEGER NOT NULL CHECK (max_queue_size >= 1),
  default_timeout_ms    INTEGER NOT NULL CHECK (default_timeout_ms >= 1),
  warmup                INTEGER NOT NULL CHECK (warmup IN (0, 1)),
  pinned                INTEGER NOT NULL CHECK (pinned IN (0, 1))
);
)sql"},
    {3, R"sql(
-- Identity and sharing (AuthStore). Roles, permissions and rates are stored as
-- given; the checks below only keep values the readers understand.
CREATE TABLE principals (
  id            INTEGER PRIMARY KEY,
  tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
  name          TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('user', 'service')),
  created_at_ms INTEGER NOT NULL,
  UNIQUE (tenant_id, name)
);

-- Keys are revoked, never deleted, so an id is never reused. Deleting a
-- principal revokes its keys first (DeletePrincipal), then SET NULL detaches
-- them. The principal of a key lies in the key's tenant (checked on insert).
-- rate_limit_rps: NULL for the default; stored as REAL (the check). Non-finite
-- rates are refused before the insert (NaN would bind as NULL).
CREATE TABLE api_keys (
  id             TEXT NOT NULL PRIMARY KEY,
  secret_hash    TEXT NOT NULL,
  tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
  principal_id   INTEGER REFERENCES principals(id) ON DELETE SET NULL,
  name           TEXT NOT NULL DEFAULT '',
  role           TEXT NOT NULL,
  server_admin   INTEGER NOT NULL DEFAULT 0 CHECK (server_admin IN (0, 1)),
  rate_limit_rps REAL CHECK (rate_limit_rps IS NULL OR typeof(rate_limit_rps) = 'real'),
  created_at_ms  INTEGER NOT NULL,
  expires_at_ms  INTEGER,
  revoked_at_ms  INTEGER
);
CREATE INDEX api_keys_by_tenant ON api_keys(tenant_id, created_at_ms);
CREATE INDEX api_keys_by_principal ON api_keys(principal_id);

-- A key's narrowing lists, in the order given (duplicates kept). No rows: the
-- key is not narrowed.
CREATE TABLE api_key_models (
  key_id   TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  position INTEGER NOT NULL CHECK (position >= 0),
  model    TEXT NOT NULL,
  PRIMARY KEY (key_id, position)
) WITHOUT ROWID;
CREATE TABLE api_key_actions (
  key_id   TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
  position INTEGER NOT NULL CHECK (position >= 0),
  action   TEXT NOT NULL,
  PRIMARY KEY (key_id, position)
) WITHOUT ROWID;

-- A model shared with another tenant; goes with the model, and with the
-- grantee tenant.
CREATE TABLE grants (
  model_id          INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  grantee_tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  permission        TEXT NOT NULL CHECK (permission IN ('read', 'infer')),
  created_at_ms     INTEGER NOT NULL,
  PRIMARY KEY (model_id, grantee_tenant_id)
) WITHOUT ROWID;
CREATE INDEX grants_by_grantee ON grants(grantee_tenant_id);

-- Existing models become private.
ALTER TABLE models ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private'
  CHECK (visibility IN ('private', 'public'));
)sql"},
    {4, R"sql(
-- The audit log: append-only (the triggers refuse UPDATE and DELETE). The
-- tenant is kept by name, not by reference, so events outlive what they name.
-- Never a key, an Authorization header or a payload: only the key's public
-- prefix (its id).
CREATE TABLE audit_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms    INTEGER NOT NULL,
  request_id TEXT NOT NULL DEFAULT '',
  tenant     TEXT NOT NULL DEFAULT '',
  key_prefix TEXT NOT NULL DEFAULT '',
  source     TEXT NOT NULL DEFAULT '',
  action     TEXT NOT NULL,
  resource   TEXT NOT NULL DEFAULT '',
  result     TEXT NOT NULL,
  detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_by_tenant ON audit_events(tenant, id);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
)sql"},
    {5, R"sql(
-- Per-tenant quota overrides; a NULL column (or no row) means the server's
-- default from its flags. Goes with the tenant.
CREATE TABLE tenant_quotas (
  tenant_id           INTEGER PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
  max_models          INTEGER CHECK (max_models IS NULL OR max_models >= 0),
  max_stored_bytes    INTEGER CHECK (max_stored_bytes IS NULL OR max_stored_bytes >= 0),
  max_concurrent_jobs INTEGER CHECK (max_concurrent_jobs IS NULL OR max_concurrent_jobs >= 0)
);
)sql"},
    {6, R"sql(
-- Training (issue 5). A version's metrics and lineage (the dataset version and
-- job that produced it) as JSON objects; '{}' when there are none.
ALTER TABLE versions ADD COLUMN metrics_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE versions ADD COLUMN lineage_json TEXT NOT NULL DEFAULT '{}';

-- Datasets: a name inside a tenant with immutable, numbered versions whose
-- bytes are a content-addressed blob (as model versions). Numbers are never
-- reused (next_version).
CREATE TABLE datasets (
  id            INTEGER PRIMARY KEY,
  tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
  name          TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  next_version  INTEGER NOT NULL DEFAULT 1 CHECK (next_version >= 1),
  UNIQUE (tenant_id, name)
);
CREATE TABLE dataset_versions (
  id            INTEGER PRIMARY KEY,
  dataset_id    INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  version       INTEGER NOT NULL CHECK (version >= 1),
  format        TEXT NOT NULL CHECK (format IN ('csv', 'npy', 'npz')),
  digest        TEXT NOT NULL,
  size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
  row_count     INTEGER NOT NULL CHECK (row_count >= 0),
  schema_json   TEXT NOT NULL,
  created_by    TEXT NOT NULL DEFAULT '',
  created_at_ms INTEGER NOT NULL,
  UNIQUE (dataset_id, version)
);
CREATE INDEX dataset_versions_by_digest ON dataset_versions(digest);

-- Jobs: durable records of long work. The id is generated by the server.
-- cancel_requested is set while running; the worker stops within a step.
-- checkpoint_digest names the blob of the last epoch's checkpoint ('' none).
CREATE TABLE jobs (
  id                TEXT NOT NULL PRIMARY KEY,
  tenant_id         INTEGER NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT,
  type              TEXT NOT NULL,
  spec_json         TEXT NOT NULL,
  state             TEXT NOT NULL
    CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  cancel_requested  INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
  progress_json     TEXT NOT NULL DEFAULT '{}',
  history_json      TEXT NOT NULL DEFAULT '[]',
  metrics_json      TEXT NOT NULL DEFAULT '{}',
  error             TEXT NOT NULL DEFAULT '',
  checkpoint_digest TEXT NOT NULL DEFAULT '',
  output_model      TEXT NOT NULL DEFAULT '',
  output_version    INTEGER,
  attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  created_by        TEXT NOT NULL DEFAULT '',
  created_at_ms     INTEGER NOT NULL,
  started_at_ms     INTEGER,
  finished_at_ms    INTEGER,
  updated_at_ms     INTEGER NOT NULL
);
CREATE INDEX jobs_by_tenant ON jobs(tenant_id, created_at_ms);
CREATE INDEX jobs_by_state ON jobs(state, created_at_ms);
CREATE INDEX jobs_by_checkpoint ON jobs(checkpoint_digest);
)sql"},
}};

constexpr Query kCurrentVersion = {"read schema version",
                                   "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"};
constexpr Query kRecordMigration = {
    "record migration", "INSERT INTO schema_migrations(version, applied_at_ms) VALUES (?, ?)"};

absl::StatusOr<int64_t> CurrentVersion(Connection& conn) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kCurrentVersion));
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return absl::InternalError("sqlite: read schema version: no result row");
  return stmt.ColumnInt(0);
}

}  // namespace

int64_t LatestSchemaVersion() { return kMigrations.back().version; }

absl::Status MigrateSchema(Connection& conn, int64_t now_ms) {
  return MigrateSchemaTo(conn, LatestSchemaVersion(), now_ms);
}

absl::Status MigrateSchemaTo(Connection& conn, int64_t target_version, int64_t now_ms) {
  AIAAS_RETURN_IF_ERROR(
      conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                "  version       INTEGER PRIMARY KEY,"
                "  applied_at_ms INTEGER NOT NULL)",
                "create schema_migrations"));
  for (const Migration& migration : kMigrations) {
    AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, TxnMode::kImmediate));
    AIAAS_ASSIGN_OR_RETURN(int64_t current, CurrentVersion(conn));
    if (current > LatestSchemaVersion()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "metadata database schema version ", current, " is newer than this build supports (",
          LatestSchemaVersion(), "); run a newer aiaas or restore a backup"));
    }
    if (current >= migration.version) continue;  // already applied; txn rolls back
    if (migration.version > target_version) break;
    AIAAS_RETURN_IF_ERROR(
        conn.Exec(migration.sql, absl::StrCat("apply schema migration ", migration.version)));
    {
      AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kRecordMigration));
      AIAAS_RETURN_IF_ERROR(stmt.BindInt(1, migration.version).BindInt(2, now_ms).Run());
    }
    AIAAS_RETURN_IF_ERROR(txn.Commit());
  }
  return absl::OkStatus();
}

}  // namespace aiaas::storage::sqlite
