#ifndef AIAAS_STORAGE_TEST_RAW_SQL_H_
#define AIAAS_STORAGE_TEST_RAW_SQL_H_

// Test-only: SQL run on a database file through a separate connection, the
// way another process (or an operator with the sqlite3 shell) would.

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace aiaas::storage {

// Runs `sql` (one or more statements) and returns the first column of the last
// row any of them produced as an integer, or -1 if none did. Fails the current
// test on an SQL error. Foreign keys are off, as in a plain sqlite3 shell.
inline int64_t RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  int64_t result = -1;
  char* error = nullptr;
  const int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int, char** values, char**) {
        if (values[0] != nullptr) *static_cast<int64_t*>(out) = std::stoll(values[0]);
        return 0;
      },
      &result, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "") << " in " << sql;
  sqlite3_free(error);
  sqlite3_close(db);
  return result;
}

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_TEST_RAW_SQL_H_
