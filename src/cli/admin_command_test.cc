// aiaas admin create-key: hands off to aiaas-server without any server or key.

#include <filesystem>
#include <fstream>

#include "cli/cli_harness.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

TEST(AdminCommandTest, ExecsTheServerWithTheDataDirectory) {
  CliHarness cli;
  EXPECT_EQ(cli.Run({"admin", "create-key", "--data-dir", "/srv/aiaas data"}), kExitFailure);
  ASSERT_TRUE(cli.exec_args.has_value());
  EXPECT_THAT(*cli.exec_args, ElementsAre("--create-admin-key", "--data-dir", "/srv/aiaas data"));
  EXPECT_EQ(cli.err.str(), "error: fake exec failed\n");  // exec returns only on failure
}

TEST(AdminCommandTest, WorksWithABrokenCredentialsFile) {
  const std::string path = ::testing::TempDir() + "/admin_command_test_credentials";
  std::ofstream(path) << "garbage\n";
  CliHarness cli;
  cli.credentials_path = path;
  cli.Run({"admin", "create-key", "--data-dir", "d"});
  EXPECT_TRUE(cli.exec_args.has_value());
  std::filesystem::remove(path);
}

TEST(AdminCommandTest, NeedsTheDataDirectory) {
  CliHarness cli;
  EXPECT_EQ(cli.Run({"admin", "create-key"}), kExitUsage);
  EXPECT_THAT(cli.err.str(), StartsWith("error: missing --data-dir\n"
                                        "usage: aiaas admin create-key --data-dir DIR"));
  EXPECT_EQ(cli.Run({"admin", "create-key", "--data-dir", ""}), kExitUsage);
  EXPECT_FALSE(cli.exec_args.has_value());
}

}  // namespace
}  // namespace aiaas::cli
