#ifndef AIAAS_STORAGE_TEST_TEMP_DIR_H_
#define AIAAS_STORAGE_TEST_TEMP_DIR_H_

// Test-only: a fresh folder per test, removed with everything in it.

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace aiaas::storage {

class TestTempDir {
 public:
  TestTempDir() {
    std::string pattern = ::testing::TempDir() + "aiaas-storage-test-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed for " << pattern;
  }
  TestTempDir(const TestTempDir&) = delete;
  TestTempDir& operator=(const TestTempDir&) = delete;
  ~TestTempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_TEST_TEMP_DIR_H_
