#ifndef AIAAS_MONITORING_PROCESS_STATS_H_
#define AIAAS_MONITORING_PROCESS_STATS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace aiaas::monitoring {

// One reading of this process's resource use, as the Linux proc filesystem reports it.
struct ProcessStats {
  double cpu_seconds = 0;         // user + system CPU time since the process started
  int64_t resident_bytes = 0;     // VmRSS
  int64_t open_fds = 0;           // entries in the fd directory
  int64_t threads = 0;            // kernel threads (tasks) in the process
  double start_time_seconds = 0;  // Unix time the process started
};

// Reads `<proc_root>/self/stat`, `<proc_root>/self/status`, `<proc_root>/self/fd/` and the
// boot time from `<proc_root>/stat`. `proc_root` is "/proc" in production; tests point it at a
// directory of fixture files. `clock_ticks_per_second` converts stat's tick counts (see
// ClockTicksPerSecond()).
//
// Returns Unavailable when a file cannot be read and Internal when one does not parse; the
// reading is all or nothing. Thread-safe (no shared state).
[[nodiscard]] absl::StatusOr<ProcessStats> ReadProcessStats(const std::string& proc_root,
                                                            int64_t clock_ticks_per_second);

// sysconf(_SC_CLK_TCK): the unit of the CPU and start times in /proc/<pid>/stat.
int64_t ClockTicksPerSecond();

}  // namespace aiaas::monitoring

#endif  // AIAAS_MONITORING_PROCESS_STATS_H_
