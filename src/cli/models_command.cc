// aiaas models list | show | versions | delete | alias: the management API's read and
// housekeeping calls. Pushing lives in models_push_command.cc.

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/api_error.h"
#include "cli/command.h"
#include "cli/json_util.h"
#include "cli/model_ref.h"
#include "cli/output.h"
#include "cli/url.h"
#include "common/model_name.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

constexpr char kPageSize[] = "100";
constexpr size_t kDescriptionChars = 60;

std::string ModelPath(absl::string_view name) { return UrlPath({"api", "v1", "models", name}); }

// "/api/v1/models/NAME" or, for a model another tenant shared, "/api/v1/models/TENANT/NAME".
std::string ModelRefPath(absl::string_view ref, const std::vector<absl::string_view>& rest = {}) {
  std::vector<absl::string_view> segments = {"api", "v1", "models"};
  for (absl::string_view segment : ModelRefSegments(ref)) segments.push_back(segment);
  segments.insert(segments.end(), rest.begin(), rest.end());
  return UrlPath(segments);
}

// Read commands accept TENANT/NAME for a shared model.
absl::Status CheckModelRefOperand(const std::vector<std::string>& operands, const ParsedArgs&) {
  return ValidateModelRef(operands.at(0));
}

// "production=1, canary=2" from a Model's "aliases" object; "-" when there are none.
std::string AliasesText(const json& model) {
  const json* aliases = Field(model, "aliases");
  if (aliases == nullptr || !aliases->is_object() || aliases->empty()) return "-";
  std::vector<std::string> parts;
  for (const auto& [alias, version] : aliases->items()) {
    parts.push_back(absl::StrCat(alias, "=", ScalarText(version)));
  }
  return absl::StrJoin(parts, ", ");
}

std::string LabelsText(const json& model) {
  const json* labels = Field(model, "labels");
  if (labels == nullptr || !labels->is_object() || labels->empty()) return "-";
  std::vector<std::string> parts;
  for (const auto& [key, value] : labels->items()) {
    parts.push_back(absl::StrCat(key, "=", ScalarText(value)));
  }
  return absl::StrJoin(parts, ", ");
}

std::string VersionsTable(const json& versions) {
  std::vector<TableRow> rows;
  if (versions.is_array()) {
    for (const json& version : versions) {
      const std::optional<int64_t> size = IntField(version, "size_bytes");
      rows.push_back({FieldText(version, "version"), StringField(version, "format", "-"),
                      HumanSize(size.value_or(-1)), ShortDigest(StringField(version, "digest")),
                      FormatTimestamp(StringField(version, "created_at"))});
    }
  }
  return FormatTable({"VERSION", "FORMAT", "SIZE", "DIGEST", "CREATED"}, rows);
}

absl::StatusOr<json> FetchVersions(HttpClient& http, absl::string_view name) {
  absl::StatusOr<json> body = DecodeJsonResponse(http.Get(ModelRefPath(name, {"versions"})));
  if (!body.ok()) return body.status();
  const json* versions = Field(*body, "versions");
  return versions != nullptr && versions->is_array() ? *versions : json::array();
}

absl::Status RunList(CommandContext& context) {
  json models = json::array();
  std::string page_token;
  std::set<std::string> seen_tokens;
  do {
    const std::string path = WithQuery(UrlPath({"api", "v1", "models"}),
                                       {{"page_size", kPageSize}, {"page_token", page_token}});
    absl::StatusOr<json> page = DecodeJsonResponse(context.http.Get(path));
    if (!page.ok()) return page.status();
    if (const json* items = Field(*page, "models"); items != nullptr && items->is_array()) {
      for (const json& model : *items) models.push_back(model);
    }
    page_token = StringField(*page, "next_page_token");
    if (!page_token.empty() && !seen_tokens.insert(page_token).second) {
      return absl::InternalError("the server repeated a page token while listing models");
    }
  } while (!page_token.empty());

  if (context.global.json) {
    context.out << PrettyJson({{"models", models}});
    return absl::OkStatus();
  }
  std::vector<TableRow> rows;
  for (const json& model : models) {
    rows.push_back({StringField(model, "name"), FieldText(model, "latest_version"),
                    AliasesText(model),
                    OneLine(StringField(model, "description"), kDescriptionChars)});
  }
  context.out << FormatTable({"NAME", "LATEST", "ALIASES", "DESCRIPTION"}, rows);
  return absl::OkStatus();
}

absl::Status RunShow(CommandContext& context) {
  const std::string& name = context.operands[0];
  absl::StatusOr<json> model = DecodeJsonResponse(context.http.Get(ModelRefPath(name)));
  if (!model.ok()) return model.status();
  absl::StatusOr<json> versions = FetchVersions(context.http, name);
  if (!versions.ok()) return versions.status();
  if (context.global.json) {
    context.out << PrettyJson({{"model", *model}, {"versions", *versions}});
    return absl::OkStatus();
  }
  const std::vector<TableRow> fields = {
      {"Name:", StringField(*model, "name", name)},
      {"Description:", OneLine(StringField(*model, "description", "-"), 200)},
      {"Labels:", LabelsText(*model)},
      {"Latest version:", FieldText(*model, "latest_version")},
      {"Aliases:", AliasesText(*model)},
      {"Created:", FormatTimestamp(StringField(*model, "created_at", "-"))},
      {"Updated:", FormatTimestamp(StringField(*model, "updated_at", "-"))},
  };
  // The first row of FormatTable is its header; these key/value lines have none.
  context.out << FormatTable(fields.front(), {fields.begin() + 1, fields.end()}) << "\n";
  if (versions->empty() && IsSharedModelRef(name)) {
    context.out << "No versions yet.\n";
  } else if (versions->empty()) {
    context.out << "No versions yet. Push one with: aiaas models push " << name << " FILE\n";
  } else {
    context.out << VersionsTable(*versions);
  }
  return absl::OkStatus();
}

absl::Status RunVersions(CommandContext& context) {
  absl::StatusOr<json> versions = FetchVersions(context.http, context.operands[0]);
  if (!versions.ok()) return versions.status();
  if (context.global.json) {
    context.out << PrettyJson({{"versions", *versions}});
  } else {
    context.out << VersionsTable(*versions);
  }
  return absl::OkStatus();
}

absl::Status CheckDeleteUsage(const std::vector<std::string>& operands, const ParsedArgs& args) {
  if (args.Value("version").value_or("x").empty())
    return absl::InvalidArgumentError("empty --version");
  return ValidateModelName(operands[0]);
}

absl::Status RunDelete(CommandContext& context) {
  const std::string& name = context.operands[0];
  const std::optional<std::string> version = context.args.Value("version");
  const std::string path = version.has_value()
                               ? UrlPath({"api", "v1", "models", name, "versions", *version})
                               : ModelPath(name);
  absl::StatusOr<json> body = DecodeJsonResponse(context.http.Delete(path));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    if (!body->is_null()) context.out << PrettyJson(*body);
  } else if (version.has_value()) {
    context.out << "deleted " << name << " version " << *version << "\n";
  } else {
    context.out << "deleted model " << name << " and all its versions\n";
  }
  return absl::OkStatus();
}

absl::Status CheckAliasUsage(const std::vector<std::string>& operands, const ParsedArgs& args) {
  if (absl::Status status = ValidateModelName(operands[0]); !status.ok()) return status;
  if (absl::Status status = ValidateAliasName(operands[1]); !status.ok()) return status;
  const bool has_version = operands.size() > 2;
  if (has_version == args.Has("delete")) {
    return absl::InvalidArgumentError("give either VERSION or --delete");
  }
  int64_t version = 0;
  if (has_version && (!absl::SimpleAtoi(operands[2], &version) || version < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("VERSION must be a version number (1, 2, ...), not '", operands[2], "'"));
  }
  return absl::OkStatus();
}

absl::Status RunAlias(CommandContext& context) {
  const std::string& name = context.operands[0];
  const std::string& alias = context.operands[1];
  const std::string path = UrlPath({"api", "v1", "models", name, "aliases", alias});
  if (context.args.Has("delete")) {
    absl::StatusOr<json> body = DecodeJsonResponse(context.http.Delete(path));
    if (!body.ok()) return body.status();
    if (!context.global.json) context.out << "deleted alias " << alias << " of " << name << "\n";
    return absl::OkStatus();
  }
  int64_t version = 0;
  if (!absl::SimpleAtoi(context.operands[2], &version)) {
    return absl::InvalidArgumentError("VERSION must be a number");  // CheckAliasUsage ran
  }
  absl::StatusOr<json> body =
      DecodeJsonResponse(context.http.Put(path, json{{"version", version}}.dump()));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    context.out << PrettyJson(*body);
  } else {
    context.out << name << " alias " << StringField(*body, "alias", alias) << " -> version "
                << IntField(*body, "version").value_or(version) << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> ModelsCommands() {
  std::vector<CommandSpec> commands(6);
  CommandSpec& list = commands[0];
  list.path = {"models", "list"};
  list.summary = "list all models: name, latest version, aliases, description";
  list.run = &RunList;

  CommandSpec& show = commands[1];
  show.path = {"models", "show"};
  show.synopsis = "NAME";
  show.summary = "show a model's fields, aliases and versions";
  show.details = "NAME is one of your models, or TENANT/NAME for a model another tenant shared.";
  show.operands = {"NAME"};
  show.check_usage = &CheckModelRefOperand;
  show.run = &RunShow;

  CommandSpec& versions = commands[2];
  versions.path = {"models", "versions"};
  versions.synopsis = "NAME";
  versions.summary = "list a model's versions: format, size, digest, creation time";
  versions.details = show.details;
  versions.operands = {"NAME"};
  versions.check_usage = &CheckModelRefOperand;
  versions.run = &RunVersions;

  commands[3] = ModelsPushCommand();

  CommandSpec& remove = commands[4];
  remove.path = {"models", "delete"};
  remove.synopsis = "NAME [--version V]";
  remove.summary = "delete a model with all its versions, or only version V";
  remove.details = "  --version V   delete only this version (a number or an alias)";
  remove.flags = {"version"};
  remove.operands = {"NAME"};
  remove.check_usage = &CheckDeleteUsage;
  remove.run = &RunDelete;

  CommandSpec& alias = commands[5];
  alias.path = {"models", "alias"};
  alias.synopsis = "NAME ALIAS (VERSION | --delete)";
  alias.summary = "point an alias (e.g. production) at a version, or remove it";
  alias.details =
      "Requests without a version go to the 'production' alias if it is set, else to the\n"
      "newest version.\n"
      "  --delete   remove the alias instead of setting it";
  alias.flags = {"delete"};
  alias.operands = {"NAME", "ALIAS"};
  alias.optional_operands = {"VERSION"};
  alias.check_usage = &CheckAliasUsage;
  alias.run = &RunAlias;
  commands.push_back(ModelsExportCommand());
  return commands;
}

}  // namespace aiaas::cli
