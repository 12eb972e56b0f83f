// aiaas models grant | grants | revoke-grant | visibility: sharing a model with other
// tenants. The owner grants `read` or `infer`; `public` makes a model readable and servable
// by every authenticated tenant. Grantees address the model as OWNER-TENANT/NAME.

#include "absl/strings/str_cat.h"
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

// "/api/v1/models/<ref segments>/<rest...>".
std::string ModelApiPath(absl::string_view ref, const std::vector<absl::string_view>& rest) {
  std::vector<absl::string_view> segments = {"api", "v1", "models"};
  for (absl::string_view segment : ModelRefSegments(ref)) segments.push_back(segment);
  segments.insert(segments.end(), rest.begin(), rest.end());
  return UrlPath(segments);
}

// Changing who may see a model is the owner's business: NAME only, no TENANT/NAME.
absl::Status CheckOwnModelAndTenant(const std::vector<std::string>& operands,
                                    const ParsedArgs& args) {
  if (absl::Status status = ValidateModelName(operands.at(0)); !status.ok()) return status;
  const std::optional<std::string> tenant = args.Value("tenant");
  if (!tenant.has_value()) return absl::InvalidArgumentError("missing --tenant");
  return ValidateTenantName(*tenant);
}

absl::Status CheckGrantUsage(const std::vector<std::string>& operands, const ParsedArgs& args) {
  if (absl::Status status = CheckOwnModelAndTenant(operands, args); !status.ok()) return status;
  const std::optional<std::string> permission = args.Value("permission");
  if (!permission.has_value()) return absl::InvalidArgumentError("missing --permission");
  if (*permission != "read" && *permission != "infer") {
    return absl::InvalidArgumentError(
        absl::StrCat("--permission '", *permission, "' must be read or infer"));
  }
  return absl::OkStatus();
}

// POST /api/v1/models/{name}/grants {"tenant", "permission"}.
absl::Status RunGrant(CommandContext& context) {
  const std::string& name = context.operands[0];
  const std::string tenant = *context.args.Value("tenant");
  const std::string permission = *context.args.Value("permission");
  absl::StatusOr<json> grant = DecodeJsonResponse(context.http.Post(
      ModelApiPath(name, {"grants"}), json{{"tenant", tenant}, {"permission", permission}}.dump()));
  if (!grant.ok()) return grant.status();
  if (context.global.json) {
    if (!grant->is_null()) context.out << PrettyJson(*grant);
    return absl::OkStatus();
  }
  context.out << "granted " << permission << " on " << name << " to tenant " << tenant
              << "; it addresses the model as <your tenant>/" << name << "\n";
  return absl::OkStatus();
}

// GET /api/v1/models/{name}/grants -> {"grants": [{"tenant", "permission", "created_at"}]}.
absl::Status RunGrants(CommandContext& context) {
  absl::StatusOr<json> body =
      DecodeJsonResponse(context.http.Get(ModelApiPath(context.operands[0], {"grants"})));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    context.out << PrettyJson(*body);
    return absl::OkStatus();
  }
  std::vector<TableRow> rows;
  if (const json* grants = Field(*body, "grants"); grants != nullptr && grants->is_array()) {
    for (const json& grant : *grants) {
      rows.push_back({StringField(grant, "tenant", "-"), StringField(grant, "permission", "-"),
                      FormatTimestamp(StringField(grant, "created_at", "-"))});
    }
  }
  context.out << FormatTable({"TENANT", "PERMISSION", "CREATED"}, rows);
  return absl::OkStatus();
}

// DELETE /api/v1/models/{name}/grants/{tenant}.
absl::Status RunRevokeGrant(CommandContext& context) {
  const std::string& name = context.operands[0];
  const std::string tenant = *context.args.Value("tenant");
  absl::StatusOr<json> body =
      DecodeJsonResponse(context.http.Delete(ModelApiPath(name, {"grants", tenant})));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    if (!body->is_null()) context.out << PrettyJson(*body);
  } else {
    context.out << "revoked the grant of " << name << " to tenant " << tenant << "\n";
  }
  return absl::OkStatus();
}

absl::Status CheckVisibilityUsage(const std::vector<std::string>& operands, const ParsedArgs&) {
  if (absl::Status status = ValidateModelName(operands.at(0)); !status.ok()) return status;
  if (operands.at(1) != "public" && operands.at(1) != "private") {
    return absl::InvalidArgumentError(
        absl::StrCat("VISIBILITY '", operands.at(1), "' must be public or private"));
  }
  return absl::OkStatus();
}

// PATCH /api/v1/models/{name} {"visibility"}.
absl::Status RunVisibility(CommandContext& context) {
  const std::string& name = context.operands[0];
  const std::string& visibility = context.operands[1];
  absl::StatusOr<json> model = DecodeJsonResponse(
      context.http.Patch(ModelApiPath(name, {}), json{{"visibility", visibility}}.dump()));
  if (!model.ok()) return model.status();
  if (context.global.json) {
    if (!model->is_null()) context.out << PrettyJson(*model);
  } else if (visibility == "public") {
    context.out << name << " is now public: every authenticated tenant may read it and run it\n";
  } else {
    context.out << name << " is now private: only your tenant and tenants granted access see it\n";
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> ModelsGrantsCommands() {
  std::vector<CommandSpec> commands(4);
  CommandSpec& grant = commands[0];
  grant.path = {"models", "grant"};
  grant.synopsis = "NAME --tenant T --permission read|infer";
  grant.summary = "share one of your models with another tenant";
  grant.details =
      "  --tenant T            the tenant to share with\n"
      "  --permission P        read (metadata) or infer (metadata and inference)\n"
      "The grantee addresses the model as YOUR-TENANT/NAME and can never push, delete or\n"
      "change aliases.";
  grant.flags = {"tenant", "permission"};
  grant.operands = {"NAME"};
  grant.check_usage = &CheckGrantUsage;
  grant.run = &RunGrant;

  CommandSpec& grants = commands[1];
  grants.path = {"models", "grants"};
  grants.synopsis = "NAME";
  grants.summary = "list the tenants a model is shared with";
  grants.operands = {"NAME"};
  grants.check_usage = [](const std::vector<std::string>& operands, const ParsedArgs&) {
    return ValidateModelRef(operands.at(0));
  };
  grants.run = &RunGrants;

  CommandSpec& revoke = commands[2];
  revoke.path = {"models", "revoke-grant"};
  revoke.synopsis = "NAME --tenant T";
  revoke.summary = "stop sharing a model with a tenant";
  revoke.flags = {"tenant"};
  revoke.operands = {"NAME"};
  revoke.check_usage = &CheckOwnModelAndTenant;
  revoke.run = &RunRevokeGrant;

  CommandSpec& visibility = commands[3];
  visibility.path = {"models", "visibility"};
  visibility.synopsis = "NAME public|private";
  visibility.summary = "make a model public (every authenticated tenant) or private again";
  visibility.operands = {"NAME", "VISIBILITY"};
  visibility.check_usage = &CheckVisibilityUsage;
  visibility.run = &RunVisibility;
  return commands;
}

}  // namespace aiaas::cli
