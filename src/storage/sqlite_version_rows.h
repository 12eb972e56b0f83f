#ifndef AIAAS_STORAGE_SQLITE_VERSION_ROWS_H_
#define AIAAS_STORAGE_SQLITE_VERSION_ROWS_H_

// A VersionRecord as rows, private to storage/: its `versions` row plus the
// rows of its signature (sqlite_signature_rows.h) and serving config
// (sqlite_serving_config_rows.h). Every function runs on a connection the
// caller has locked, inside a transaction the caller owns.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/metadata_store.h"
#include "storage/sqlite_connection.h"

namespace aiaas::storage::sqlite {

// The model whose versions are read: its row id, found in the same
// transaction, and the names copied into each record. Borrows the names.
struct ModelRef {
  int64_t id;
  const std::string& tenant;
  const std::string& name;
};

// Inserts `version` under model row `model_id` with the number and
// created_at_ms it carries, together with its signature and serving config.
// Returns the new version row id. Call inside a write transaction; the config
// must pass CheckStorable.
[[nodiscard]] absl::StatusOr<int64_t> InsertVersion(Connection& conn, int64_t model_id,
                                                    const VersionRecord& version);

// The row id of version number `version` of model row `model_id`; nullopt if
// there is no such version.
[[nodiscard]] absl::StatusOr<std::optional<int64_t>> FindVersionId(Connection& conn,
                                                                   int64_t model_id,
                                                                   int64_t version);

// Version number `version` of the model, complete; nullopt if none.
[[nodiscard]] absl::StatusOr<std::optional<VersionRecord>> ReadVersion(Connection& conn,
                                                                       const ModelRef& model,
                                                                       int64_t version);

// The model's highest-numbered version, complete; nullopt if it has none.
[[nodiscard]] absl::StatusOr<std::optional<VersionRecord>> ReadLatestVersion(Connection& conn,
                                                                             const ModelRef& model);

// Every version of the model, complete, ascending by number.
[[nodiscard]] absl::StatusOr<std::vector<VersionRecord>> ReadAllVersions(Connection& conn,
                                                                         const ModelRef& model);

}  // namespace aiaas::storage::sqlite

#endif  // AIAAS_STORAGE_SQLITE_VERSION_ROWS_H_
