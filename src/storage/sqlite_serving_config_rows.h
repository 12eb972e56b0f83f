#ifndef AIAAS_STORAGE_SQLITE_SERVING_CONFIG_ROWS_H_
#define AIAAS_STORAGE_SQLITE_SERVING_CONFIG_ROWS_H_

// A version's ServingConfig as one row of the `version_serving_configs` table,
// private to storage/. Booleans are stored as 0/1 and preferred_batch_sizes as
// the sizes joined by ',' ("1,2,4"; "" for none). A version without a row
// (created before schema step 2) has the default ServingConfig.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/serving_config.h"
#include "storage/sqlite_connection.h"

namespace aiaas::storage::sqlite {

// OK if the table's checks accept `config`: max_batch_size and
// max_queue_delay_us >= 0; instance_count, max_queue_size, default_timeout_ms
// and every preferred batch size >= 1. InvalidArgument naming the field
// otherwise. Serving limits beyond these are not checked here.
[[nodiscard]] absl::Status CheckStorable(const ServingConfig& config);

// Inserts or replaces the config row of version row `version_id`. Call inside
// a write transaction, after CheckStorable (a value it rejects fails here as
// an Internal constraint error).
[[nodiscard]] absl::Status WriteServingConfig(Connection& conn, int64_t version_id,
                                              const ServingConfig& config);

// The config of version row `version_id`; ServingConfig{} if it has no row.
// Internal if a stored value cannot be decoded.
[[nodiscard]] absl::StatusOr<ServingConfig> ReadServingConfig(Connection& conn, int64_t version_id);

}  // namespace aiaas::storage::sqlite

#endif  // AIAAS_STORAGE_SQLITE_SERVING_CONFIG_ROWS_H_
