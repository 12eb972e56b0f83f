// aiaas admin create-key: offline recovery of admin access. Runs aiaas-server (beside this
// binary, as `aiaas serve` does) with --create-admin-key on a data directory; the server
// prints the new key and writes it to <data-dir>/admin.key. No running server is needed.

#include "absl/strings/str_cat.h"
#include "cli/command.h"

namespace aiaas::cli {
namespace {

absl::Status CheckCreateKeyUsage(const std::vector<std::string>&, const ParsedArgs& args) {
  const std::optional<std::string> dir = args.Value("data-dir");
  if (!dir.has_value()) return absl::InvalidArgumentError("missing --data-dir");
  if (dir->empty()) return absl::InvalidArgumentError("empty --data-dir");
  return absl::OkStatus();
}

absl::Status RunCreateKey(CommandContext& context) {
  // Returns only when the server could not be started; its own output goes straight through.
  return context.exec_server({"--create-admin-key", "--data-dir", *context.args.Value("data-dir")});
}

}  // namespace

std::vector<CommandSpec> AdminCommands() {
  std::vector<CommandSpec> commands(1);
  CommandSpec& create_key = commands[0];
  create_key.path = {"admin", "create-key"};
  create_key.synopsis = "--data-dir DIR";
  create_key.summary = "offline: create a server-admin key in a data directory (recovery)";
  create_key.details =
      "Runs 'aiaas-server --create-admin-key --data-dir DIR' from the directory of this aiaas\n"
      "binary. Works without a running server; use it on the server's machine, as the user\n"
      "that owns DIR, when every admin key is lost. The key is printed once and written to\n"
      "DIR/admin.key (mode 0600).";
  create_key.flags = {"data-dir"};
  create_key.check_usage = &CheckCreateKeyUsage;
  create_key.run = &RunCreateKey;
  create_key.uses_api_key = false;
  return commands;
}

}  // namespace aiaas::cli
