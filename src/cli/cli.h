#ifndef AIAAS_CLI_CLI_H_
#define AIAAS_CLI_CLI_H_

#include <functional>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace aiaas::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the request failed: "error: <message>" on stderr
inline constexpr int kExitUsage = 2;    // the command line is wrong: error plus usage line

// What the process gives the CLI. main() fills it from the real process; tests use
// string streams and a fake exec.
struct CliEnvironment {
  std::optional<std::string> server_env;  // $AIAAS_SERVER, if set
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;
  // Replaces the process with aiaas-server and `server_args`; returns (an exit code) only
  // if that failed, after printing why.
  std::function<int(const std::vector<std::string>& server_args)> exec_server;
};

// Runs one command line (argv without the program name) and returns the exit code.
// `aiaas serve ARGS...` hands ARGS unchanged to `exec_server`; every other command is
// parsed, checked against its spec, and run against the server. Help goes to `out` and
// exits 0; usage errors go to `err` and exit kExitUsage.
int RunCli(const std::vector<std::string>& args, const CliEnvironment& env);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_CLI_H_
