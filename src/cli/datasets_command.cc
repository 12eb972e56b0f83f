// aiaas datasets push|list|show|preview: the tenant's datasets (docs/api.md "Datasets").

#include <filesystem>
#include <memory>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/api_error.h"
#include "cli/command.h"
#include "cli/json_util.h"
#include "cli/output.h"
#include "cli/progress_bar.h"
#include "cli/url.h"
#include "common/model_name.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

std::string CellText(const json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

// "iris version 2: 150 rows, 5 columns (csv, sha256:...)"
void PrintVersionLine(std::ostream& out, const json& version) {
  const json* schema = Field(version, "schema");
  const json* columns = schema != nullptr ? Field(*schema, "columns") : nullptr;
  out << StringField(version, "name", "?") << " version " << FieldText(version, "version") << ": "
      << FieldText(version, "rows") << " rows, "
      << (columns != nullptr && columns->is_array() ? columns->size() : 0) << " columns ("
      << StringField(version, "format", "?") << ", " << StringField(version, "digest", "?")
      << ")\n";
}

absl::Status CheckName(const std::vector<std::string>& operands, const ParsedArgs&) {
  return ValidateModelName(operands[0]);
}

absl::Status RunPush(CommandContext& context) {
  const std::string& name = context.operands[0];
  const std::string& file = context.operands[1];
  std::error_code error;
  if (!std::filesystem::is_regular_file(file, error)) {
    return absl::NotFoundError(absl::StrCat("cannot read ", file, ": not a regular file"));
  }
  std::vector<MultipartPart> parts = {MultipartPart::Text("name", name),
                                      MultipartPart::File("file", file)};
  if (std::optional<std::string> format = context.args.Value("format")) {
    parts.push_back(MultipartPart::Text("format", *format));
  }
  absl::StatusOr<HttpResponse> response =
      PostMultipartWithProgress(context.http, UrlPath({"api", "v1", "datasets"}), parts, file,
                                context.err, context.err_is_terminal);
  absl::StatusOr<json> version = DecodeJsonResponse(response);
  if (!version.ok()) return version.status();
  if (context.global.json) {
    context.out << PrettyJson(*version);
  } else {
    PrintVersionLine(context.out, *version);
  }
  return absl::OkStatus();
}

absl::Status RunList(CommandContext& context) {
  absl::StatusOr<json> body =
      DecodeJsonResponse(context.http.Get(UrlPath({"api", "v1", "datasets"})));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    context.out << PrettyJson(*body);
    return absl::OkStatus();
  }
  std::vector<TableRow> rows;
  if (const json* datasets = Field(*body, "datasets");
      datasets != nullptr && datasets->is_array()) {
    for (const json& d : *datasets) {
      rows.push_back({StringField(d, "name", "-"), FieldText(d, "version"), FieldText(d, "rows"),
                      StringField(d, "format", "-"), FieldText(d, "size_bytes"),
                      FormatTimestamp(StringField(d, "created_at", "-"))});
    }
  }
  context.out << FormatTable({"NAME", "VERSION", "ROWS", "FORMAT", "BYTES", "CREATED"}, rows);
  return absl::OkStatus();
}

absl::Status RunShow(CommandContext& context) {
  const std::string version = context.args.Value("version").value_or("latest");
  absl::StatusOr<json> body = DecodeJsonResponse(context.http.Get(
      UrlPath({"api", "v1", "datasets", context.operands[0], "versions", version})));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    context.out << PrettyJson(*body);
    return absl::OkStatus();
  }
  PrintVersionLine(context.out, *body);
  std::vector<TableRow> rows;
  const json* schema = Field(*body, "schema");
  const json* columns = schema != nullptr ? Field(*schema, "columns") : nullptr;
  if (columns != nullptr && columns->is_array()) {
    for (const json& c : *columns) {
      std::string summary;
      if (StringField(c, "kind", "") == "numeric") {
        summary = absl::StrCat("min ", FieldText(c, "min"), ", max ", FieldText(c, "max"),
                               ", mean ", FieldText(c, "mean"));
      } else {
        summary = absl::StrCat(FieldText(c, "distinct"), " distinct");
      }
      rows.push_back({StringField(c, "name", "-"), StringField(c, "kind", "-"),
                      FieldText(c, "missing"), summary});
    }
  }
  context.out << FormatTable({"COLUMN", "KIND", "MISSING", "SUMMARY"}, rows);
  return absl::OkStatus();
}

absl::Status CheckPreview(const std::vector<std::string>& operands, const ParsedArgs& args) {
  if (absl::Status status = ValidateModelName(operands[0]); !status.ok()) return status;
  if (std::optional<std::string> rows = args.Value("rows")) {
    int n = 0;
    if (!absl::SimpleAtoi(*rows, &n) || n < 1 || n > 1000) {
      return absl::InvalidArgumentError("--rows must be an integer from 1 to 1000");
    }
  }
  return absl::OkStatus();
}

absl::Status RunPreview(CommandContext& context) {
  absl::StatusOr<json> body = DecodeJsonResponse(
      context.http.Get(WithQuery(UrlPath({"api", "v1", "datasets", context.operands[0], "preview"}),
                                 {{"rows", context.args.Value("rows").value_or("")},
                                  {"version", context.args.Value("version").value_or("")}})));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    context.out << PrettyJson(*body);
    return absl::OkStatus();
  }
  const json* rows = Field(*body, "rows");
  if (rows == nullptr || !rows->is_array() || rows->empty()) return absl::OkStatus();
  TableRow header;
  if (const json* columns = Field(*body, "columns"); columns != nullptr && columns->is_array()) {
    for (const json& name : *columns) {
      if (name.is_string()) header.push_back(name.get<std::string>());
    }
  }
  if (header.empty()) {  // an older server: the keys of the first row
    for (const auto& [key, value] : (*rows)[0].items()) header.push_back(key);
  }
  std::vector<TableRow> table;
  for (const json& row : *rows) {
    TableRow cells;
    for (const std::string& key : header)
      cells.push_back(row.contains(key) ? CellText(row[key]) : "-");
    table.push_back(std::move(cells));
  }
  context.out << FormatTable(header, table);
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> DatasetsCommands() {
  CommandSpec push;
  push.path = {"datasets", "push"};
  push.synopsis = "NAME FILE [--format csv|npy|npz]";
  push.summary = "upload FILE (.csv, .csv.gz, .npy, .npz) as a new version of dataset NAME";
  push.details =
      "Prints \"NAME version N: R rows, C columns\". The server parses the file before\n"
      "storing it: a file that does not parse is rejected (with line numbers for CSV)\n"
      "and leaves nothing behind.\n"
      "  --format F   csv, npy or npz; guessed from the file name or its first bytes";
  push.flags = {"format"};
  push.operands = {"NAME", "FILE"};
  push.check_usage = &CheckName;
  push.run = &RunPush;

  CommandSpec list;
  list.path = {"datasets", "list"};
  list.summary = "list the tenant's datasets (newest version of each)";
  list.run = &RunList;

  CommandSpec show;
  show.path = {"datasets", "show"};
  show.synopsis = "NAME [--version N]";
  show.summary = "show a dataset version and its inferred schema";
  show.flags = {"version"};
  show.operands = {"NAME"};
  show.check_usage = &CheckName;
  show.run = &RunShow;

  CommandSpec preview;
  preview.path = {"datasets", "preview"};
  preview.synopsis = "NAME [--rows N] [--version N]";
  preview.summary = "print the first rows of a dataset (default 20)";
  preview.flags = {"rows", "version"};
  preview.operands = {"NAME"};
  preview.check_usage = &CheckPreview;
  preview.run = &RunPreview;
  return {push, list, show, preview};
}

}  // namespace aiaas::cli
