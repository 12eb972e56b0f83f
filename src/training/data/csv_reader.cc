#include "training/data/csv_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "training/data/absl_string_view.h"
#include "training/data/csv_tokenizer.h"
#include "training/data/gzip_inflate.h"

namespace aiaas::training {
namespace {

constexpr size_t kMaxReportedLines = 10;
constexpr size_t kMaxReportedColumns = 10;
constexpr size_t kMaxQuotedTextBytes = 40;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A cell's text for an error message: quoted, escaped, shortened.
std::string QuoteForMessage(std::string_view text) {
  const bool shortened = text.size() > kMaxQuotedTextBytes;
  if (shortened) text = text.substr(0, kMaxQuotedTextBytes);
  return absl::StrCat("\"", absl::CHexEscape(ToAbsl(text)), shortened ? "...\"" : "\"");
}

std::string ColumnLabel(std::string_view name, size_t index) {
  return absl::StrCat("column ", QuoteForMessage(name), " (column ", index + 1, ")");
}

absl::Status ValidateHeader(const std::vector<std::string>& names, size_t line) {
  absl::flat_hash_map<std::string_view, size_t> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("header (line ", line, "): column ", i + 1,
                       " has an empty name; the first line must name every column"));
    }
    auto [it, inserted] = seen.emplace(names[i], i);
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrCat("header (line ", line, "): the column name ", QuoteForMessage(names[i]),
                       " appears twice (columns ", it->second + 1, " and ", i + 1,
                       "); column names must be unique"));
    }
  }
  return absl::OkStatus();
}

// The cells of one data row, by position in the flat row-major cell list.
struct ParsedCells {
  std::vector<CsvCellRef> cells;  // rows x columns, row-major
  std::vector<uint32_t> lines;    // the line each row starts on
  size_t columns = 0;
};

enum class CellClass { kMissing, kNumber, kText };

// Most cells of a numeric file are short unsigned integers: parse those without
// from_chars, and only then try the missing markers and the general number syntax.
inline CellClass Classify(std::string_view text, double* value) {
  if (text.empty()) return CellClass::kMissing;
  if (text.size() <= 15) {
    uint64_t integer = 0;
    size_t i = 0;
    for (; i < text.size(); ++i) {
      const unsigned digit = static_cast<unsigned char>(text[i]) - '0';
      if (digit > 9) break;
      integer = integer * 10 + digit;
    }
    if (i == text.size()) {
      *value = static_cast<double>(integer);
      return CellClass::kNumber;
    }
  }
  if (IsMissingMarker(text)) return CellClass::kMissing;
  return ParseFiniteNumber(text, value) ? CellClass::kNumber : CellClass::kText;
}

// Per column while the cells are classified.
struct ColumnScan {
  double* numbers = nullptr;
  uint8_t* missing = nullptr;
  size_t present = 0;
  size_t numeric = 0;
  std::vector<std::string> bad_cells;  // the first kMaxReportedLines non-numbers
};

// Fills the columns (names already set) from `parsed`, row by row so the cells are read
// in memory order. Returns the error messages of columns that are mostly, but not all,
// numbers (at most kMaxReportedColumns).
std::vector<std::string> BuildColumns(const CsvTokenizer& tokenizer, const ParsedCells& parsed,
                                      std::vector<Column>& columns) {
  const size_t rows = parsed.lines.size();
  std::vector<ColumnScan> scans(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    columns[c].missing.assign(rows, 0);
    columns[c].numbers.resize(rows);
    scans[c].numbers = columns[c].numbers.data();
    scans[c].missing = columns[c].missing.data();
  }
  const CsvCellRef* cell = parsed.cells.data();
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < columns.size(); ++c, ++cell) {
      ColumnScan& scan = scans[c];
      const std::string_view text = tokenizer.Text(*cell);
      switch (Classify(text, &scan.numbers[r])) {
        case CellClass::kMissing:
          scan.missing[r] = 1;
          scan.numbers[r] = std::numeric_limits<double>::quiet_NaN();
          break;
        case CellClass::kNumber:
          ++scan.present;
          ++scan.numeric;
          break;
        case CellClass::kText:
          ++scan.present;
          scan.numbers[r] = std::numeric_limits<double>::quiet_NaN();
          if (scan.bad_cells.size() < kMaxReportedLines) {
            scan.bad_cells.push_back(
                absl::StrCat("line ", parsed.lines[r], " ", QuoteForMessage(text)));
          }
          break;
      }
    }
  }
  std::vector<std::string> errors;
  for (size_t c = 0; c < columns.size(); ++c) {
    Column& column = columns[c];
    const ColumnScan& scan = scans[c];
    const size_t non_numeric = scan.present - scan.numeric;
    if (non_numeric == 0) {
      column.kind = ColumnKind::kNumeric;
      continue;
    }
    if (scan.numeric * 2 > scan.present) {
      if (errors.size() < kMaxReportedColumns) {
        errors.push_back(absl::StrCat(
            "non-numeric cell in ", ColumnLabel(column.name, c), ", which holds numbers in ",
            scan.numeric, " of ", scan.present, " cells: ", absl::StrJoin(scan.bad_cells, ", "),
            non_numeric > scan.bad_cells.size()
                ? absl::StrCat(" (", non_numeric, " such cells in total)")
                : ""));
      }
      continue;
    }
    column.kind = ColumnKind::kCategorical;
    std::vector<double>().swap(column.numbers);
    column.strings.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      if (column.missing[r] != 0) continue;
      column.strings[r] = std::string(tokenizer.Text(parsed.cells[r * parsed.columns + c]));
    }
  }
  return errors;
}

// The offset of the first byte that is not part of valid UTF-8, or npos.
size_t FindInvalidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (n - i < length) return i;
    for (size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    const uint32_t min_cp = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += length;
  }
  return std::string_view::npos;
}

}  // namespace

bool IsMissingMarker(std::string_view cell) {
  cell = TrimBlanks(cell);
  if (cell.size() > 4) return false;
  return cell.empty() || cell == "?" || absl::EqualsIgnoreCase(ToAbsl(cell), "na") ||
         absl::EqualsIgnoreCase(ToAbsl(cell), "n/a") ||
         absl::EqualsIgnoreCase(ToAbsl(cell), "nan") ||
         absl::EqualsIgnoreCase(ToAbsl(cell), "null");
}

bool ParseFiniteNumber(std::string_view cell, double* value) {
  cell = TrimBlanks(cell);
  if (!cell.empty() && cell.front() == '+') {
    cell.remove_prefix(1);
    if (!cell.empty() && (cell.front() == '+' || cell.front() == '-')) return false;
  }
  if (cell.empty()) return false;
  const char* end = cell.data() + cell.size();
  const auto [ptr, ec] = std::from_chars(cell.data(), end, *value);
  return ec == std::errc() && ptr == end && std::isfinite(*value);
}

absl::StatusOr<DataTable> ReadCsv(std::string_view bytes, const CsvOptions& options) {
  const ReadLimits& limits = options.limits;
  if (bytes.size() > limits.max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the file is ", bytes.size(), " bytes, over the limit of ", limits.max_bytes, " bytes"));
  }
  std::string inflated;
  std::string_view text = bytes;
  if (LooksLikeGzip(bytes)) {
    absl::StatusOr<std::string> result = InflateGzip(bytes, limits.max_inflated_bytes);
    if (!result.ok()) return result.status();
    inflated = *std::move(result);
    text = inflated;
  }
  if (text.size() > CsvTokenizer::kMaxTextBytes) {
    return absl::InvalidArgumentError("CSV text over 4 GiB is not supported");
  }
  if (absl::StartsWith(ToAbsl(text), ToAbsl(kUtf8Bom))) text.remove_prefix(kUtf8Bom.size());
  if (const size_t bad = FindInvalidUtf8(text); bad != std::string_view::npos) {
    const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + bad, '\n'));
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, ": the file is not valid UTF-8 (byte ", bad + 1,
                     "); save it as UTF-8, e.g. with pandas' to_csv(encoding='utf-8')"));
  }

  char delimiter = options.delimiter;
  if (delimiter == '\0') {
    delimiter = DetectCsvDelimiter(text);
  } else if (delimiter != ',' && delimiter != ';') {
    return absl::InvalidArgumentError("the CSV delimiter must be ',' or ';'");
  }
  const size_t max_cell_bytes = std::clamp<size_t>(limits.max_cell_bytes, 1, (size_t{1} << 31) - 1);
  CsvTokenizer tokenizer(text, delimiter, max_cell_bytes);

  ParsedCells parsed;
  size_t line = 0;
  absl::StatusOr<size_t> count = tokenizer.Next(parsed.cells, limits.max_columns, &line);
  if (!count.ok()) return count.status();
  if (*count == 0) return absl::InvalidArgumentError("the file is empty");
  if (*count > limits.max_columns) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the header has ", *count, " columns, over the limit of ", limits.max_columns));
  }
  std::vector<std::string> names;
  names.reserve(*count);
  for (CsvCellRef cell : parsed.cells) names.emplace_back(TrimBlanks(tokenizer.Text(cell)));
  if (absl::Status status = ValidateHeader(names, line); !status.ok()) return status;
  parsed.columns = names.size();
  parsed.cells.clear();

  std::vector<std::string> ragged;
  size_t ragged_count = 0;
  while (true) {
    count = tokenizer.Next(parsed.cells, parsed.columns, &line);
    if (!count.ok()) return count.status();
    if (*count == 0) break;
    if (*count != parsed.columns) {
      parsed.cells.resize(parsed.cells.size() - std::min(*count, parsed.columns));
      if (ragged.size() < kMaxReportedLines) {
        ragged.push_back(absl::StrCat("line ", line, " has ", *count));
      }
      ++ragged_count;
      continue;
    }
    parsed.lines.push_back(static_cast<uint32_t>(line));
    if (parsed.lines.size() > limits.max_rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("the file has more than ", limits.max_rows, " data rows (the limit)"));
    }
    if (parsed.cells.size() > limits.max_cells) {
      return absl::InvalidArgumentError(
          absl::StrCat("the file has more than ", limits.max_cells, " cells (the limit)"));
    }
  }
  if (ragged_count > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        ragged_count, ragged_count == 1 ? " row has" : " rows have",
        " the wrong number of cells (the header has ", parsed.columns,
        "): ", absl::StrJoin(ragged, ", "), ragged_count > ragged.size() ? ", ..." : ""));
  }
  if (parsed.lines.empty()) {
    return absl::InvalidArgumentError("the file has a header line but no data rows");
  }

  DataTable table;
  table.rows = parsed.lines.size();
  table.columns.resize(parsed.columns);
  for (size_t c = 0; c < parsed.columns; ++c) table.columns[c].name = std::move(names[c]);
  const std::vector<std::string> column_errors = BuildColumns(tokenizer, parsed, table.columns);
  if (!column_errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(column_errors, "; "));
  }
  return table;
}

}  // namespace aiaas::training
