#include "server/repository_api.h"

#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/handler_util.h"
#include "server/request_context.h"

namespace aiaas::server {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;  // keeps Triton's field order in the index

// Models listed per registry page while building the index.
constexpr int kIndexPageSize = 1000;

// Triton answers load/unload with an empty object.
HttpResponse EmptyObject() { return JsonResponse(200, "{}"); }

// The optional index request body `{"ready": true}` (Triton): only loaded models.
absl::StatusOr<bool> ReadyOnly(const HttpRequest& request) {
  if (request.body.empty()) return false;
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) {
    return absl::InvalidArgumentError("the request body must be a JSON object");
  }
  auto ready = body.find("ready");
  if (ready == body.end() || ready->is_null()) return false;
  if (!ready->is_boolean()) return absl::InvalidArgumentError("'ready' must be a boolean");
  return ready->get<bool>();
}

absl::StatusOr<HttpResponse> Index(const HttpRequest& request, services::ModelRegistry* registry,
                                   services::InferenceService* inference) {
  AIAAS_ASSIGN_OR_RETURN(bool ready_only, ReadyOnly(request));
  const std::string tenant = TenantFor(request);
  ordered_json entries = ordered_json::array();
  std::string token;
  do {
    AIAAS_ASSIGN_OR_RETURN(auto page, registry->ListModels(tenant, kIndexPageSize, token));
    token = page.next_page_token;
    for (const services::ModelView& view : page.items) {
      const std::string& name = view.model.name;
      ordered_json entry{{"name", name}, {"version", ""}, {"state", "UNAVAILABLE"}, {"reason", ""}};
      if (!view.latest_version.has_value()) {
        entry["reason"] = "the model has no versions";
      } else {
        auto version = registry->GetVersion(tenant, name, "");
        if (absl::IsNotFound(version.status())) continue;  // deleted since the page was read
        if (!version.ok()) return version.status();
        entry["version"] = absl::StrCat(version->version);
        if (inference->IsLoaded(*version)) {
          entry["state"] = "READY";
        } else {
          entry["reason"] = "unloaded";
        }
      }
      if (ready_only && entry["state"] != "READY") continue;
      entries.push_back(std::move(entry));
    }
  } while (!token.empty());
  return JsonResponse(200, entries.dump(-1, ' ', false, ordered_json::error_handler_t::replace));
}

absl::StatusOr<HttpResponse> Load(const HttpRequest& request, services::ModelRegistry* registry,
                                  services::InferenceService* inference) {
  AIAAS_ASSIGN_OR_RETURN(
      auto version, registry->GetVersion(TenantFor(request), request.path_params.at("name"), ""));
  absl::Status loaded = inference->EnsureLoaded(version);
  // The service reports an artifact that does not load as FailedPrecondition
  // (a state of the stored version); to the caller of an explicit load it is
  // a bad model, 400, as Triton answers. Unavailable (memory budget) stays 503.
  if (absl::IsFailedPrecondition(loaded)) {
    return absl::InvalidArgumentError(std::string(loaded.message()));
  }
  AIAAS_RETURN_IF_ERROR(loaded);
  return EmptyObject();
}

absl::StatusOr<HttpResponse> Unload(const HttpRequest& request, services::ModelRegistry* registry,
                                    services::InferenceService* inference) {
  const std::string tenant = TenantFor(request);
  const std::string& name = request.path_params.at("name");
  AIAAS_RETURN_IF_ERROR(registry->GetModel(tenant, name).status());
  // Requests queued on the model are answered 503; executing ones finish.
  inference->UnloadModel(tenant, name);
  return EmptyObject();
}

}  // namespace

void RegisterRepositoryApi(Router* router, services::ModelRegistry* registry,
                           services::InferenceService* inference) {
  router->Handle("POST", "/v2/repository/index",
                 WrapStatus([registry, inference](const HttpRequest& request) {
                   return Index(request, registry, inference);
                 }));
  router->Handle("POST", "/v2/repository/models/{name}/load",
                 WrapStatus([registry, inference](const HttpRequest& request) {
                   return Load(request, registry, inference);
                 }));
  router->Handle("POST", "/v2/repository/models/{name}/unload",
                 WrapStatus([registry, inference](const HttpRequest& request) {
                   return Unload(request, registry, inference);
                 }));
}

}  // namespace aiaas::server
