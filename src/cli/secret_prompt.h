#ifndef AIAAS_CLI_SECRET_PROMPT_H_
#define AIAAS_CLI_SECRET_PROMPT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aiaas::cli {

// Writes `prompt` to standard error and reads one line from standard input, which must be
// a terminal, with echo switched off; echo is restored before returning, and also when
// SIGINT, SIGTERM, SIGHUP or SIGQUIT interrupts the prompt (the signal is then re-raised).
// Returns the line without its newline. FailedPrecondition when stdin is not a terminal,
// Cancelled on end of input before a newline. Only main() calls this (it owns the
// terminal); commands get it as CliEnvironment::read_secret.
[[nodiscard]] absl::StatusOr<std::string> ReadSecretFromTerminal(absl::string_view prompt);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_SECRET_PROMPT_H_
