#include "monitoring/process_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace aiaas::monitoring {
namespace {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::UnavailableError(absl::StrCat("cannot open ", path));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path));
  return content;
}

// Fields of /proc/<pid>/stat after the command name. The name (field 2) is in parentheses and
// may itself contain spaces and parentheses, so the split starts after the last ')'.
// Index 0 is field 3 (state); field N is at index N - 3.
absl::StatusOr<std::vector<absl::string_view>> StatFieldsAfterComm(absl::string_view stat) {
  const size_t close = stat.rfind(')');
  if (close == absl::string_view::npos) {
    return absl::InternalError("proc stat: no ')' after the command name");
  }
  return std::vector<absl::string_view>(
      absl::StrSplit(stat.substr(close + 1), ' ', absl::SkipWhitespace()));
}

constexpr size_t kUtimeIndex = 14 - 3;
constexpr size_t kStimeIndex = 15 - 3;
constexpr size_t kNumThreadsIndex = 20 - 3;
constexpr size_t kStartTimeIndex = 22 - 3;

absl::StatusOr<int64_t> StatField(const std::vector<absl::string_view>& fields, size_t index) {
  int64_t value = 0;
  if (index >= fields.size() || !absl::SimpleAtoi(fields[index], &value)) {
    return absl::InternalError(absl::StrCat("proc stat: field ", index + 3, " is not a number"));
  }
  return value;
}

// The first number after `key` at the start of a line ("VmRSS:   1234 kB", "btime 1700000000").
absl::StatusOr<int64_t> KeyedValue(absl::string_view text, absl::string_view key,
                                   absl::string_view file) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, key)) continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
    int64_t value = 0;
    if (!words.empty() && absl::SimpleAtoi(words[0], &value)) return value;
    return absl::InternalError(absl::StrCat(file, ": '", key, "' has no number"));
  }
  return absl::InternalError(absl::StrCat(file, ": no '", key, "' line"));
}

absl::StatusOr<int64_t> CountEntries(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int64_t count = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) ++count;
  if (ec) return absl::UnavailableError(absl::StrCat("cannot list ", dir, ": ", ec.message()));
  return count;
}

}  // namespace

int64_t ClockTicksPerSecond() {
  const long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? ticks : 100;  // 100 is the Linux USER_HZ on every common architecture
}

absl::StatusOr<ProcessStats> ReadProcessStats(const std::string& proc_root,
                                              int64_t clock_ticks_per_second) {
  if (clock_ticks_per_second <= 0) {
    return absl::InvalidArgumentError("clock_ticks_per_second must be positive");
  }
  const std::string self = proc_root + "/self";
  absl::StatusOr<std::string> stat = ReadWholeFile(self + "/stat");
  if (!stat.ok()) return stat.status();
  absl::StatusOr<std::string> status = ReadWholeFile(self + "/status");
  if (!status.ok()) return status.status();
  absl::StatusOr<std::string> system_stat = ReadWholeFile(proc_root + "/stat");
  if (!system_stat.ok()) return system_stat.status();

  absl::StatusOr<std::vector<absl::string_view>> fields = StatFieldsAfterComm(*stat);
  if (!fields.ok()) return fields.status();
  absl::StatusOr<int64_t> utime = StatField(*fields, kUtimeIndex);
  absl::StatusOr<int64_t> stime = StatField(*fields, kStimeIndex);
  absl::StatusOr<int64_t> threads = StatField(*fields, kNumThreadsIndex);
  absl::StatusOr<int64_t> start_ticks = StatField(*fields, kStartTimeIndex);
  absl::StatusOr<int64_t> rss_kib = KeyedValue(*status, "VmRSS:", "proc status");
  absl::StatusOr<int64_t> boot_time = KeyedValue(*system_stat, "btime", "proc stat");
  absl::StatusOr<int64_t> fds = CountEntries(self + "/fd");
  for (const absl::Status& s :
       {utime.status(), stime.status(), threads.status(), start_ticks.status(), rss_kib.status(),
        boot_time.status(), fds.status()}) {
    if (!s.ok()) return s;
  }

  const double ticks = static_cast<double>(clock_ticks_per_second);
  ProcessStats out;
  out.cpu_seconds = static_cast<double>(*utime + *stime) / ticks;
  out.resident_bytes = *rss_kib * 1024;
  out.open_fds = *fds;
  out.threads = *threads;
  out.start_time_seconds =
      static_cast<double>(*boot_time) + static_cast<double>(*start_ticks) / ticks;
  return out;
}

}  // namespace aiaas::monitoring
