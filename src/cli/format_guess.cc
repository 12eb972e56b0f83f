#include "cli/format_guess.h"

#include "absl/strings/ascii.h"

namespace aiaas::cli {

std::optional<std::string> GuessFormatFromPath(absl::string_view path) {
  const size_t slash = path.find_last_of('/');
  const absl::string_view file_name =
      slash == absl::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = file_name.find_last_of('.');
  // No dot, or only a leading one (".pt" is a hidden file without an extension).
  if (dot == absl::string_view::npos || dot == 0) return std::nullopt;
  const std::string extension = absl::AsciiStrToLower(file_name.substr(dot + 1));
  if (extension == "pt" || extension == "pth" || extension == "torchscript") return "torchscript";
  if (extension == "onnx") return "onnx";
  return std::nullopt;
}

}  // namespace aiaas::cli
