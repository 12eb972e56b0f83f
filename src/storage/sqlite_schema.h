#ifndef AIAAS_STORAGE_SQLITE_SCHEMA_H_
#define AIAAS_STORAGE_SQLITE_SCHEMA_H_

// Versioned schema of the SQLite metadata database, private to storage/.
//
// The schema is an ordered list of migration steps. `schema_migrations` holds
// one row per applied step; each step runs in its own IMMEDIATE transaction
// together with its bookkeeping row, so a crash leaves the database at a step
// boundary and several processes opening the same file apply each step once.
// To change the schema, append a step in sqlite_schema.cc; never edit one that
// has shipped.

#include <cstdint>

#include "absl/status/status.h"
#include "storage/sqlite_connection.h"

namespace aiaas::storage::sqlite {

// The schema version this build creates and understands.
int64_t LatestSchemaVersion();

// Applies the missing migration steps. FailedPrecondition if the database was
// written by a newer build (its schema version is above LatestSchemaVersion());
// Internal/Unavailable on database errors. `now_ms` stamps the applied steps.
[[nodiscard]] absl::Status MigrateSchema(Connection& conn, int64_t now_ms);

// Like MigrateSchema, but stops after step `target_version` (steps above it
// are left for a later call). Lets a test build a database as an older build
// left it and check that the next step upgrades it.
[[nodiscard]] absl::Status MigrateSchemaTo(Connection& conn, int64_t target_version,
                                           int64_t now_ms);

}  // namespace aiaas::storage::sqlite

#endif  // AIAAS_STORAGE_SQLITE_SCHEMA_H_
