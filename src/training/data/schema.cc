#include "training/data/schema.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace aiaas::training {
namespace {

void DescribeNumeric(const Column& column, ColumnSchema& out) {
  size_t n = 0;
  double mean = 0;
  double m2 = 0;  // Welford: sum of squared deviations from the running mean
  double lo = 0;
  double hi = 0;
  for (size_t r = 0; r < column.size(); ++r) {
    if (column.IsMissing(r)) continue;
    const double x = column.numbers[r];
    if (n == 0) {
      lo = hi = x;
    } else {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
    ++n;
    const double delta = x - mean;
    mean += delta / static_cast<double>(n);
    m2 += delta * (x - mean);
  }
  if (n == 0) return;
  out.min = lo;
  out.max = hi;
  out.mean = mean;
  out.stddev = n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1)) : 0.0;
}

void DescribeCategorical(const Column& column, ColumnSchema& out) {
  absl::flat_hash_map<std::string_view, size_t> counts;
  for (size_t r = 0; r < column.size(); ++r) {
    if (!column.IsMissing(r)) ++counts[column.strings[r]];
  }
  out.distinct_count = counts.size();
  std::vector<std::pair<std::string_view, size_t>> sorted(counts.begin(), counts.end());
  const size_t top = std::min(kMaxTopValues, sorted.size());
  const auto by_count = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  std::partial_sort(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(top), sorted.end(),
                    by_count);
  out.top_values.reserve(top);
  for (size_t i = 0; i < top; ++i) {
    out.top_values.push_back({std::string(sorted[i].first), sorted[i].second});
  }
}

nlohmann::json OptionalNumber(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

const ColumnSchema* DatasetSchema::Find(std::string_view name) const {
  for (const ColumnSchema& column : columns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

DatasetSchema InferSchema(const DataTable& table) {
  DatasetSchema schema;
  schema.rows = table.rows;
  schema.columns.reserve(table.columns.size());
  for (const Column& column : table.columns) {
    ColumnSchema out;
    out.name = column.name;
    out.kind = column.kind;
    out.missing_count = column.MissingCount();
    if (column.kind == ColumnKind::kNumeric) {
      DescribeNumeric(column, out);
    } else {
      DescribeCategorical(column, out);
    }
    schema.columns.push_back(std::move(out));
  }
  return schema;
}

nlohmann::json SchemaToJson(const DatasetSchema& schema) {
  nlohmann::json columns = nlohmann::json::array();
  for (const ColumnSchema& column : schema.columns) {
    nlohmann::json entry = {{"name", column.name},
                            {"kind", std::string(ColumnKindName(column.kind))},
                            {"missing", column.missing_count}};
    if (column.kind == ColumnKind::kNumeric) {
      entry["min"] = OptionalNumber(column.min);
      entry["max"] = OptionalNumber(column.max);
      entry["mean"] = OptionalNumber(column.mean);
      entry["std"] = OptionalNumber(column.stddev);
    } else {
      entry["distinct"] = column.distinct_count;
      nlohmann::json top = nlohmann::json::array();
      for (const CategoryCount& value : column.top_values) {
        top.push_back({{"value", value.value}, {"count", value.count}});
      }
      entry["top"] = std::move(top);
    }
    columns.push_back(std::move(entry));
  }
  return {{"rows", schema.rows}, {"columns", std::move(columns)}};
}

nlohmann::ordered_json PreviewRows(const DataTable& table, size_t rows) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  const size_t n = std::min(rows, table.rows);
  for (size_t r = 0; r < n; ++r) {
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (const Column& column : table.columns) {
      if (column.IsMissing(r)) {
        row[column.name] = nullptr;
      } else if (column.kind == ColumnKind::kNumeric) {
        row[column.name] = column.numbers[r];
      } else {
        row[column.name] = column.strings[r];
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace aiaas::training
