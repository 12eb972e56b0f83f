// The aiaas command: a light HTTP client of the aiaas server (see cli.h), plus
// `aiaas serve`, which execs the LibTorch-linked aiaas-server beside it. This file is the
// process edge: it reads argv, the environment and the terminal, and nothing else does.

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/cli.h"
#include "cli/serve_command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  std::optional<std::string> server_env;
  if (const char* value = std::getenv("AIAAS_SERVER"); value != nullptr) server_env = value;

  aiaas::cli::CliEnvironment env{server_env,
                                 std::cin,
                                 std::cout,
                                 std::cerr,
                                 isatty(STDERR_FILENO) == 1,
                                 [](const std::vector<std::string>& server_args) {
                                   absl::Status status = aiaas::cli::ExecServer(server_args);
                                   std::cerr << "error: " << status.message() << "\n";
                                   return aiaas::cli::kExitFailure;
                                 }};
  return aiaas::cli::RunCli(args, env);
}
