// A dataset held in memory as named columns: what the CSV and NumPy readers produce
// and what preprocessing consumes. Torch-free.
#ifndef AIAAS_TRAINING_DATA_DATA_TABLE_H_
#define AIAAS_TRAINING_DATA_DATA_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aiaas::training {

enum class ColumnKind {
  kNumeric,      // every present cell is a number
  kCategorical,  // text cells (categories, string labels)
};

std::string_view ColumnKindName(ColumnKind kind);  // "numeric" | "categorical"

// One column. Exactly one of `numbers` / `strings` is filled, with one entry per row.
// A missing cell is NaN in `numbers` and has missing[row] == 1 in both kinds (so a
// categorical column can hold the empty string as a real value only when it is not
// missing; the readers treat an empty cell as missing).
struct Column {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;
  std::vector<double> numbers;       // kNumeric
  std::vector<std::string> strings;  // kCategorical
  std::vector<uint8_t> missing;      // 1 = missing, one entry per row

  size_t size() const { return missing.size(); }
  bool IsMissing(size_t row) const { return missing[row] != 0; }
  size_t MissingCount() const;
};

struct DataTable {
  std::vector<Column> columns;
  size_t rows = 0;

  // nullptr when there is no column of that name.
  const Column* Find(std::string_view name) const;
  Column* Find(std::string_view name);
  std::vector<std::string> ColumnNames() const;
};

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_DATA_TABLE_H_
