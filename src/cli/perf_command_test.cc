#include "cli/perf_command.h"

#include <sstream>

#include "cli/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// `aiaas perf` through the dispatcher, without a server: help, usage errors, and an
// unreachable loopback port.
class PerfCommandTest : public ::testing::Test {
 protected:
  int Run(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    CliEnvironment env{
        std::nullopt, in_,   out_,
        err_,         false, [](const std::vector<std::string>&) { return absl::OkStatus(); }};
    return RunCli(args, env);
  }

  std::istringstream in_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(PerfCommandTest, ListedAndHelped) {
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("perf NAME"));
  EXPECT_EQ(Run({"perf", "--help"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("usage: aiaas perf NAME [--version V] [--concurrency SWEEP"));
  EXPECT_THAT(out_.str(), HasSubstr("1:64:x2"));
}

TEST_F(PerfCommandTest, UsageErrorsComeBeforeAnyRequest) {
  // The default server is never contacted: every one of these fails in the usage check.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"perf"},
           {"perf", "m", "--concurrency", "1:64:x1"},
           {"perf", "m", "--concurrency", "2", "--request-rate", "5"},
           {"perf", "m", "--duration", "forever"},
           {"perf", "m", "--protocol", "grpc"},
           {"perf", "m", "--shape", "input"},
           {"perf", "m", "--format", "x"},
           {"perf", "m", "extra"}}) {
    EXPECT_EQ(Run(args), kExitUsage) << args.back();
    EXPECT_THAT(err_.str(), HasSubstr("usage: aiaas perf NAME")) << args.back();
    EXPECT_THAT(out_.str(), IsEmpty());
  }
  Run({"perf", "m", "--concurrency", "8:4"});
  EXPECT_THAT(err_.str(), HasSubstr("error: --concurrency '8:4': the end is smaller"));
}

TEST_F(PerfCommandTest, UnreachableServerFailsFast) {
  // Port 1 on loopback: nothing listens there, so the metadata request is refused.
  EXPECT_EQ(Run({"perf", "m", "--server", "http://127.0.0.1:1", "--duration", "1s"}), kExitFailure);
  EXPECT_THAT(err_.str(), HasSubstr("error: cannot reach aiaas server at http://127.0.0.1:1"));
}

}  // namespace
}  // namespace aiaas::cli
