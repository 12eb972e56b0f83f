#ifndef AIAAS_CLI_CLI_HARNESS_H_
#define AIAAS_CLI_CLI_HARNESS_H_

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/cli.h"

namespace aiaas::cli {

// Runs RunCli the way main() would, with every piece of the environment a field a test can
// set, and captures stdout and stderr. Test-only.
struct CliHarness {
  int Run(const std::vector<std::string>& args) {
    out.str("");
    err.str("");
    in.clear();
    in.str(stdin_text);
    CliEnvironment env{server_env,
                       in,
                       out,
                       err,
                       false,
                       [this](const std::vector<std::string>& server_args) {
                         exec_args = server_args;
                         return absl::UnavailableError("fake exec failed");
                       },
                       api_key_env,
                       credentials_path,
                       read_secret};
    return RunCli(args, env);
  }

  std::optional<std::string> server_env;
  std::optional<std::string> api_key_env;
  std::string credentials_path;  // "" = no credentials file
  std::function<absl::StatusOr<std::string>(absl::string_view)> read_secret;
  std::string stdin_text;
  std::optional<std::vector<std::string>> exec_args;  // what `exec_server` got
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
};

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_CLI_HARNESS_H_
