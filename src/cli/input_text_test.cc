#include "cli/input_text.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::HasSubstr;

TEST(ReadInputTextTest, LiteralStdinAndFile) {
  std::istringstream stdin_stream("{\"from\": \"stdin\"}");
  EXPECT_EQ(ReadInputText("{\"a\": 1}", stdin_stream).value(), "{\"a\": 1}");
  EXPECT_EQ(ReadInputText("", stdin_stream).value(), "");
  EXPECT_EQ(ReadInputText("-", stdin_stream).value(), "{\"from\": \"stdin\"}");

  const std::string path = ::testing::TempDir() + "/input_text_test.json";
  std::ofstream(path) << "[1, 2]\n";
  EXPECT_EQ(ReadInputText("@" + path, stdin_stream).value(), "[1, 2]\n");
}

TEST(ReadInputTextTest, MissingFileNamesIt) {
  std::istringstream stdin_stream;
  absl::StatusOr<std::string> text = ReadInputText("@/nonexistent/x.json", stdin_stream);
  EXPECT_EQ(text.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(text.status().message()), HasSubstr("cannot read /nonexistent/x.json"));
}

TEST(ReadInputTextTest, DirectoryIsAnError) {
  std::istringstream stdin_stream;
  EXPECT_FALSE(ReadInputText("@" + ::testing::TempDir(), stdin_stream).ok());
}

}  // namespace
}  // namespace aiaas::cli
