#ifndef AIAAS_CLI_OUTPUT_H_
#define AIAAS_CLI_OUTPUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace aiaas::cli {

// Plain-text building blocks for human output. All functions are pure.

using TableRow = std::vector<std::string>;

// Left-aligned columns separated by three spaces, header first, one '\n'-terminated line
// per row, no trailing spaces. Widths count UTF-8 code points. Rows shorter than the header
// are padded with empty cells.
std::string FormatTable(const TableRow& header, const std::vector<TableRow>& rows);

// Binary units with one decimal above 1 KiB: 0 -> "0 B", 1536 -> "1.5 KiB",
// 410123 -> "400.5 KiB". Negative sizes (unknown) -> "-".
std::string HumanSize(int64_t size_bytes);

// HumanSize per second: "1.5 MiB/s".
std::string HumanRate(double bytes_per_second);

// "sha256:3f2a9c..." -> the first 12 hex digits "3f2a9c...". Text without an algorithm
// prefix is cut the same way.
std::string ShortDigest(absl::string_view digest);

// At most `max_chars` code points on one line: newlines and tabs become spaces, and an
// over-long text ends in "...".
std::string OneLine(absl::string_view text, size_t max_chars);

// "2026-11-22T10:00:00.123Z" -> "2026-11-22 10:00:00" (UTC, seconds); anything that does not
// parse as RFC 3339 is returned unchanged, so odd data is shown rather than hidden.
std::string FormatTimestamp(absl::string_view rfc3339);

// One line of an upload progress display (no '\r' or '\n'):
// "[=========>          ]  45%  1.8 MiB / 4.0 MiB  2.1 MiB/s". `total_bytes` <= 0 means
// unknown (bar and percent are left out); `bytes_per_second` < 0 means not yet known.
std::string FormatProgressLine(int64_t sent_bytes, int64_t total_bytes, double bytes_per_second,
                               int bar_width);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_OUTPUT_H_
