// What a dataset looks like: per-column kind, missing values and summary statistics,
// inferred once when a dataset is uploaded and stored with it; plus the JSON forms the
// dataset API returns (the schema and a preview of the first rows).
#ifndef AIAAS_TRAINING_DATA_SCHEMA_H_
#define AIAAS_TRAINING_DATA_SCHEMA_H_

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "training/data/data_table.h"

namespace aiaas::training {

struct CategoryCount {
  std::string value;
  size_t count = 0;
};

struct ColumnSchema {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
  size_t missing_count = 0;
  // kNumeric, over the present cells; unset when every cell is missing.
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> mean;
  std::optional<double> stddev;  // sample standard deviation (n - 1); 0 for one value
  // kCategorical: distinct present values, and the most frequent ones (at most
  // kMaxTopValues, by count descending, ties by value ascending).
  size_t distinct_count = 0;
  std::vector<CategoryCount> top_values;
};

struct DatasetSchema {
  size_t rows = 0;
  std::vector<ColumnSchema> columns;

  // nullptr when there is no column of that name.
  const ColumnSchema* Find(std::string_view name) const;
};

inline constexpr size_t kMaxTopValues = 20;

// One pass per column. Never fails: every DataTable has a schema.
DatasetSchema InferSchema(const DataTable& table);

// {"rows": N, "columns": [{"name", "kind": "numeric"|"categorical", "missing",
//   numeric: "min", "max", "mean", "std" (null when all missing);
//   categorical: "distinct", "top": [{"value", "count"}]}]}
nlohmann::json SchemaToJson(const DatasetSchema& schema);

// The first min(rows, table.rows) rows as an array of objects keyed by column name, the
// keys in the dataset's column order; numbers as numbers, categories as strings, missing
// cells as null.
nlohmann::ordered_json PreviewRows(const DataTable& table, size_t rows);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_SCHEMA_H_
