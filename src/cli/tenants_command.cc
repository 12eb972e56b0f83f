// aiaas tenants create | list | quotas | set-quota: the teams or companies that own models
// and keys, and their quotas. Creating a tenant or changing its quotas takes a server admin's
// key (the bootstrap key of the `default` tenant is one); a tenant admin may read its own
// tenant's quotas.

#include <algorithm>
#include <array>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
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

// ---- Quotas ----

// The quota flags of set-quota, each the name of its JSON field with '-' for '_'.
constexpr std::array<absl::string_view, 3> kQuotaFlags = {"max-models", "max-stored-bytes",
                                                          "max-concurrent-jobs"};

// "1024", "512M", "10G": a whole number with an optional binary unit K, M, G, T or P
// (K = 1024 bytes; "10G", "10GB" and "10GiB" are the same), case-insensitive.
absl::StatusOr<int64_t> ParseByteSize(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  absl::string_view rest = lower;
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) {
    ++digits;
  }
  absl::string_view number = rest.substr(0, digits);
  absl::string_view unit = rest.substr(digits);
  int shift = 0;
  if (!unit.empty()) {
    constexpr absl::string_view kUnits = "kmgtp";
    const size_t index = kUnits.find(unit.front());
    if (index != absl::string_view::npos) {
      shift = 10 * static_cast<int>(index + 1);
      unit.remove_prefix(1);
      if (unit == "ib" || unit == "b") unit = "";
    } else if (unit == "b") {
      unit = "";
    }
  }
  uint64_t value = 0;
  if (number.empty() || !unit.empty() || !absl::SimpleAtoi(number, &value) ||
      value > (static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) >> shift)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", text, "' is not a size: use bytes or a number with K, M, G, T or P (e.g. 10G)"));
  }
  return static_cast<int64_t>(value << shift);
}

// One quota flag's value as JSON: "default" -> null, else a count (or a size for bytes).
absl::StatusOr<json> QuotaValue(absl::string_view flag, absl::string_view text) {
  if (text == "default") return json(nullptr);
  if (flag == "max-stored-bytes") {
    absl::StatusOr<int64_t> bytes = ParseByteSize(text);
    if (!bytes.ok())
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", bytes.status().message()));
    return json(*bytes);
  }
  int64_t count = 0;
  if (!absl::SimpleAtoi(text, &count) || count < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " '", text, "' must be a whole number >= 0 or 'default'"));
  }
  return json(count);
}

// The body of PUT /api/v1/tenants/{name}/quotas: the quota flags that were given.
absl::StatusOr<json> QuotaUpdateBody(const ParsedArgs& args) {
  json body = json::object();
  for (absl::string_view flag : kQuotaFlags) {
    std::optional<std::string> text = args.Value(flag);
    if (!text.has_value()) continue;
    absl::StatusOr<json> value = QuotaValue(flag, *text);
    if (!value.ok()) return value.status();
    std::string field(flag);
    std::replace(field.begin(), field.end(), '-', '_');
    body[field] = *value;
  }
  if (body.empty()) {
    return absl::InvalidArgumentError(
        "give at least one of --max-models, --max-stored-bytes, --max-concurrent-jobs");
  }
  return body;
}

absl::Status CheckSetQuotaUsage(const std::vector<std::string>& operands, const ParsedArgs& args) {
  if (absl::Status status = ValidateTenantName(operands.at(0)); !status.ok()) return status;
  return QuotaUpdateBody(args).status();
}

// {"tenant", "limits", "overrides", "usage"} as a table: one row per quota.
void PrintQuotas(CommandContext& context, const json& quotas) {
  const json empty = json::object();
  const json* limits = Field(quotas, "limits");
  const json* overrides = Field(quotas, "overrides");
  const json* usage = Field(quotas, "usage");
  struct Row {
    const char* label;
    const char* limit_key;
    const char* usage_key;
    bool bytes;
  };
  constexpr std::array<Row, 3> kRows = {{
      {"models", "max_models", "models", false},
      {"stored bytes", "max_stored_bytes", "stored_bytes", true},
      {"concurrent jobs", "max_concurrent_jobs", "concurrent_jobs", false},
  }};
  auto text = [](const json& object, const char* key, bool bytes) -> std::string {
    std::optional<int64_t> value = IntField(object, key);
    if (!value.has_value()) return "-";
    return bytes ? absl::StrCat(HumanSize(*value), " (", *value, ")") : absl::StrCat(*value);
  };
  std::vector<TableRow> rows;
  for (const Row& row : kRows) {
    const json* override_value = overrides != nullptr ? Field(*overrides, row.limit_key) : nullptr;
    const bool overridden = override_value != nullptr && !override_value->is_null();
    rows.push_back({row.label, text(usage != nullptr ? *usage : empty, row.usage_key, row.bytes),
                    text(limits != nullptr ? *limits : empty, row.limit_key, row.bytes),
                    overridden ? "tenant override" : "server default"});
  }
  context.out << "Tenant: " << StringField(quotas, "tenant", "-") << "\n"
              << FormatTable({"QUOTA", "USED", "LIMIT", "LIMIT FROM"}, rows);
}

// GET /api/v1/tenants/{name}/quotas.
absl::Status RunQuotas(CommandContext& context) {
  absl::StatusOr<json> quotas = DecodeJsonResponse(
      context.http.Get(UrlPath({"api", "v1", "tenants", context.operands[0], "quotas"})));
  if (!quotas.ok()) return quotas.status();
  if (context.global.json) {
    context.out << PrettyJson(*quotas);
    return absl::OkStatus();
  }
  PrintQuotas(context, *quotas);
  return absl::OkStatus();
}

// PUT /api/v1/tenants/{name}/quotas with the given flags; prints the result like `quotas`.
absl::Status RunSetQuota(CommandContext& context) {
  absl::StatusOr<json> body = QuotaUpdateBody(context.args);
  if (!body.ok()) return body.status();
  absl::StatusOr<json> quotas = DecodeJsonResponse(context.http.Put(
      UrlPath({"api", "v1", "tenants", context.operands[0], "quotas"}), body->dump()));
  if (!quotas.ok()) return quotas.status();
  if (context.global.json) {
    context.out << PrettyJson(*quotas);
    return absl::OkStatus();
  }
  PrintQuotas(context, *quotas);
  return absl::OkStatus();
}

}  // namespace

std::vector<CommandSpec> TenantsCommands() {
  std::vector<CommandSpec> commands(4);
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

  CommandSpec& quotas = commands[2];
  quotas.path = {"tenants", "quotas"};
  quotas.synopsis = "NAME";
  quotas.summary = "show a tenant's quotas: models, stored bytes, concurrent jobs, and usage";
  quotas.details =
      "A tenant admin may read its own tenant's quotas, a server admin every tenant's.\n"
      "Stored bytes are the sizes of all the tenant's model and dataset versions added up\n"
      "(identical files in two versions count twice).";
  quotas.operands = {"NAME"};
  quotas.check_usage = &CheckTenantOperand;
  quotas.run = &RunQuotas;

  CommandSpec& set_quota = commands[3];
  set_quota.path = {"tenants", "set-quota"};
  set_quota.synopsis = "NAME [--max-models N] [--max-stored-bytes SIZE] [--max-concurrent-jobs N]";
  set_quota.summary = "change a tenant's quotas (server admins only)";
  set_quota.details =
      "Give at least one flag; the others stay as they are. SIZE is bytes or a number with\n"
      "K, M, G, T or P (binary: 10G = 10 GiB). 'default' for any flag drops the tenant's own\n"
      "limit, so the server's --tenant-max-* default applies again. 0 allows nothing.";
  set_quota.flags = {"max-models", "max-stored-bytes", "max-concurrent-jobs"};
  set_quota.operands = {"NAME"};
  set_quota.check_usage = &CheckSetQuotaUsage;
  set_quota.run = &RunSetQuota;
  return commands;
}

}  // namespace aiaas::cli
