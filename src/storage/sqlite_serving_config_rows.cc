#include "storage/sqlite_serving_config_rows.h"

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace aiaas::storage::sqlite {
namespace {

constexpr Query kUpsertConfig = {
    "write serving config",
    "INSERT INTO version_serving_configs(version_id, max_batch_size, max_queue_delay_us,"
    " preferred_batch_sizes, instance_count, max_queue_size, default_timeout_ms, warmup, pinned)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    " ON CONFLICT (version_id) DO UPDATE SET max_batch_size = excluded.max_batch_size,"
    " max_queue_delay_us = excluded.max_queue_delay_us,"
    " preferred_batch_sizes = excluded.preferred_batch_sizes,"
    " instance_count = excluded.instance_count, max_queue_size = excluded.max_queue_size,"
    " default_timeout_ms = excluded.default_timeout_ms, warmup = excluded.warmup,"
    " pinned = excluded.pinned"};
constexpr Query kSelectConfig = {
    "read serving config",
    "SELECT max_batch_size, max_queue_delay_us, preferred_batch_sizes, instance_count,"
    " max_queue_size, default_timeout_ms, warmup, pinned"
    " FROM version_serving_configs WHERE version_id = ?1"};

absl::Status NotStorable(absl::string_view field, absl::string_view bound, int64_t value) {
  return absl::InvalidArgumentError(
      absl::StrCat("serving config: ", field, " must be ", bound, ", got ", value));
}

absl::Status Corrupt(absl::string_view column, absl::string_view value) {
  return absl::InternalError(
      absl::StrCat("sqlite: corrupt serving config ", column, " '", value, "'"));
}

// An INTEGER column that the struct holds as `int`; Internal if it does not fit
// (only a hand-edited database can get there: writes come from `int`s).
absl::StatusOr<int> ColumnNarrowInt(const Statement& stmt, int index, absl::string_view column) {
  const int64_t value = stmt.ColumnInt(index);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    return Corrupt(column, absl::StrCat(value));
  }
  return static_cast<int>(value);
}

absl::StatusOr<std::vector<int>> DecodeSizes(const std::string& text) {
  std::vector<int> sizes;
  if (text.empty()) return sizes;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int size = 0;
    if (!absl::SimpleAtoi(part, &size) || size < 1) {
      return Corrupt("preferred_batch_sizes", text);
    }
    sizes.push_back(size);
  }
  return sizes;
}

}  // namespace

absl::Status CheckStorable(const ServingConfig& config) {
  if (config.max_batch_size < 0) {
    return NotStorable("max_batch_size", ">= 0", config.max_batch_size);
  }
  if (config.max_queue_delay_us < 0) {
    return NotStorable("max_queue_delay_us", ">= 0", config.max_queue_delay_us);
  }
  for (int size : config.preferred_batch_sizes) {
    if (size < 1) return NotStorable("preferred_batch_sizes entry", ">= 1", size);
  }
  if (config.instance_count < 1) {
    return NotStorable("instance_count", ">= 1", config.instance_count);
  }
  if (config.max_queue_size < 1) {
    return NotStorable("max_queue_size", ">= 1", config.max_queue_size);
  }
  if (config.default_timeout_ms < 1) {
    return NotStorable("default_timeout_ms", ">= 1", config.default_timeout_ms);
  }
  return absl::OkStatus();
}

absl::Status WriteServingConfig(Connection& conn, int64_t version_id, const ServingConfig& config) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kUpsertConfig));
  stmt.BindInt(1, version_id).BindInt(2, config.max_batch_size);
  stmt.BindInt(3, config.max_queue_delay_us);
  stmt.BindText(4, absl::StrJoin(config.preferred_batch_sizes, ","));
  stmt.BindInt(5, config.instance_count).BindInt(6, config.max_queue_size);
  stmt.BindInt(7, config.default_timeout_ms);
  stmt.BindInt(8, config.warmup ? 1 : 0).BindInt(9, config.pinned ? 1 : 0);
  return stmt.Run();
}

absl::StatusOr<ServingConfig> ReadServingConfig(Connection& conn, int64_t version_id) {
  ServingConfig config;
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kSelectConfig));
  stmt.BindInt(1, version_id);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return config;  // stored before serving configs existed
  AIAAS_ASSIGN_OR_RETURN(config.max_batch_size, ColumnNarrowInt(stmt, 0, "max_batch_size"));
  config.max_queue_delay_us = stmt.ColumnInt(1);
  AIAAS_ASSIGN_OR_RETURN(config.preferred_batch_sizes, DecodeSizes(stmt.ColumnText(2)));
  AIAAS_ASSIGN_OR_RETURN(config.instance_count, ColumnNarrowInt(stmt, 3, "instance_count"));
  AIAAS_ASSIGN_OR_RETURN(config.max_queue_size, ColumnNarrowInt(stmt, 4, "max_queue_size"));
  config.default_timeout_ms = stmt.ColumnInt(5);
  config.warmup = stmt.ColumnInt(6) != 0;
  config.pinned = stmt.ColumnInt(7) != 0;
  return config;
}

}  // namespace aiaas::storage::sqlite
