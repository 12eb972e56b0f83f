// Splits CSV text into records and cells (RFC 4180 quoting), without copying cells:
// the CSV reader's first pass. Internal to training/data.
#ifndef AIAAS_TRAINING_DATA_CSV_TOKENIZER_H_
#define AIAAS_TRAINING_DATA_CSV_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace aiaas::training {

// Where one cell's text lives: in the input, or (for a quoted cell with doubled quotes,
// which must be unescaped) in the tokenizer's arena. 8 bytes, as a table holds millions.
struct CsvCellRef {
  uint32_t offset = 0;
  uint32_t length_and_arena_bit = 0;
};

// Reads records from `text` (without BOM; at most kMaxTextBytes). Unquoted cells have
// spaces and tabs trimmed; a quoted cell is its content verbatim, with spaces around the
// quotes ignored. Blank lines are skipped. CRLF and LF line ends are both accepted.
// Not thread-safe; `text` must outlive the tokenizer.
class CsvTokenizer {
 public:
  static constexpr size_t kMaxTextBytes = (size_t{1} << 32) - 1;

  // Precondition: text.size() <= kMaxTextBytes, 0 < max_cell_bytes < 2^31.
  CsvTokenizer(std::string_view text, char delimiter, size_t max_cell_bytes);

  // Appends the next record's cells to `cells`, at most `max_cells` of them (so a hostile
  // line of a million delimiters costs no memory), and sets `*line` to the 1-based line on
  // which the record starts. Returns the number of cells the record has (appended or
  // not), 0 at the end of the text, or InvalidArgument (an unterminated quote, text after
  // a closing quote, a cell over the length limit) naming the line.
  [[nodiscard]] absl::StatusOr<size_t> Next(std::vector<CsvCellRef>& cells, size_t max_cells,
                                            size_t* line);

  // The text of a cell this tokenizer produced; valid while the tokenizer lives.
  std::string_view Text(CsvCellRef cell) const;

 private:
  absl::StatusOr<CsvCellRef> QuotedCell(size_t field_number);
  absl::Status LengthError(size_t field_number) const;

  std::string_view text_;
  char delimiter_;
  size_t max_cell_bytes_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t record_line_ = 1;
  std::string arena_;     // unescaped quoted cells
  bool stops_[256] = {};  // the bytes that end an unquoted cell: delimiter, '\n', '\r'
};

// Finds the delimiter of a header line: ';' when it occurs more often than ',' outside
// quotes on the first line, otherwise ','.
char DetectCsvDelimiter(std::string_view text);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_CSV_TOKENIZER_H_
