// Reads an uploaded CSV file into a DataTable.
#ifndef AIAAS_TRAINING_DATA_CSV_READER_H_
#define AIAAS_TRAINING_DATA_CSV_READER_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "training/data/data_table.h"
#include "training/data/read_limits.h"

namespace aiaas::training {

struct CsvOptions {
  // ',' or ';', or '\0' to detect it from the header line: ';' when it occurs more often
  // than ',' outside quotes, otherwise ','.
  char delimiter = '\0';
  ReadLimits limits;
};

// Parses CSV bytes: plain text, or gzip (detected by the 1f 8b magic, inflated up to
// limits.max_inflated_bytes). A UTF-8 BOM is skipped; LF and CRLF line ends; RFC 4180
// quoting (delimiters, doubled quotes and newlines inside quotes); blank lines skipped.
//
// The first line is the header: names non-empty (after trimming) and unique. Cells that
// are empty or NA, N/A, NaN, null, ? (any case) are missing. A column whose present
// cells all parse as finite numbers is numeric, otherwise categorical; but a column
// where more than half of the present cells are numbers and some are not is an error
// ("non-numeric cell in column ...", with the first lines and their text), as are
// rows with the wrong number of cells (the first lines, expected vs found, and the
// total). Line numbers are 1-based lines of the (inflated) file.
//
// Returns InvalidArgument for every problem with the data, including a file over a
// limit, an empty file, or a header without data rows. Thread-safe (no shared state).
[[nodiscard]] absl::StatusOr<DataTable> ReadCsv(std::string_view bytes,
                                                const CsvOptions& options = {});

// True for the cell texts the readers treat as missing: empty, NA, N/A, NaN, null and ?
// (any case, surrounding spaces and tabs ignored).
bool IsMissingMarker(std::string_view cell);

// Parses a whole cell (surrounding spaces and tabs ignored, an optional leading '+') as a
// finite number. False for anything else, including inf, overflow and hex.
bool ParseFiniteNumber(std::string_view cell, double* value);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_CSV_READER_H_
