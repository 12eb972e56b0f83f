#ifndef AIAAS_CLI_INPUT_TEXT_H_
#define AIAAS_CLI_INPUT_TEXT_H_

#include <istream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aiaas::cli {

// Resolves a flag value that may name where its text lives, curl-style:
// "@path" -> the file's contents, "-" -> all of `stdin_stream`, anything else -> itself.
// NotFound / InvalidArgument naming the file when it cannot be read.
[[nodiscard]] absl::StatusOr<std::string> ReadInputText(absl::string_view value,
                                                        std::istream& stdin_stream);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_INPUT_TEXT_H_
