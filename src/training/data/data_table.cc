#include "training/data/data_table.h"

#include <algorithm>

namespace aiaas::training {

std::string_view ColumnKindName(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kNumeric:
      return "numeric";
    case ColumnKind::kCategorical:
      return "categorical";
  }
  return "unknown";
}

size_t Column::MissingCount() const {
  return static_cast<size_t>(
      std::count_if(missing.begin(), missing.end(), [](uint8_t m) { return m != 0; }));
}

const Column* DataTable::Find(std::string_view name) const {
  for (const Column& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

Column* DataTable::Find(std::string_view name) {
  for (Column& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

std::vector<std::string> DataTable::ColumnNames() const {
  std::vector<std::string> names;
  names.reserve(columns.size());
  for (const Column& column : columns) names.push_back(column.name);
  return names;
}

}  // namespace aiaas::training
