#ifndef AIAAS_CLI_SERVE_COMMAND_H_
#define AIAAS_CLI_SERVE_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace aiaas::cli {

inline constexpr absl::string_view kServerBinaryName = "aiaas-server";

// The server binary that sits beside the CLI binary `self_exe`:
// "/opt/aiaas/bin/aiaas" -> "/opt/aiaas/bin/aiaas-server".
std::string ServerBinaryPath(absl::string_view self_exe);

// Replaces this process with aiaas-server (found via /proc/self/exe and ServerBinaryPath),
// passing `server_args` unchanged. Returns only on failure: NotFound when the binary is
// missing, Internal when exec fails; the message names the path.
[[nodiscard]] absl::Status ExecServer(const std::vector<std::string>& server_args);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_SERVE_COMMAND_H_
