#include "training/data/csv_tokenizer.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aiaas::training {
namespace {

constexpr uint32_t kArenaBit = uint32_t{1} << 31;

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

CsvTokenizer::CsvTokenizer(std::string_view text, char delimiter, size_t max_cell_bytes)
    : text_(text), delimiter_(delimiter), max_cell_bytes_(max_cell_bytes) {
  stops_[static_cast<unsigned char>(delimiter)] = true;
  stops_['\n'] = true;
  stops_['\r'] = true;
}

std::string_view CsvTokenizer::Text(CsvCellRef cell) const {
  const uint32_t length = cell.length_and_arena_bit & ~kArenaBit;
  if ((cell.length_and_arena_bit & kArenaBit) != 0) {
    return std::string_view(arena_).substr(cell.offset, length);
  }
  return text_.substr(cell.offset, length);
}

absl::Status CsvTokenizer::LengthError(size_t field_number) const {
  return absl::InvalidArgumentError(absl::StrCat("line ", record_line_, ", column ", field_number,
                                                 ": the cell is longer than the limit of ",
                                                 max_cell_bytes_, " bytes"));
}

absl::StatusOr<size_t> CsvTokenizer::Next(std::vector<CsvCellRef>& cells, size_t max_cells,
                                          size_t* line) {
  const size_t n = text_.size();
  const char* data = text_.data();
  // Skip blank lines (empty or only spaces and tabs), such as a trailing empty line.
  while (pos_ < n) {
    size_t p = pos_;
    while (p < n && IsBlank(data[p])) ++p;
    if (p < n && data[p] == '\r' && (p + 1 >= n || data[p + 1] == '\n')) ++p;
    if (p >= n) {
      pos_ = n;
      return 0;
    }
    if (data[p] != '\n') break;
    pos_ = p + 1;
    ++line_;
  }
  if (pos_ >= n) return 0;
  record_line_ = line_;
  *line = line_;
  size_t count = 0;
  while (true) {
    ++count;
    size_t p = pos_;
    while (p < n && IsBlank(data[p])) ++p;
    if (p < n && data[p] == '"') {
      pos_ = p + 1;
      absl::StatusOr<CsvCellRef> cell = QuotedCell(count);
      if (!cell.ok()) return cell.status();
      if (count <= max_cells) cells.push_back(*cell);
    } else {
      // An unquoted cell runs to the delimiter or the line end; a CR not before LF is data.
      size_t q = p;
      while (true) {
        while (q < n && !stops_[static_cast<unsigned char>(data[q])]) ++q;
        if (q < n && data[q] == '\r' && q + 1 < n && data[q + 1] != '\n') {
          ++q;
          continue;
        }
        break;
      }
      size_t end = q;
      pos_ = q;
      if (q + 1 == n && data[q] == '\r') pos_ = n;  // a final CR without LF
      while (end > p && IsBlank(data[end - 1])) --end;
      if (end - p > max_cell_bytes_) return LengthError(count);
      if (count <= max_cells) {
        cells.push_back(CsvCellRef{static_cast<uint32_t>(p), static_cast<uint32_t>(end - p)});
      }
    }
    // pos_ is now at a delimiter, a line end or the end of the text.
    if (pos_ >= n) break;
    const char c = data[pos_];
    if (c == delimiter_) {
      ++pos_;
      continue;
    }
    if (c == '\r') ++pos_;  // only ever before '\n' here
    ++pos_;                 // the '\n'
    ++line_;
    break;
  }
  return count;
}

absl::StatusOr<CsvCellRef> CsvTokenizer::QuotedCell(size_t field_number) {
  const size_t n = text_.size();
  const size_t content_start = pos_;
  const size_t start_line = line_;
  bool has_doubled_quotes = false;
  size_t p = pos_;
  while (true) {
    const void* found = p < n ? std::memchr(text_.data() + p, '"', n - p) : nullptr;
    if (found == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", start_line, ", column ", field_number,
                       ": a quoted cell is never closed (missing closing \")"));
    }
    const size_t q = static_cast<const char*>(found) - text_.data();
    for (size_t i = p; i < q; ++i) line_ += text_[i] == '\n';
    if (q + 1 < n && text_[q + 1] == '"') {
      has_doubled_quotes = true;
      p = q + 2;
      continue;
    }
    p = q;
    break;
  }
  const size_t content_end = p;
  if (content_end - content_start > max_cell_bytes_) return LengthError(field_number);
  // After the closing quote only blanks may precede the delimiter or line end.
  size_t after = content_end + 1;
  while (after < n && IsBlank(text_[after])) ++after;
  const bool at_boundary = after >= n || text_[after] == delimiter_ || text_[after] == '\n' ||
                           (text_[after] == '\r' && (after + 1 >= n || text_[after + 1] == '\n'));
  if (!at_boundary) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", line_, ", column ", field_number,
        ": unexpected text after a closing quote (a quote inside a quoted cell must be doubled)"));
  }
  pos_ = after;
  if (pos_ < n && text_[pos_] == '\r' && pos_ + 1 >= n) pos_ = n;  // a final CR without LF
  if (!has_doubled_quotes) {
    return CsvCellRef{static_cast<uint32_t>(content_start),
                      static_cast<uint32_t>(content_end - content_start)};
  }
  const size_t arena_start = arena_.size();
  for (size_t i = content_start; i < content_end; ++i) {
    arena_.push_back(text_[i]);
    if (text_[i] == '"') ++i;  // keep one quote of each doubled pair
  }
  return CsvCellRef{static_cast<uint32_t>(arena_start),
                    static_cast<uint32_t>(arena_.size() - arena_start) | kArenaBit};
}

char DetectCsvDelimiter(std::string_view text) {
  size_t commas = 0;
  size_t semicolons = 0;
  bool in_quotes = false;
  for (char c : text) {
    if (c == '"') {
      in_quotes = !in_quotes;  // a doubled quote toggles twice
    } else if (!in_quotes) {
      if (c == '\n') break;
      commas += c == ',';
      semicolons += c == ';';
    }
  }
  return semicolons > commas ? ';' : ',';
}

}  // namespace aiaas::training
