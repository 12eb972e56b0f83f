// aiaas keys create | list | revoke | rotate: API keys of a tenant. A key's secret is
// shown exactly once, when it is created or rotated; the server keeps only its hash.

#include <array>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/api_error.h"
#include "cli/command.h"
#include "cli/expires_in.h"
#include "cli/json_util.h"
#include "cli/model_ref.h"
#include "cli/output.h"
#include "cli/url.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

constexpr std::array<absl::string_view, 4> kRoles = {"admin", "editor", "viewer", "inference"};
constexpr size_t kMaxKeyNameChars = 128;

// "a, b,,c" -> {"a", "b", "c"}; InvalidArgument when nothing is left.
absl::StatusOr<std::vector<std::string>> ParseList(absl::string_view flag, absl::string_view text) {
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) items.emplace_back(item);
  }
  if (items.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " needs at least one entry"));
  }
  return items;
}

// An action such as "infer" or "model:read": lowercase words joined by ':', '_' or '-'.
absl::Status ValidateAction(absl::string_view action) {
  bool ok = absl::ascii_islower(action.front());
  for (char c : action) {
    ok = ok &&
         (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == ':' || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--actions: '", action, "' is not an action name such as infer or model:read"));
}

absl::StatusOr<double> ParseRateLimit(absl::string_view text) {
  double rps = 0;
  if (!absl::SimpleAtod(text, &rps) || !std::isfinite(rps) || rps <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--rate-limit '", text, "' must be a positive number of requests per second"));
  }
  return rps;
}

// The body of POST /api/v1/keys from the command line:
// {"tenant", "role", "name"?, "expires_in_s"?, "models"?, "actions"?, "rate_limit_rps"?}.
absl::StatusOr<json> CreateKeyBody(const ParsedArgs& args) {
  const std::optional<std::string> tenant = args.Value("tenant");
  if (!tenant.has_value()) return absl::InvalidArgumentError("missing --tenant");
  if (absl::Status status = ValidateTenantName(*tenant); !status.ok()) return status;
  const std::optional<std::string> role = args.Value("role");
  if (!role.has_value()) return absl::InvalidArgumentError("missing --role");
  if (std::find(kRoles.begin(), kRoles.end(), *role) == kRoles.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--role '", *role, "' must be one of ", absl::StrJoin(kRoles, ", ")));
  }
  json body = {{"tenant", *tenant}, {"role", *role}};
  if (std::optional<std::string> name = args.Value("name"); name.has_value()) {
    if (name->empty() || name->size() > kMaxKeyNameChars) {
      return absl::InvalidArgumentError(
          absl::StrCat("--name must have 1 to ", kMaxKeyNameChars, " characters"));
    }
    body["name"] = *name;
  }
  if (std::optional<std::string> expires = args.Value("expires-in"); expires.has_value()) {
    absl::StatusOr<int64_t> seconds = ParseExpiresIn(*expires);
    if (!seconds.ok()) return seconds.status();
    body["expires_in_s"] = *seconds;
  }
  if (std::optional<std::string> text = args.Value("models"); text.has_value()) {
    absl::StatusOr<std::vector<std::string>> models = ParseList("models", *text);
    if (!models.ok()) return models.status();
    for (const std::string& model : *models) {
      if (absl::Status status = ValidateModelRef(model); !status.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--models: ", status.message()));
      }
    }
    body["models"] = *models;
  }
  if (std::optional<std::string> text = args.Value("actions"); text.has_value()) {
    absl::StatusOr<std::vector<std::string>> actions = ParseList("actions", *text);
    if (!actions.ok()) return actions.status();
    for (const std::string& action : *actions) {
      if (absl::Status status = ValidateAction(action); !status.ok()) return status;
    }
    body["actions"] = *actions;
  }
  if (std::optional<std::string> text = args.Value("rate-limit"); text.has_value()) {
    absl::StatusOr<double> rps = ParseRateLimit(*text);
    if (!rps.ok()) return rps.status();
    if (*rps == std::floor(*rps) && *rps < 1e15) {
      body["rate_limit_rps"] = static_cast<int64_t>(*rps);  // 10, not 10.0
    } else {
      body["rate_limit_rps"] = *rps;
    }
  }
  return body;
}

// Prints a freshly issued key: the secret once, set apart, with the warning that it cannot
// be shown again. `created` is the 201 body {"id", "prefix", "key", "tenant", "role",
// "expires_at"}.
absl::Status PrintNewKey(CommandContext& context, const json& created, absl::string_view headline) {
  const std::string key = StringField(created, "key");
  if (key.empty()) {
    return absl::InternalError("the server's answer holds no key; it may have been issued anyway");
  }
  if (context.global.json) {
    context.out << PrettyJson(created);
    return absl::OkStatus();
  }
  const json* expires = Field(created, "expires_at");
  const std::string expires_text = expires == nullptr || expires->is_null()
                                       ? "never"
                                       : FormatTimestamp(StringField(created, "expires_at", "-"));
  context.out << headline << " " << FieldText(created, "id") << " (prefix "
              << FieldText(created, "prefix") << ") for tenant " << FieldText(created, "tenant")
              << ", role " << FieldText(created, "role") << ", expires " << expires_text << ".\n\n"
              << "    " << key << "\n\n"
              << "This is the only time the key is shown: it cannot be shown again. Store it now\n"
              << "(e.g. with 'aiaas login', which reads it from standard input, or in a secret\n"
              << "manager) and pass it as AIAAS_API_KEY.\n";
  return absl::OkStatus();
}

absl::Status RunCreate(CommandContext& context) {
  absl::StatusOr<json> body = CreateKeyBody(context.args);
  if (!body.ok()) return body.status();
  absl::StatusOr<json> created =
      DecodeJsonResponse(context.http.Post(UrlPath({"api", "v1", "keys"}), body->dump()));
  if (!created.ok()) return created.status();
  return PrintNewKey(context, *created, "Created key");
}

// "all" for an unrestricted key, else "models=a,b actions=infer".
std::string ScopeText(const json& key) {
  std::vector<std::string> parts;
  for (const char* field : {"models", "actions"}) {
    const json* list = Field(key, field);
    if (list == nullptr || !list->is_array() || list->empty()) continue;
    std::vector<std::string> items;
    for (const json& item : *list) items.push_back(ScalarText(item));
    parts.push_back(absl::StrCat(field, "=", absl::StrJoin(items, ",")));
  }
  return parts.empty() ? "all" : absl::StrJoin(parts, " ");
}

std::string TimeOrDash(const json& object, absl::string_view field) {
  const std::string text = StringField(object, field);
  return text.empty() ? "-" : FormatTimestamp(text);
}

// GET /api/v1/keys[?tenant=T] -> {"keys": [{"id", "prefix", "tenant", "role", "name",
// "created_at", "expires_at", "revoked_at", "models", "actions"}]}.
absl::Status RunList(CommandContext& context) {
  const std::string tenant = context.args.Value("tenant").value_or("");
  absl::StatusOr<json> body = DecodeJsonResponse(
      context.http.Get(WithQuery(UrlPath({"api", "v1", "keys"}), {{"tenant", tenant}})));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    context.out << PrettyJson(*body);
    return absl::OkStatus();
  }
  std::vector<TableRow> rows;
  if (const json* keys = Field(*body, "keys"); keys != nullptr && keys->is_array()) {
    for (const json& key : *keys) {
      rows.push_back({FieldText(key, "id"), FieldText(key, "prefix"), FieldText(key, "tenant"),
                      FieldText(key, "role"), OneLine(StringField(key, "name", "-"), 40),
                      TimeOrDash(key, "created_at"), TimeOrDash(key, "expires_at"),
                      TimeOrDash(key, "revoked_at"), ScopeText(key)});
    }
  }
  context.out << FormatTable(
      {"ID", "PREFIX", "TENANT", "ROLE", "NAME", "CREATED", "EXPIRES", "REVOKED", "SCOPE"}, rows);
  return absl::OkStatus();
}

absl::Status CheckIdOperand(const std::vector<std::string>& operands, const ParsedArgs&) {
  if (operands.at(0).empty()) return absl::InvalidArgumentError("empty ID");
  return absl::OkStatus();
}

absl::Status RunRevoke(CommandContext& context) {
  const std::string& id = context.operands[0];
  absl::StatusOr<json> body =
      DecodeJsonResponse(context.http.Delete(UrlPath({"api", "v1", "keys", id})));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    if (!body->is_null()) context.out << PrettyJson(*body);
  } else {
    context.out << "revoked key " << id << "; requests with it are refused from now on\n";
  }
  return absl::OkStatus();
}

absl::Status RunRotate(CommandContext& context) {
  const std::string& id = context.operands[0];
  absl::StatusOr<json> created =
      DecodeJsonResponse(context.http.Post(UrlPath({"api", "v1", "keys", id, "rotate"}), "{}"));
  if (!created.ok()) return created.status();
  return PrintNewKey(context, *created, absl::StrCat("Rotated key ", id, ": new key"));
}

}  // namespace

std::vector<CommandSpec> KeysCommands() {
  std::vector<CommandSpec> commands(4);
  CommandSpec& create = commands[0];
  create.path = {"keys", "create"};
  create.synopsis =
      "--tenant T --role R [--name N] [--expires-in 30d|12h|90m|3600s]\n"
      "       [--models a,b] [--actions infer,model:read] [--rate-limit RPS]";
  create.summary = "issue an API key and print it (the only time it is shown)";
  create.details =
      "  --tenant T       the tenant the key acts for\n"
      "  --role R         admin (everything), editor (push/delete models, aliases, jobs),\n"
      "                   viewer (read metadata, infer) or inference (infer only)\n"
      "  --name N         a label for 'aiaas keys list'\n"
      "  --expires-in D   lifetime: a whole number and s, m, h or d; default: no expiry\n"
      "  --models LIST    only these models (NAME or TENANT/NAME, comma-separated)\n"
      "  --actions LIST   only these actions, e.g. infer,model:read\n"
      "  --rate-limit N   at most N requests per second with this key\n"
      "With --json the server's answer, key included, is printed as JSON.";
  create.flags = {"tenant", "role", "name", "expires-in", "models", "actions", "rate-limit"};
  create.check_usage = [](const std::vector<std::string>&, const ParsedArgs& args) {
    return CreateKeyBody(args).status();
  };
  create.run = &RunCreate;

  CommandSpec& list = commands[1];
  list.path = {"keys", "list"};
  list.synopsis = "[--tenant T]";
  list.summary = "list keys by id and prefix: tenant, role, expiry, revocation, scope";
  list.details = "  --tenant T   only the keys of tenant T";
  list.flags = {"tenant"};
  list.check_usage = [](const std::vector<std::string>&, const ParsedArgs& args) {
    const std::optional<std::string> tenant = args.Value("tenant");
    return tenant.has_value() ? ValidateTenantName(*tenant) : absl::OkStatus();
  };
  list.run = &RunList;

  CommandSpec& revoke = commands[2];
  revoke.path = {"keys", "revoke"};
  revoke.synopsis = "ID";
  revoke.summary = "revoke a key at once (ID from 'aiaas keys list')";
  revoke.operands = {"ID"};
  revoke.check_usage = &CheckIdOperand;
  revoke.run = &RunRevoke;

  CommandSpec& rotate = commands[3];
  rotate.path = {"keys", "rotate"};
  rotate.synopsis = "ID";
  rotate.summary = "replace a key's secret and print the new one (shown only once)";
  rotate.operands = {"ID"};
  rotate.check_usage = &CheckIdOperand;
  rotate.run = &RunRotate;
  return commands;
}

}  // namespace aiaas::cli
