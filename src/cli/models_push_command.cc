// aiaas models push NAME FILE: uploads an artifact as a new version (multipart POST).

#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "cli/api_error.h"
#include "cli/command.h"
#include "cli/format_guess.h"
#include "cli/input_text.h"
#include "cli/json_util.h"
#include "cli/output.h"
#include "cli/progress_bar.h"
#include "cli/url.h"
#include "common/model_name.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

std::optional<std::string> FormatFor(const std::vector<std::string>& operands,
                                     const ParsedArgs& args) {
  std::optional<std::string> format = args.Value("format");
  return format.has_value() ? format : GuessFormatFromPath(operands[1]);
}

absl::Status CheckPushUsage(const std::vector<std::string>& operands, const ParsedArgs& args) {
  if (absl::Status status = ValidateModelName(operands[0]); !status.ok()) return status;
  const std::optional<std::string> format = FormatFor(operands, args);
  if (!format.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot tell the model format of '", operands[1],
                     "' from its extension; pass --format (torchscript or onnx)"));
  }
  if (format->empty()) return absl::InvalidArgumentError("empty --format");
  return absl::OkStatus();
}

// A readable regular file, with its size; checked up front so a typo fails before any
// connection is made, with the OS's reason.
absl::StatusOr<int64_t> CheckUploadFile(const std::string& path) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", error.message()));
  if (!std::filesystem::is_regular_file(status)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot upload ", path, ": not a regular file"));
  }
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) return absl::NotFoundError(absl::StrCat("cannot read ", path, ": ", error.message()));
  return static_cast<int64_t>(size);
}

absl::Status RunPush(CommandContext& context) {
  const std::string& name = context.operands[0];
  const std::string& file = context.operands[1];
  absl::StatusOr<int64_t> size_bytes = CheckUploadFile(file);
  if (!size_bytes.ok()) return size_bytes.status();

  std::vector<MultipartPart> parts = {
      MultipartPart::File("file", file),
      MultipartPart::Text("format", *FormatFor(context.operands, context.args)),
  };
  if (std::optional<std::string> signature = context.args.Value("signature")) {
    absl::StatusOr<std::string> text = ReadInputText(*signature, context.in);
    if (!text.ok()) return text.status();
    // Checked here so a typo fails before a large upload, not after it.
    absl::StatusOr<json> parsed = ParseJson(*text, "--signature");
    if (!parsed.ok()) return parsed.status();
    if (!parsed->is_object()) {
      return absl::InvalidArgumentError(
          "--signature must be a JSON object {\"inputs\": [...], \"outputs\": [...]}");
    }
    parts.push_back(MultipartPart::Text("signature", parsed->dump()));
  }
  if (std::optional<std::string> description = context.args.Value("description")) {
    parts.push_back(MultipartPart::Text("description", *description));
  }

  absl::StatusOr<HttpResponse> response = PostMultipartWithProgress(
      context.http, UrlPath({"api", "v1", "models", name, "versions"}), parts, file, context.err,
      context.err_is_terminal);
  absl::StatusOr<json> version = DecodeJsonResponse(response);
  if (!version.ok()) return version.status();
  if (context.global.json) {
    context.out << PrettyJson(*version);
  } else {
    context.out << StringField(*version, "model", name) << " version "
                << FieldText(*version, "version") << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

CommandSpec ModelsPushCommand() {
  CommandSpec spec;
  spec.path = {"models", "push"};
  spec.synopsis = "NAME FILE [--format F] [--signature JSON|@FILE] [--description TEXT]";
  spec.summary = "upload FILE as a new version of model NAME (created if needed)";
  spec.details =
      "Prints \"NAME version N\". The server loads the file before committing the version,\n"
      "so a file that does not load is rejected and leaves nothing behind.\n"
      "  --format F           torchscript or onnx; guessed from .pt/.pth/.torchscript/.onnx\n"
      "  --signature JSON     {\"inputs\": [{\"name\", \"datatype\", \"shape\"}], \"outputs\": "
      "[...]},\n"
      "                       inline, @file, or - for stdin\n"
      "  --description TEXT   a note stored with the version";
  spec.flags = {"format", "signature", "description"};
  spec.operands = {"NAME", "FILE"};
  spec.check_usage = &CheckPushUsage;
  spec.run = &RunPush;
  return spec;
}

}  // namespace aiaas::cli
