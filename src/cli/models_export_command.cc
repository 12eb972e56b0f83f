// aiaas models export NAME[:VERSION] --format onnx|safetensors -o FILE: downloads a trained
// (native) version converted by the server (GET .../versions/{v}/export?format=...).

#include <cstdio>
#include <fstream>
#include <optional>

#include "absl/strings/str_cat.h"
#include "cli/api_error.h"
#include "cli/command.h"
#include "cli/json_util.h"
#include "cli/model_ref.h"
#include "cli/output.h"
#include "cli/url.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

struct ExportTarget {
  std::string model;    // NAME or TENANT/NAME
  std::string version;  // empty: the 'production' alias, else the newest version
};

// "NAME", "NAME:VERSION" or "NAME" with --version V (not both).
absl::StatusOr<ExportTarget> ParseTarget(const std::string& operand, const ParsedArgs& args) {
  ExportTarget target;
  const size_t colon = operand.rfind(':');
  target.model = operand.substr(0, colon);
  if (colon != std::string::npos) target.version = operand.substr(colon + 1);
  if (absl::Status status = ValidateModelRef(target.model); !status.ok()) return status;
  if (colon != std::string::npos && target.version.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("empty version in '", operand, "'"));
  }
  if (std::optional<std::string> version = args.Value("version"); version.has_value()) {
    if (colon != std::string::npos) {
      return absl::InvalidArgumentError("give the version either as NAME:VERSION or --version");
    }
    if (version->empty()) return absl::InvalidArgumentError("empty --version");
    target.version = *version;
  }
  return target;
}

absl::Status CheckUsage(const std::vector<std::string>& operands, const ParsedArgs& args) {
  if (absl::Status status = ParseTarget(operands.at(0), args).status(); !status.ok()) {
    return status;
  }
  const std::string format = args.Value("format").value_or("");
  if (format != "onnx" && format != "safetensors") {
    return absl::InvalidArgumentError(
        format.empty() ? "missing --format (onnx or safetensors)"
                       : absl::StrCat("--format '", format, "' must be onnx or safetensors"));
  }
  if (args.Value("output").value_or("").empty()) {
    return absl::InvalidArgumentError("missing -o FILE");
  }
  return absl::OkStatus();
}

std::string ModelPath(const std::string& ref, const std::vector<absl::string_view>& rest) {
  std::vector<absl::string_view> segments = {"api", "v1", "models"};
  for (absl::string_view segment : ModelRefSegments(ref)) segments.push_back(segment);
  segments.insert(segments.end(), rest.begin(), rest.end());
  return UrlPath(segments);
}

// The version the server serves by default: the 'production' alias, else the newest.
absl::StatusOr<std::string> DefaultVersion(HttpClient& http, const std::string& model) {
  absl::StatusOr<json> body = DecodeJsonResponse(http.Get(ModelPath(model, {})));
  if (!body.ok()) return body.status();
  if (const json* aliases = Field(*body, "aliases"); aliases != nullptr && aliases->is_object()) {
    if (const json* production = Field(*aliases, "production"); production != nullptr) {
      return ScalarText(*production);
    }
  }
  std::optional<int64_t> latest = IntField(*body, "latest_version");
  if (!latest.has_value()) {
    return absl::NotFoundError(absl::StrCat("model '", model, "' has no versions"));
  }
  return absl::StrCat(*latest);
}

// Writes beside `path` first, then renames: an interrupted export leaves no partial file.
absl::Status WriteFile(const std::string& path, const std::string& bytes) {
  const std::string temp = path + ".part";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      std::remove(temp.c_str());
      return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::Status RunExport(CommandContext& context) {
  absl::StatusOr<ExportTarget> target = ParseTarget(context.operands[0], context.args);
  if (!target.ok()) return target.status();  // CheckUsage ran
  const std::string format = context.args.Value("format").value_or("");
  const std::string file = context.args.Value("output").value_or("");
  std::string version = target->version;
  if (version.empty()) {
    absl::StatusOr<std::string> resolved = DefaultVersion(context.http, target->model);
    if (!resolved.ok()) return resolved.status();
    version = *resolved;
  }
  const std::string path =
      WithQuery(ModelPath(target->model, {"versions", version, "export"}), {{"format", format}});
  absl::StatusOr<HttpResponse> response = context.http.Get(path);
  if (!response.ok()) return response.status();
  if (absl::Status status = StatusFromResponse(*response); !status.ok()) return status;
  if (absl::Status status = WriteFile(file, response->body); !status.ok()) return status;
  if (context.global.json) {
    context.out << PrettyJson({{"model", target->model},
                               {"version", version},
                               {"format", format},
                               {"file", file},
                               {"size_bytes", response->body.size()}});
  } else {
    context.out << "exported " << target->model << " version " << version << " as " << format
                << " to " << file << " (" << HumanSize(static_cast<int64_t>(response->body.size()))
                << ")\n";
  }
  return absl::OkStatus();
}

}  // namespace

CommandSpec ModelsExportCommand() {
  CommandSpec spec;
  spec.path = {"models", "export"};
  spec.synopsis = "NAME[:VERSION] --format (onnx | safetensors) -o FILE";
  spec.summary = "download a trained model as ONNX or safetensors";
  spec.details =
      "Converts a version trained by aiaas (format 'native') on the server and saves it.\n"
      "NAME may be TENANT/NAME for a model another tenant shared. VERSION is a number or an\n"
      "alias (also as --version V); without one, the 'production' alias, else the newest.\n"
      "  --format onnx          an ONNX model (opset 17) with the preprocessing built in; it\n"
      "                         answers like the trained version when pushed as 'onnx'\n"
      "  --format safetensors   the weights, with the model spec and preprocessing as metadata\n"
      "  -o, --output FILE      where to write it";
  spec.flags = {"format", "output", "version"};
  spec.operands = {"NAME[:VERSION]"};
  spec.check_usage = &CheckUsage;
  spec.run = &RunExport;
  return spec;
}

}  // namespace aiaas::cli
