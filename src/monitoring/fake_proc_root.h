#ifndef AIAAS_MONITORING_FAKE_PROC_ROOT_H_
#define AIAAS_MONITORING_FAKE_PROC_ROOT_H_

// Test-only: a temporary directory laid out like /proc for ReadProcessStats(), removed with
// everything in it.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace aiaas::monitoring {

// "Healthy" fixture values; with 100 ticks per second they read as cpu 4 s, RSS 2 MiB,
// 7 threads, 3 fds and a start 3600 s after boot.
inline constexpr char kFakeSelfStat[] =
    "4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 360000 "
    "1000000 500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
inline constexpr char kFakeSelfStatus[] =
    "Name:\tmy (odd) proc\nState:\tS (sleeping)\nVmPeak:\t    9999 kB\nVmRSS:\t    2048 kB\n"
    "Threads:\t7\n";
inline constexpr char kFakeSystemStat[] =
    "cpu  1 2 3 4 5 6 7 8 9 10\nintr 0\nctxt 12345\nbtime 1700000000\nprocesses 99\n";
inline constexpr int64_t kFakeBootTime = 1700000000;

class FakeProcRoot {
 public:
  FakeProcRoot() {
    std::string pattern = ::testing::TempDir() + "aiaas-proc-test-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed for " << pattern;
    std::filesystem::create_directories(path_ + "/self/fd");
  }
  FakeProcRoot(const FakeProcRoot&) = delete;
  FakeProcRoot& operator=(const FakeProcRoot&) = delete;
  ~FakeProcRoot() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }

  // Writes the healthy fixture: the three files and fds 0, 1 and 2.
  void WriteHealthy() {
    Write("self/stat", kFakeSelfStat);
    Write("self/status", kFakeSelfStatus);
    Write("stat", kFakeSystemStat);
    for (const char* fd : {"0", "1", "2"}) Write(std::string("self/fd/") + fd, "");
  }

  void Write(const std::string& relative, const std::string& content) {
    std::ofstream out(path_ + "/" + relative, std::ios::binary | std::ios::trunc);
    out << content;
    EXPECT_TRUE(out.good()) << "cannot write " << relative;
  }

  void Delete(const std::string& relative) {
    std::error_code ec;
    std::filesystem::remove(path_ + "/" + relative, ec);
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace aiaas::monitoring

#endif  // AIAAS_MONITORING_FAKE_PROC_ROOT_H_
