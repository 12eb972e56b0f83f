#ifndef AIAAS_CLI_FORMAT_GUESS_H_
#define AIAAS_CLI_FORMAT_GUESS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace aiaas::cli {

// The model format implied by a file name's extension (case-insensitive):
// .pt / .pth / .torchscript -> "torchscript", .onnx -> "onnx", anything else -> nullopt
// (the user must pass --format).
std::optional<std::string> GuessFormatFromPath(absl::string_view path);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_FORMAT_GUESS_H_
