#include "cli/cli.h"

#include <algorithm>
#include <array>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "cli/credentials.h"
#include "cli/onnx_conformance_command.h"
#include "cli/perf_command.h"
#include "cli/serve_command.h"
#include "cli/version.h"

namespace aiaas::cli {
namespace {

constexpr std::array<absl::string_view, 5> kGlobalFlags = {"server", "json", "help", "api-key",
                                                           "ca-cert"};

const std::vector<FlagSpec>& AllFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {"server", '\0', true},       {"json", '\0', false},
      {"help", 'h', false},         {"format", '\0', true},
      {"signature", '\0', true},    {"description", '\0', true},
      {"version", '\0', true},      {"input", '\0', true},
      {"delete", '\0', false},      {"concurrency", '\0', true},
      {"request-rate", '\0', true}, {"max-threads", '\0', true},
      {"duration", '\0', true},     {"warmup", '\0', true},
      {"protocol", '\0', true},     {"input-data", '\0', true},
      {"shape", '\0', true},        {"batch-size", '\0', true},
      {"seed", '\0', true},         {"request-distribution", '\0', true},
      {"api-key", '\0', true},      {"tenant", '\0', true},
      {"role", '\0', true},         {"name", '\0', true},
      {"expires-in", '\0', true},   {"models", '\0', true},
      {"actions", '\0', true},      {"rate-limit", '\0', true},
      {"permission", '\0', true},   {"data-dir", '\0', true},
      {"limit", '\0', true},        {"action", '\0', true},
      {"before-id", '\0', true},
      {"max-models", '\0', true},   {"max-stored-bytes", '\0', true},
      {"max-concurrent-jobs", '\0', true},
      {"ca-cert", '\0', true},
      {"rows", '\0', true},        {"state", '\0', true},
      {"no-follow", '\0', false},  {"output", 'o', true},
  };
  return kFlags;
}

CommandSpec ServeCommand() {
  CommandSpec spec;
  spec.path = {"serve"};
  spec.synopsis = "[aiaas-server flags...]";
  spec.summary = "start the server (runs aiaas-server from the same directory)";
  spec.details =
      "Every argument after 'serve' is passed unchanged to aiaas-server, which must sit in the\n"
      "same directory as this aiaas binary. By default it stores data under ./aiaas-data and\n"
      "listens on 127.0.0.1:8080. 'aiaas serve --help' lists the server's own flags.";
  return spec;  // no run: RunCli execs the server before parsing anything
}

std::vector<CommandSpec> AllCommands() {
  std::vector<CommandSpec> commands = {ServeCommand(), VersionCommand(),
                                       OnnxConformanceCommand()};
  for (std::vector<CommandSpec> group : {LoginCommands(), ModelsCommands(), ModelsGrantsCommands(),
                                         std::vector<CommandSpec>{PredictCommand(), PerfCommand()}, DatasetsCommands(), JobsCommands(),
                                         TenantsCommands(), KeysCommands(), AdminCommands(),
                                         std::vector<CommandSpec>{AuditCommand()}}) {
    for (CommandSpec& spec : group) commands.push_back(std::move(spec));
  }
  return commands;
}

std::string Words(const std::vector<std::string>& path) { return absl::StrJoin(path, " "); }

std::string Usage(const CommandSpec& spec) {
  return absl::StrCat("usage: aiaas ", Words(spec.path), spec.synopsis.empty() ? "" : " ",
                      spec.synopsis);
}

// Lines "  models push NAME FILE   upload ..." for every command whose path starts with
// `group` (all commands if it is empty), summaries aligned.
std::string CommandList(const std::vector<CommandSpec>& commands, const std::string& group) {
  std::vector<std::pair<std::string, std::string>> lines;
  size_t width = 0;
  for (const CommandSpec& spec : commands) {
    if (!group.empty() && spec.path.front() != group) continue;
    std::string left = Words(spec.path);
    for (const std::string& operand : spec.operands) absl::StrAppend(&left, " ", operand);
    width = std::max(width, left.size());
    lines.emplace_back(std::move(left), spec.summary);
  }
  std::string out;
  for (const auto& [left, summary] : lines) {
    absl::StrAppend(&out, "  ", left, std::string(width - left.size() + 3, ' '), summary, "\n");
  }
  return out;
}

constexpr char kGlobalFlagsHelp[] =
    "global flags (allowed anywhere on the line):\n"
    "  --server URL   the aiaas server (default http://127.0.0.1:8080, or $AIAAS_SERVER)\n"
    "  --api-key KEY  the API key to send (default $AIAAS_API_KEY, else the key 'aiaas login'\n"
    "                 stored for the server; prefer those: a flag lands in shell history)\n"
    "  --ca-cert FILE PEM certificate of the CA (or the self-signed certificate) to verify an\n"
    "                 https:// server with (default $AIAAS_CA_CERT, else the system's CAs)\n"
    "  --json         print the server's JSON, pretty-printed, for scripts\n"
    "  -h, --help     show help for any command\n";

std::string TopHelp(const std::vector<CommandSpec>& commands) {
  return absl::StrCat("aiaas ", kClientVersion, " - AI models as a service\n\n",
                      "usage: aiaas <command> [arguments] [--server URL] [--json]\n\n",
                      "commands:\n", CommandList(commands, ""), "\n", kGlobalFlagsHelp,
                      "\nexit status: 0 success, 1 the request failed (\"error: ...\" on stderr), "
                      "2 usage error\n",
                      "\nRun 'aiaas <command> --help' for more about a command.\n");
}

std::string GroupHelp(const std::vector<CommandSpec>& commands, const std::string& group) {
  return absl::StrCat("usage: aiaas ", group, " <command> [arguments]\n\ncommands:\n",
                      CommandList(commands, group), "\n", kGlobalFlagsHelp);
}

std::string CommandHelp(const CommandSpec& spec) {
  std::string help = absl::StrCat(Usage(spec), "\n\n", spec.summary, "\n");
  if (!spec.details.empty()) absl::StrAppend(&help, "\n", spec.details, "\n");
  // Commands without a run function (serve) pass all their arguments on: no global flags.
  if (spec.run) absl::StrAppend(&help, "\n", kGlobalFlagsHelp);
  return help;
}

int UsageError(const CliEnvironment& env, absl::string_view message, absl::string_view usage,
               absl::string_view help_command) {
  env.err << "error: " << message << "\n"
          << usage << "\n"
          << "Run '" << help_command << " --help' for details.\n";
  return kExitUsage;
}

int CommandUsageError(const CliEnvironment& env, const CommandSpec& spec,
                      absl::string_view message) {
  return UsageError(env, message, Usage(spec), absl::StrCat("aiaas ", Words(spec.path)));
}

// Index of "serve" if it is the command word, i.e. only global flags come before it.
std::optional<size_t> FindServeWord(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "serve") return i;
    if (args[i] == "--server" || args[i] == "--api-key" || args[i] == "--ca-cert") {
      ++i;
    } else if (args[i].size() < 2 || args[i][0] != '-') {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

int RunServe(const std::vector<std::string>& args, size_t serve_index, const CliEnvironment& env) {
  const CommandSpec spec = ServeCommand();
  const auto serve = args.begin() + static_cast<std::ptrdiff_t>(serve_index);
  if (std::any_of(args.begin(), serve,
                  [](const std::string& arg) { return arg == "--help" || arg == "-h"; })) {
    env.out << CommandHelp(spec);
    return kExitOk;
  }
  if (serve != args.begin()) {
    return CommandUsageError(env, spec,
                             absl::StrCat("'", args.front(),
                                          "' before 'serve' is not used; "
                                          "aiaas-server flags go after 'serve'"));
  }
  const absl::Status status = env.exec_server(std::vector<std::string>(serve + 1, args.end()));
  env.err << "error: " << status.message() << "\n";
  return kExitFailure;
}

// The command whose path is the longest prefix of `words`, or nullptr.
const CommandSpec* FindCommand(const std::vector<CommandSpec>& commands,
                               const std::vector<std::string>& words) {
  const CommandSpec* best = nullptr;
  for (const CommandSpec& spec : commands) {
    if (spec.path.size() > words.size()) continue;
    if (!std::equal(spec.path.begin(), spec.path.end(), words.begin())) continue;
    if (best == nullptr || spec.path.size() > best->path.size()) best = &spec;
  }
  return best;
}

bool IsGroup(const std::vector<CommandSpec>& commands, const std::string& word) {
  return std::any_of(commands.begin(), commands.end(), [&word](const CommandSpec& spec) {
    return spec.path.size() > 1 && spec.path.front() == word;
  });
}

// Errors about the command line that the spec alone can detect.
absl::Status CheckAgainstSpec(const CommandSpec& spec, const std::vector<std::string>& operands,
                              const ParsedArgs& parsed) {
  for (const auto& [name, value] : parsed.flags) {
    const bool allowed =
        std::find(kGlobalFlags.begin(), kGlobalFlags.end(), name) != kGlobalFlags.end() ||
        std::find(spec.flags.begin(), spec.flags.end(), name) != spec.flags.end();
    if (!allowed) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " does not apply to 'aiaas ", Words(spec.path), "'"));
    }
  }
  if (operands.size() < spec.operands.size()) {
    return absl::InvalidArgumentError(absl::StrCat("missing ", spec.operands[operands.size()]));
  }
  if (operands.size() > spec.operands.size() + spec.optional_operands.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unexpected argument '",
                     operands[spec.operands.size() + spec.optional_operands.size()], "'"));
  }
  if (spec.check_usage) return spec.check_usage(operands, parsed);
  return absl::OkStatus();
}

// Runs a checked command line: finds the API key (adding it to `secrets`), connects, runs.
absl::Status RunResolved(const CommandSpec& spec, std::vector<std::string> operands,
                         const ParsedArgs& parsed, const GlobalOptions& global,
                         const CliEnvironment& env, std::vector<std::string>& secrets) {
  HttpClientOptions http_options;
  http_options.base_url = global.server_url;
  http_options.ca_cert_path = global.ca_cert;
  if (spec.uses_api_key) {
    absl::StatusOr<std::optional<ResolvedApiKey>> key = ResolveApiKey(
        {parsed.Value("api-key"), env.api_key_env, env.credentials_path}, global.server_url);
    if (!key.ok()) return key.status();
    if (key->has_value()) {
      secrets.push_back((*key)->key);
      if (!(*key)->warning.empty()) env.err << "warning: " << (*key)->warning << "\n";
      http_options.api_key = (*key)->key;
    }
  }
  absl::StatusOr<std::unique_ptr<HttpClient>> http = HttpClient::Create(http_options);
  if (!http.ok()) return http.status();
  CommandContext context{std::move(operands), parsed, global, **http, env.in, env.out, env.err,
                         env.err_is_terminal};
  context.api_key = http_options.api_key;
  context.api_key_in_env = env.api_key_env.has_value() && !env.api_key_env->empty();
  context.credentials_path = env.credentials_path;
  context.read_secret = env.read_secret;
  context.exec_server = env.exec_server;
  return spec.run(context);
}

}  // namespace

int RunCli(const std::vector<std::string>& raw_args, const CliEnvironment& env) {
  // `aiaas --version` is what people type first; treat it as the command.
  const std::vector<std::string> args = raw_args == std::vector<std::string>{"--version"}
                                            ? std::vector<std::string>{"version"}
                                            : raw_args;
  if (std::optional<size_t> serve = FindServeWord(args); serve.has_value()) {
    return RunServe(args, *serve, env);
  }
  // Like serve, a hand-off to a LibTorch binary: its flags are not the client's.
  if (!args.empty() && args.front() == "onnx-conformance") {
    return RunOnnxConformance(args, env.out, env.err, &ExecSiblingBinary);
  }
  const std::vector<CommandSpec> commands = AllCommands();
  ParsedArgs parsed;
  const absl::Status parse_status = ParseArgs(args, AllFlags(), &parsed);
  // Every key this run knows of, so that no message on `err` repeats one.
  std::vector<std::string> secrets;
  if (std::optional<std::string> key = parsed.Value("api-key"); key.has_value()) {
    secrets.push_back(*key);
  }
  if (env.api_key_env.has_value()) secrets.push_back(*env.api_key_env);
  const std::vector<std::string>& words = parsed.positionals;
  const bool help = parsed.Has("help");
  constexpr char kTopUsage[] = "usage: aiaas <command> [arguments] [--server URL] [--json]";

  if (words.empty()) {
    if (!parse_status.ok()) return UsageError(env, parse_status.message(), kTopUsage, "aiaas");
    if (help) {
      env.out << TopHelp(commands);
      return kExitOk;
    }
    env.err << TopHelp(commands);
    return kExitUsage;
  }
  const CommandSpec* spec = FindCommand(commands, words);
  if (spec == nullptr) {
    const std::string& group = words.front();
    if (!IsGroup(commands, group)) {
      return UsageError(env, RedactApiKeys(absl::StrCat("unknown command '", group, "'"), secrets),
                        kTopUsage, "aiaas");
    }
    if (words.size() == 1 && help) {
      env.out << GroupHelp(commands, group);
      return kExitOk;
    }
    const std::string message = words.size() == 1
                                    ? absl::StrCat("missing command after '", group, "'")
                                    : absl::StrCat("unknown command '", group, " ", words[1], "'");
    return UsageError(env, RedactApiKeys(message, secrets),
                      absl::StrCat("usage: aiaas ", group, " <command> [arguments]"),
                      absl::StrCat("aiaas ", group));
  }
  if (!parse_status.ok()) return CommandUsageError(env, *spec, parse_status.message());
  if (help) {
    env.out << CommandHelp(*spec);
    return kExitOk;
  }
  if (!spec->run) {
    return CommandUsageError(env, *spec, absl::StrCat("'", Words(spec->path), "' must come first"));
  }
  std::vector<std::string> operands(words.begin() + static_cast<std::ptrdiff_t>(spec->path.size()),
                                    words.end());
  if (absl::Status usage = CheckAgainstSpec(*spec, operands, parsed); !usage.ok()) {
    return CommandUsageError(env, *spec, RedactApiKeys(usage.message(), secrets));
  }
  if (std::optional<std::string> key = parsed.Value("api-key"); key.has_value()) {
    if (absl::Status valid = ValidateApiKey(absl::StripAsciiWhitespace(*key), "--api-key");
        !valid.ok()) {
      return CommandUsageError(env, *spec, valid.message());
    }
  }
  absl::StatusOr<GlobalOptions> global =
      ResolveGlobalOptions(parsed, env.server_env, env.ca_cert_env);
  if (!global.ok()) return CommandUsageError(env, *spec, global.status().message());

  absl::Status status = RunResolved(*spec, std::move(operands), parsed, *global, env, secrets);
  if (!status.ok()) {
    env.out.flush();
    env.err << "error: " << RedactApiKeys(status.message(), secrets) << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace aiaas::cli
