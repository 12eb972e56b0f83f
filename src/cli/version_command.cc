#include "absl/strings/str_cat.h"
#include "cli/api_error.h"
#include "cli/command.h"
#include "cli/json_util.h"
#include "cli/version.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

// Asks GET /v2 for the server's name and version. A server that is down is an answer here,
// not an error: the client version is still worth printing.
absl::Status RunVersion(CommandContext& context) {
  absl::StatusOr<json> server = absl::UnavailableError("unreachable");
  absl::StatusOr<HttpResponse> response = context.http.Get("/v2");
  if (response.ok()) {
    absl::Status status = StatusFromResponse(*response);
    server = status.ok() ? ParseJson(response->body, "the server's answer") : status;
  }
  if (context.global.json) {
    json out = {{"client", {{"name", "aiaas"}, {"version", std::string(kClientVersion)}}},
                {"server_url", context.global.server_url},
                {"server", server.ok() ? *server : json(nullptr)}};
    if (!server.ok()) out["server_error"] = std::string(server.status().message());
    context.out << PrettyJson(out);
    return absl::OkStatus();
  }
  context.out << "aiaas " << kClientVersion << "\n";
  if (!response.ok()) {
    context.out << "server: unreachable (" << context.global.server_url << ")\n";
  } else if (!server.ok()) {
    context.out << "server: error: " << server.status().message() << " ("
                << context.global.server_url << ")\n";
  } else {
    context.out << "server: " << StringField(*server, "name", "?") << " "
                << StringField(*server, "version", "?") << " (" << context.global.server_url
                << ")\n";
  }
  return absl::OkStatus();
}

}  // namespace

CommandSpec VersionCommand() {
  CommandSpec spec;
  spec.path = {"version"};
  spec.summary = "show the client version and, if one answers, the server's";
  spec.details =
      "Prints \"aiaas <version>\" and then \"server: <name> <version> (URL)\" from GET /v2, or\n"
      "\"server: unreachable (URL)\". Exits 0 either way.";
  spec.run = &RunVersion;
  return spec;
}

}  // namespace aiaas::cli
