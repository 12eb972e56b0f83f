// aiaas predict NAME: one KServe v2 inference request.

#include "absl/strings/str_cat.h"
#include "cli/api_error.h"
#include "cli/command.h"
#include "cli/infer_output.h"
#include "cli/input_text.h"
#include "cli/json_util.h"
#include "cli/model_ref.h"
#include "cli/url.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

absl::Status CheckPredictUsage(const std::vector<std::string>& operands, const ParsedArgs& args) {
  if (absl::Status status = ValidateModelRef(operands[0]); !status.ok()) return status;
  if (!args.Has("input")) {
    return absl::InvalidArgumentError("missing --input (JSON, @file.json, or - for stdin)");
  }
  if (args.Value("version").value_or("x").empty())
    return absl::InvalidArgumentError("empty --version");
  return absl::OkStatus();
}

absl::Status RunPredict(CommandContext& context) {
  const std::string& name = context.operands[0];
  absl::StatusOr<std::string> request = ReadInputText(*context.args.Value("input"), context.in);
  if (!request.ok()) return request.status();
  // Parsed only to fail early with a clear message; the text is sent as written.
  absl::StatusOr<json> parsed = ParseJson(*request, "--input");
  if (!parsed.ok()) return parsed.status();
  if (!parsed->is_object()) {
    return absl::InvalidArgumentError(
        "--input must be a JSON object {\"inputs\": [{\"name\", \"shape\", \"datatype\", "
        "\"data\"}]}");
  }
  const std::optional<std::string> version = context.args.Value("version");
  // A shared model's TENANT/NAME goes into the path as two segments.
  std::vector<absl::string_view> segments = {"v2", "models"};
  for (absl::string_view segment : ModelRefSegments(name)) segments.push_back(segment);
  if (version.has_value()) {
    segments.push_back("versions");
    segments.push_back(*version);
  }
  segments.push_back("infer");
  const std::string path = UrlPath(segments);
  absl::StatusOr<json> response = DecodeJsonResponse(context.http.Post(path, *request));
  if (!response.ok()) return response.status();
  context.out << (context.global.json ? PrettyJson(*response) : FormatInferResponse(*response));
  return absl::OkStatus();
}

}  // namespace

CommandSpec PredictCommand() {
  CommandSpec spec;
  spec.path = {"predict"};
  spec.synopsis = "NAME [--version V] --input (JSON | @FILE | -)";
  spec.summary = "run one inference request (KServe v2) and print the outputs";
  spec.details =
      "NAME is one of your models, or TENANT/NAME for a model another tenant shared.\n"
      "The input is a KServe v2 request body, e.g.\n"
      "  {\"inputs\": [{\"name\": \"x\", \"shape\": [1, 4], \"datatype\": \"FP32\",\n"
      "              \"data\": [1, 2, 3, 4]}]}\n"
      "  --input JSON   the request inline, @file.json to read a file, - to read stdin\n"
      "  --version V    a version number or alias (default: the 'production' alias if set,\n"
      "                 else the newest version)\n"
      "Outputs are printed as name, datatype, shape and (truncated) data; --json prints the\n"
      "whole response.";
  spec.flags = {"version", "input"};
  spec.operands = {"NAME"};
  spec.check_usage = &CheckPredictUsage;
  spec.run = &RunPredict;
  return spec;
}

}  // namespace aiaas::cli
