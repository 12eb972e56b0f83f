#include "cli/cli.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Runs the CLI without a terminal or a server: only usage paths, help, serve hand-off, and
// an unreachable loopback port are exercised here.
class RunCliTest : public ::testing::Test {
 protected:
  int Run(const std::vector<std::string>& args) {
    out_.str("");
    err_.str("");
    CliEnvironment env{
        server_env_, in_, out_, err_, false, [this](const std::vector<std::string>& server_args) {
          exec_args_ = server_args;
          return absl::UnavailableError("fake exec");
        }};
    return RunCli(args, env);
  }

  std::optional<std::string> server_env_;
  std::istringstream in_;
  std::ostringstream out_;
  std::ostringstream err_;
  std::optional<std::vector<std::string>> exec_args_;
};

TEST_F(RunCliTest, NoArgumentsPrintsHelpAndIsAUsageError) {
  EXPECT_EQ(Run({}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("usage: aiaas <command>"));
  EXPECT_THAT(out_.str(), IsEmpty());
}

TEST_F(RunCliTest, TopHelpListsEveryCommand) {
  EXPECT_EQ(Run({"--help"}), kExitOk);
  for (const char* command : {"serve",
                              "version",
                              "models list",
                              "models show NAME",
                              "models versions NAME",
                              "models push NAME FILE",
                              "models delete NAME",
                              "models alias NAME ALIAS",
                              "predict NAME",
                              "login",
                              "logout",
                              "models grant NAME",
                              "models grants NAME",
                              "models revoke-grant NAME",
                              "models visibility NAME VISIBILITY",
                              "tenants create NAME",
                              "tenants list",
                              "keys create",
                              "keys list",
                              "keys revoke ID",
                              "keys rotate ID",
                              "admin create-key",
                              "--server URL",
                              "--api-key KEY",
                              "--json",
                              "-h, --help"}) {
    EXPECT_THAT(out_.str(), HasSubstr(command));
  }
  EXPECT_EQ(Run({"-h"}), kExitOk);
}

TEST_F(RunCliTest, HelpOnEveryLevel) {
  EXPECT_EQ(Run({"models", "-h"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: aiaas models <command>"));
  EXPECT_THAT(out_.str(), HasSubstr("models push NAME FILE"));
  EXPECT_EQ(Run({"models", "push", "--help"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: aiaas models push NAME FILE [--format F]"));
  EXPECT_EQ(Run({"--help", "predict"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: aiaas predict NAME"));
  // Help wins over a missing operand.
  EXPECT_EQ(Run({"models", "alias", "-h"}), kExitOk);
}

TEST_F(RunCliTest, UnknownCommands) {
  EXPECT_EQ(Run({"distill"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: unknown command 'distill'\nusage: aiaas <command>"));
  // A known command without its operand is a usage error of that command.
  EXPECT_EQ(Run({"train"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: missing SPEC\nusage: aiaas train SPEC.json"));
  EXPECT_EQ(Run({"models", "frobnicate"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: unknown command 'models frobnicate'\n"
                                     "usage: aiaas models <command>"));
  EXPECT_EQ(Run({"models"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: missing command after 'models'"));
}

TEST_F(RunCliTest, UsageErrorsNameTheCommand) {
  EXPECT_EQ(Run({"models", "push", "m"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "error: missing FILE\n"
            "usage: aiaas models push NAME FILE [--format F] [--signature JSON|@FILE] "
            "[--description TEXT]\n"
            "Run 'aiaas models push --help' for details.\n");
  EXPECT_EQ(Run({"models", "show", "a", "b"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: unexpected argument 'b'\n"));
  EXPECT_EQ(Run({"models", "list", "--format", "onnx"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: flag --format does not apply to 'aiaas models list'"));
  EXPECT_EQ(Run({"models", "list", "--bogus"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: unknown flag --bogus\nusage: aiaas models list"));
  EXPECT_EQ(Run({"predict", "m", "--server"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: flag --server needs a value\nusage: aiaas predict"));
}

TEST_F(RunCliTest, CommandSpecificUsageChecks) {
  EXPECT_EQ(Run({"predict", "m"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: missing --input"));
  EXPECT_EQ(Run({"models", "push", "m", "model.bin"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("cannot tell the model format of 'model.bin'"));
  EXPECT_EQ(Run({"models", "alias", "m", "prod"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: give either VERSION or --delete"));
  EXPECT_EQ(Run({"models", "alias", "m", "prod", "1", "--delete"}), kExitUsage);
  EXPECT_EQ(Run({"models", "alias", "m", "prod", "one"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("VERSION must be a version number"));
  EXPECT_EQ(Run({"models", "alias", "m", "123", "1"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("an alias may not be a number"));
  EXPECT_EQ(Run({"models", "show", "Bad/Name"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: invalid model name 'Bad/Name'"));
  EXPECT_EQ(Run({"models", "list", "--server", "ftp://x"}), kExitUsage);
  EXPECT_THAT(err_.str(), StartsWith("error: --server: invalid server URL 'ftp://x'"));
}

TEST_F(RunCliTest, ServeHandsEverythingAfterItToTheServer) {
  EXPECT_EQ(Run({"serve", "--port", "9000", "--json", "-h", "x"}), kExitFailure);
  EXPECT_THAT(exec_args_.value(), ElementsAre("--port", "9000", "--json", "-h", "x"));
  EXPECT_EQ(err_.str(), "error: fake exec\n");  // exec returns only when it failed
  exec_args_.reset();
  EXPECT_EQ(Run({"serve"}), kExitFailure);
  EXPECT_THAT(exec_args_.value(), IsEmpty());
}

TEST_F(RunCliTest, FlagsBeforeServe) {
  EXPECT_EQ(Run({"--help", "serve"}), kExitOk);
  EXPECT_THAT(out_.str(), StartsWith("usage: aiaas serve [aiaas-server flags...]"));
  EXPECT_EQ(Run({"--server", "http://x:1", "serve", "--port", "1"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("aiaas-server flags go after 'serve'"));
  EXPECT_FALSE(exec_args_.has_value());
  EXPECT_EQ(Run({"models", "serve"}), kExitUsage);  // not the command word
  EXPECT_FALSE(exec_args_.has_value());
}

TEST_F(RunCliTest, VersionWithoutServerIsNotAnError) {
  EXPECT_EQ(Run({"version", "--server", "http://127.0.0.1:1"}), kExitOk);
  EXPECT_EQ(out_.str(), "aiaas 0.1.0\nserver: unreachable (http://127.0.0.1:1)\n");
  EXPECT_EQ(Run({
                "--version",
            }),
            kExitOk);  // with the default server, up or not
  EXPECT_THAT(out_.str(), StartsWith("aiaas 0.1.0\nserver: "));
}

TEST_F(RunCliTest, VersionJson) {
  server_env_ = "127.0.0.1:1";
  EXPECT_EQ(Run({"version", "--json"}), kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("\"version\": \"0.1.0\""));
  EXPECT_THAT(out_.str(), HasSubstr("\"server\": null"));
  EXPECT_THAT(out_.str(), HasSubstr("\"server_url\": \"http://127.0.0.1:1\""));
}

TEST_F(RunCliTest, UnreachableServerIsAnError) {
  server_env_ = "http://127.0.0.1:1";
  EXPECT_EQ(Run({"models", "list"}), kExitFailure);
  EXPECT_THAT(err_.str(), StartsWith("error: cannot reach aiaas server at http://127.0.0.1:1: "));
  EXPECT_THAT(out_.str(), IsEmpty());
}

TEST_F(RunCliTest, LocalFileErrorsComeBeforeAnyRequest) {
  EXPECT_EQ(Run({"models", "push", "m", "/nonexistent/m.pt", "--server", "http://127.0.0.1:1"}),
            kExitFailure);
  EXPECT_THAT(err_.str(), StartsWith("error: cannot read /nonexistent/m.pt: "));
  EXPECT_EQ(Run({"predict", "m", "--input", "{not json", "--server", "http://127.0.0.1:1"}),
            kExitFailure);
  EXPECT_THAT(err_.str(), StartsWith("error: --input is not valid JSON: "));
}

}  // namespace
}  // namespace aiaas::cli
