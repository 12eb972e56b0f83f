#ifndef AIAAS_CLI_COMMAND_H_
#define AIAAS_CLI_COMMAND_H_

#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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
  // The key every request of this command carries (already set on `http`; commands that
  // make their own clients pass it on). Empty when none is known or the spec says
  // uses_api_key = false. Never print it.
  std::string api_key;
  bool api_key_in_env = false;   // $AIAAS_API_KEY is set, so it beats a stored key
  std::string credentials_path;  // see CredentialsPath(); empty when $HOME is unknown
  // Prompts and reads one line without echo; empty when stdin is not a terminal.
  std::function<absl::StatusOr<std::string>(absl::string_view prompt)> read_secret;
  // Replaces the process with aiaas-server; returns only on failure.
  std::function<absl::Status(const std::vector<std::string>& server_args)> exec_server;
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
  // False for commands that pick their own key or send none (login, logout, admin): the
  // dispatcher then resolves no key, so a broken credentials file cannot block them.
  bool uses_api_key = true;
};

// The commands of each file, in the order `aiaas --help` lists them.
std::vector<CommandSpec> ModelsCommands();
CommandSpec ModelsPushCommand();
CommandSpec ModelsExportCommand();
std::vector<CommandSpec> ModelsGrantsCommands();  // grant, grants, revoke-grant, visibility
CommandSpec PredictCommand();
CommandSpec VersionCommand();
std::vector<CommandSpec> LoginCommands();    // login, logout
std::vector<CommandSpec> TenantsCommands();  // tenants create, list, quotas, set-quota
std::vector<CommandSpec> KeysCommands();     // keys create, list, revoke, rotate
std::vector<CommandSpec> AdminCommands();    // admin create-key
CommandSpec AuditCommand();                  // audit
std::vector<CommandSpec> DatasetsCommands();  // datasets push, list, show, preview
std::vector<CommandSpec> JobsCommands();      // train, jobs list, show, logs, cancel, wait

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_COMMAND_H_
