#ifndef AIAAS_CLI_COMMAND_H_
#define AIAAS_CLI_COMMAND_H_

#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/args.h"
#include "cli/http_client.h"

namespace aiaas::cli {

// Everything a client command needs while it runs. Borrowed from the dispatcher for the
// length of one command.
struct CommandContext {
  std::vector<std::string> operands;  // positionals after the command words
  const ParsedArgs& args;             // all flags of the command line
  const GlobalOptions& global;
  HttpClient& http;
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;  // draw progress bars on `err`
};

// Checks what the generic dispatcher cannot (flag combinations, number formats) before any
// request is made. A non-OK result is a usage error: exit 2 with the usage line.
using UsageCheck =
    std::function<absl::Status(const std::vector<std::string>& operands, const ParsedArgs& args)>;

// Runs the command. A non-OK result is printed as "error: <message>" and exits 1.
using CommandRun = std::function<absl::Status(CommandContext& context)>;

// One leaf command of the CLI, e.g. "models push". The dispatcher checks flags and
// operand counts against the spec, so the run function sees only well-formed input.
struct CommandSpec {
  std::vector<std::string> path;               // {"models", "push"}
  std::string synopsis;                        // operands and flags: "NAME FILE [--format F]"
  std::string summary;                         // one line for the command list
  std::string details;                         // the rest of --help, may be empty
  std::vector<std::string> flags;              // command flags allowed besides the global ones
  std::vector<std::string> operands;           // required operand names, in order: {"NAME"}
  std::vector<std::string> optional_operands;  // after the required ones
  UsageCheck check_usage;                      // optional
  CommandRun run;
};

// The commands of each file, in the order `aiaas --help` lists them.
std::vector<CommandSpec> ModelsCommands();
CommandSpec ModelsPushCommand();
CommandSpec PredictCommand();
CommandSpec VersionCommand();

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_COMMAND_H_
