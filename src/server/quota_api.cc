#include "server/quota_api.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/handler_util.h"
#include "server/request_audit.h"
#include "server/request_context.h"

namespace aiaas::server {
namespace {

using nlohmann::json;

constexpr char kMaxModels[] = "max_models";
constexpr char kMaxStoredBytes[] = "max_stored_bytes";
constexpr char kMaxConcurrentJobs[] = "max_concurrent_jobs";

json Nullable(const std::optional<int64_t>& value) {
  return value.has_value() ? json(*value) : json(nullptr);
}

// One field of the PUT body: null clears the override, an integer >= 0 sets it.
absl::StatusOr<std::optional<int64_t>> DecodeLimit(const std::string& key, const json& value) {
  if (value.is_null()) return std::optional<int64_t>();
  const bool fits = value.is_number_integer() &&
                    (!value.is_number_unsigned() ||
                     value.get<uint64_t>() <= uint64_t{std::numeric_limits<int64_t>::max()});
  if (!fits || value.get<int64_t>() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", key, "' must be an integer >= 0, or null for the server default"));
  }
  return std::optional<int64_t>(value.get<int64_t>());
}

}  // namespace

std::string TenantQuotasJson(const services::TenantQuotas& quotas) {
  json body = {
      {"tenant", quotas.tenant},
      {"limits",
       {{kMaxModels, quotas.limits.max_models},
        {kMaxStoredBytes, quotas.limits.max_stored_bytes},
        {kMaxConcurrentJobs, quotas.limits.max_concurrent_jobs}}},
      {"overrides",
       {{kMaxModels, Nullable(quotas.overrides.max_models)},
        {kMaxStoredBytes, Nullable(quotas.overrides.max_stored_bytes)},
        {kMaxConcurrentJobs, Nullable(quotas.overrides.max_concurrent_jobs)}}},
      {"usage",
       {{"models", quotas.usage.models},
        {"stored_bytes", quotas.usage.stored_bytes},
        {"concurrent_jobs", quotas.usage.concurrent_jobs}}},
  };
  return body.dump();
}

absl::StatusOr<storage::QuotaOverridesUpdate> DecodeQuotaUpdateBody(std::string_view body) {
  json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded())
    return absl::InvalidArgumentError("the request body is not valid JSON");
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError("the request body must be a JSON object");
  }
  storage::QuotaOverridesUpdate update;
  for (const auto& [key, value] : parsed.items()) {
    std::optional<std::optional<int64_t>>* field = nullptr;
    if (key == kMaxModels) {
      field = &update.max_models;
    } else if (key == kMaxStoredBytes) {
      field = &update.max_stored_bytes;
    } else if (key == kMaxConcurrentJobs) {
      field = &update.max_concurrent_jobs;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field '", key.substr(0, 64),
                       "'; expected max_models, max_stored_bytes, max_concurrent_jobs"));
    }
    AIAAS_ASSIGN_OR_RETURN(*field, DecodeLimit(key, value));
  }
  return update;
}

void RegisterQuotaApi(Router* router, services::Quotas* quotas) {
  router->Handle("GET", "/api/v1/tenants/{name}/quotas",
                 WrapStatus([quotas](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller, CallerOf(request));
                   AIAAS_ASSIGN_OR_RETURN(services::TenantQuotas got,
                                          quotas->Get(*caller, request.path_params.at("name")));
                   return JsonResponse(200, TenantQuotasJson(got));
                 }));

  router->Handle(
      "PUT", "/api/v1/tenants/{name}/quotas",
      WrapAudited(
          "quota.set",
          [quotas](const HttpRequest& request, AuditNote& audit) -> absl::StatusOr<HttpResponse> {
            AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller, CallerOf(request));
            audit.resource = absl::StrCat("tenant:", request.path_params.at("name").substr(0, 128));
            // Who may change quotas is checked before the body, so a tenant admin
            // learns nothing from a malformed request.
            if (!caller->Allows(services::Action::kTenantsManage)) {
              return absl::PermissionDeniedError(
                  "this API key lacks the 'tenants:manage' permission");
            }
            AIAAS_ASSIGN_OR_RETURN(storage::QuotaOverridesUpdate update,
                                   DecodeQuotaUpdateBody(request.body));
            audit.detail = request.body;  // the limits asked for: small, and no secret
            AIAAS_ASSIGN_OR_RETURN(services::TenantQuotas updated,
                                   quotas->Update(*caller, request.path_params.at("name"), update));
            audit.tenant = request.path_params.at("name");  // its admins see their new limits
            return JsonResponse(200, TenantQuotasJson(updated));
          }));
}

}  // namespace aiaas::server
