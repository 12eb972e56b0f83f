#include "cli/output.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace aiaas::cli {
namespace {

// Counts UTF-8 code points: every byte that is not a continuation byte (10xxxxxx).
size_t DisplayWidth(absl::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

std::string FormatTable(const TableRow& header, const std::vector<TableRow>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&widths](const TableRow& row) {
    if (row.size() > widths.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  };
  measure(header);
  for (const TableRow& row : rows) measure(row);

  std::string out;
  auto append_row = [&](const TableRow& row) {
    std::string line;
    for (size_t i = 0; i < widths.size(); ++i) {
      absl::string_view cell = i < row.size() ? absl::string_view(row[i]) : absl::string_view();
      if (i > 0) line.append(3, ' ');
      line.append(cell.data(), cell.size());
      if (i + 1 < widths.size()) line.append(widths[i] - DisplayWidth(cell), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  };
  append_row(header);
  for (const TableRow& row : rows) append_row(row);
  return out;
}

std::string HumanSize(int64_t size_bytes) {
  if (size_bytes < 0) return "-";
  if (size_bytes < 1024) return absl::StrCat(size_bytes, " B");
  static constexpr std::array<const char*, 5> kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(size_bytes) / 1024.0;
  size_t unit = 0;
  // Round before comparing, so 1048575 bytes reads "1.0 MiB" rather than "1024.0 KiB".
  while (std::round(value * 10.0) / 10.0 >= 1024.0 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", value, kUnits[unit]);
}

std::string HumanRate(double bytes_per_second) {
  return absl::StrCat(HumanSize(static_cast<int64_t>(std::max(0.0, bytes_per_second))), "/s");
}

std::string ShortDigest(absl::string_view digest) {
  constexpr size_t kShortDigestChars = 12;
  size_t colon = digest.find(':');
  if (colon != absl::string_view::npos) digest.remove_prefix(colon + 1);
  return std::string(digest.substr(0, kShortDigestChars));
}

std::string OneLine(absl::string_view text, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool starts_char = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_char && ++chars > max_chars) {
      // Make room for "..." by dropping the last three code points already copied.
      for (int dropped = 0; dropped < 3 && !out.empty();) {
        const bool was_start = (static_cast<unsigned char>(out.back()) & 0xC0) != 0x80;
        out.pop_back();
        if (was_start) ++dropped;
      }
      return out + "...";
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  return out;
}

std::string FormatTimestamp(absl::string_view rfc3339) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(rfc3339), &time, &error)) {
    return std::string(rfc3339);
  }
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", time, absl::UTCTimeZone());
}

std::string FormatProgressLine(int64_t sent_bytes, int64_t total_bytes, double bytes_per_second,
                               int bar_width) {
  std::string line;
  if (total_bytes > 0) {
    const double fraction =
        std::clamp(static_cast<double>(sent_bytes) / static_cast<double>(total_bytes), 0.0, 1.0);
    const int filled = static_cast<int>(fraction * bar_width);
    std::string bar(static_cast<size_t>(filled), '=');
    if (filled < bar_width) {
      if (filled > 0) bar.back() = '>';
      bar.append(static_cast<size_t>(bar_width - filled), ' ');
    }
    line = absl::StrFormat("[%s] %3d%%  %s / %s", bar, static_cast<int>(fraction * 100.0),
                           HumanSize(sent_bytes), HumanSize(total_bytes));
  } else {
    line = HumanSize(sent_bytes);
  }
  if (bytes_per_second >= 0) absl::StrAppend(&line, "  ", HumanRate(bytes_per_second));
  return line;
}

}  // namespace aiaas::cli
