// Small DataTables for the preprocess tests.
#ifndef AIAAS_TRAINING_PREPROCESS_PREPROCESS_TEST_UTIL_H_
#define AIAAS_TRAINING_PREPROCESS_PREPROCESS_TEST_UTIL_H_

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "training/data/data_table.h"

namespace aiaas::training::test_tables {

// A numeric column; NaN cells are missing.
inline Column Numbers(std::string name, std::vector<double> values) {
  Column column;
  column.name = std::move(name);
  column.kind = ColumnKind::kNumeric;
  for (double value : values) column.missing.push_back(std::isnan(value) ? 1 : 0);
  column.numbers = std::move(values);
  return column;
}

// A categorical column; empty cells are missing.
inline Column Strings(std::string name, std::vector<std::string> values) {
  Column column;
  column.name = std::move(name);
  column.kind = ColumnKind::kCategorical;
  for (const std::string& value : values) column.missing.push_back(value.empty() ? 1 : 0);
  column.strings = std::move(values);
  return column;
}

inline DataTable Table(std::vector<Column> columns) {
  DataTable table;
  table.rows = columns.empty() ? 0 : columns.front().size();
  table.columns = std::move(columns);
  return table;
}

inline std::vector<size_t> Range(size_t begin, size_t end) {
  std::vector<size_t> rows;
  for (size_t row = begin; row < end; ++row) rows.push_back(row);
  return rows;
}

}  // namespace aiaas::training::test_tables

#endif  // AIAAS_TRAINING_PREPROCESS_PREPROCESS_TEST_UTIL_H_
