// aiaas tenants create | list: the teams or companies that own models and keys. Creating a
// tenant takes a server admin's key (the bootstrap key of the `default` tenant is one).

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

absl::Status CheckTenantOperand(const std::vector<std::string>& operands, const ParsedArgs&) {
  return ValidateTenantName(operands.at(0));
}

// POST /api/v1/tenants {"name"} -> 201 {"name", "created_at", ...}.
absl::Status RunCreate(CommandContext& context) {
  const std::string& name = context.operands[0];
  absl::StatusOr<json> tenant = DecodeJsonResponse(
      context.http.Post(UrlPath({"api", "v1", "tenants"}), json{{"name", name}}.dump()));
  if (!tenant.ok()) return tenant.status();
  if (context.global.json) {
    context.out << PrettyJson(*tenant);
    return absl::OkStatus();
  }
  context.out << "created tenant " << StringField(*tenant, "name", name) << "\n"
              << FormatTable(
                     {"Name:", StringField(*tenant, "name", name)},
                     {{"Created:", FormatTimestamp(StringField(*tenant, "created_at", "-"))}})
              << "Give it an admin key with: aiaas keys create --tenant " << name
              << " --role admin\n";
  return absl::OkStatus();
}

// GET /api/v1/tenants -> {"tenants": [{"name", "created_at"}]}.
absl::Status RunList(CommandContext& context) {
  absl::StatusOr<json> body =
      DecodeJsonResponse(context.http.Get(UrlPath({"api", "v1", "tenants"})));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    context.out << PrettyJson(*body);
    return absl::OkStatus();
  }
  std::vector<TableRow> rows;
  if (const json* tenants = Field(*body, "tenants"); tenants != nullptr && tenants->is_array()) {
    for (const json& tenant : *tenants) {
      rows.push_back({StringField(tenant, "name", "-"),
                      FormatTimestamp(StringField(tenant, "created_at", "-"))});
    }
  }
  context.out << FormatTable({"NAME", "CREATED"}, rows);
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> TenantsCommands() {
  std::vector<CommandSpec> commands(2);
  CommandSpec& create = commands[0];
  create.path = {"tenants", "create"};
  create.synopsis = "NAME";
  create.summary = "create a tenant (a team or company with its own models and keys)";
  create.details =
      "Needs a server admin's key. Tenant names follow the model-name rule\n"
      "([a-z0-9][a-z0-9._-]{0,127}) and may not be 'versions'.";
  create.operands = {"NAME"};
  create.check_usage = &CheckTenantOperand;
  create.run = &RunCreate;

  CommandSpec& list = commands[1];
  list.path = {"tenants", "list"};
  list.summary = "list the tenants your key may see: name, creation time";
  list.run = &RunList;
  return commands;
}

}  // namespace aiaas::cli
