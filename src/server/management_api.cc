#include "server/management_api.h"

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/handler_util.h"
#include "server/http_errors.h"
#include "server/management_json.h"
#include "server/request_context.h"
#include "server/serving_config_json.h"
#include "server/version_upload.h"

namespace aiaas::server {
namespace {

using nlohmann::json;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;

HttpResponse NoContent() {
  HttpResponse response;
  response.status = 204;
  return response;
}

absl::StatusOr<json> ParseObject(const HttpRequest& request) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return absl::InvalidArgumentError("the request body is not valid JSON");
  if (!body.is_object())
    return absl::InvalidArgumentError("the request body must be a JSON object");
  return body;
}

absl::StatusOr<std::optional<std::string>> OptionalString(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("'", field, "' must be a string"));
  }
  return std::optional<std::string>(it->get<std::string>());
}

absl::StatusOr<std::optional<std::map<std::string, std::string>>> OptionalLabels(const json& body) {
  auto it = body.find("labels");
  if (it == body.end() || it->is_null()) return std::optional<std::map<std::string, std::string>>();
  if (!it->is_object()) return absl::InvalidArgumentError("'labels' must be an object of strings");
  std::map<std::string, std::string> labels;
  for (const auto& [key, value] : it->items()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("label '", key, "' must be a string"));
    }
    labels[key] = value.get<std::string>();
  }
  return std::optional<std::map<std::string, std::string>>(std::move(labels));
}

absl::StatusOr<int> PageSize(const HttpRequest& request) {
  auto it = request.query.find("page_size");
  if (it == request.query.end()) return kDefaultPageSize;
  int size = 0;
  if (!absl::SimpleAtoi(it->second, &size) || size < 1 || size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be an integer from 1 to ", kMaxPageSize));
  }
  return size;
}

// Adapts a handler returning StatusOr<HttpResponse> to one that always answers.
}  // namespace

void RegisterManagementApi(Router* router, services::ModelRegistry* registry,
                           services::InferenceService* inference,
                           const ManagementApiOptions& options) {
  router->Handle("POST", "/api/v1/models",
                 WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(json body, ParseObject(request));
                   auto name = body.find("name");
                   if (name == body.end() || !name->is_string()) {
                     return absl::InvalidArgumentError("'name' is required and must be a string");
                   }
                   AIAAS_ASSIGN_OR_RETURN(auto description, OptionalString(body, "description"));
                   AIAAS_ASSIGN_OR_RETURN(auto labels, OptionalLabels(body));
                   AIAAS_ASSIGN_OR_RETURN(
                       services::ModelView view,
                       registry->CreateModel(
                           TenantFor(request), name->get<std::string>(), description.value_or(""),
                           labels.value_or(std::map<std::string, std::string>{})));
                   return JsonResponse(201, ModelJson(view));
                 }));

  router->Handle("GET", "/api/v1/models",
                 WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(int page_size, PageSize(request));
                   auto token = request.query.find("page_token");
                   AIAAS_ASSIGN_OR_RETURN(
                       auto page,
                       registry->ListModels(TenantFor(request), page_size,
                                            token == request.query.end() ? "" : token->second));
                   return JsonResponse(200, ModelListJson(page));
                 }));

  router->Handle("GET", "/api/v1/models/{name}",
                 WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(
                       auto view,
                       registry->GetModel(TenantFor(request), request.path_params.at("name")));
                   return JsonResponse(200, ModelJson(view));
                 }));

  router->Handle("PATCH", "/api/v1/models/{name}",
                 WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(json body, ParseObject(request));
                   storage::ModelUpdate update;
                   AIAAS_ASSIGN_OR_RETURN(update.description, OptionalString(body, "description"));
                   AIAAS_ASSIGN_OR_RETURN(update.labels, OptionalLabels(body));
                   AIAAS_ASSIGN_OR_RETURN(
                       auto view, registry->UpdateModel(TenantFor(request),
                                                        request.path_params.at("name"), update));
                   return JsonResponse(200, ModelJson(view));
                 }));

  router->Handle(
      "DELETE", "/api/v1/models/{name}",
      WrapStatus([registry, inference](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        const std::string tenant = TenantFor(request);
        const std::string& name = request.path_params.at("name");
        AIAAS_RETURN_IF_ERROR(registry->DeleteModel(tenant, name));
        inference->UnloadModel(tenant, name);
        return NoContent();
      }));

  int64_t max_upload_bytes = options.max_upload_bytes;
  router->HandleStream("POST", "/api/v1/models/{name}/versions",
                       [registry, max_upload_bytes](const HttpRequest& request) {
                         return StartVersionUpload(request, registry, max_upload_bytes);
                       });

  router->Handle("GET", "/api/v1/models/{name}/versions",
                 WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(
                       auto versions,
                       registry->ListVersions(TenantFor(request), request.path_params.at("name")));
                   return JsonResponse(200, VersionListJson(versions));
                 }));

  router->Handle("GET", "/api/v1/models/{name}/versions/{version}",
                 WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(
                       auto version,
                       registry->GetVersion(TenantFor(request), request.path_params.at("name"),
                                            request.path_params.at("version")));
                   return JsonResponse(200, VersionJson(version));
                 }));

  router->Handle(
      "DELETE", "/api/v1/models/{name}/versions/{version}",
      WrapStatus([registry, inference](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        const std::string tenant = TenantFor(request);
        AIAAS_ASSIGN_OR_RETURN(auto version,
                               registry->DeleteVersion(tenant, request.path_params.at("name"),
                                                       request.path_params.at("version")));
        inference->Unload(tenant, version.model, version.version);
        return NoContent();
      }));

  router->Handle("GET", "/api/v1/models/{name}/versions/{version}/artifact",
                 WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(
                       auto version,
                       registry->GetVersion(TenantFor(request), request.path_params.at("name"),
                                            request.path_params.at("version")));
                   AIAAS_ASSIGN_OR_RETURN(std::string path, registry->ArtifactPath(version));
                   HttpResponse response;
                   response.content_type = "application/octet-stream";
                   response.file_path = path;
                   response.headers.emplace_back(
                       "Content-Disposition",
                       absl::StrCat("attachment; filename=\"", version.model, "-v", version.version,
                                    version.format == "onnx" ? ".onnx" : ".pt", "\""));
                   response.headers.emplace_back("Digest", version.digest);
                   return response;
                 }));

  router->Handle("GET", "/api/v1/models/{name}/versions/{version}/config",
                 WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(
                       auto version,
                       registry->GetVersion(TenantFor(request), request.path_params.at("name"),
                                            request.path_params.at("version")));
                   return JsonResponse(200, EncodeServingConfigJson(version.config));
                 }));

  // A changed configuration takes effect by unloading: the next request loads
  // the version with its new batcher (requests already queued get 503).
  auto update_config = [registry, inference](const HttpRequest& request,
                                             auto change) -> absl::StatusOr<HttpResponse> {
    const std::string tenant = TenantFor(request);
    AIAAS_ASSIGN_OR_RETURN(auto version,
                           registry->GetVersion(tenant, request.path_params.at("name"),
                                                request.path_params.at("version")));
    AIAAS_ASSIGN_OR_RETURN(ServingConfig config, change(version.config));
    AIAAS_ASSIGN_OR_RETURN(auto updated,
                           registry->UpdateServingConfig(tenant, version.model,
                                                         absl::StrCat(version.version), config));
    inference->Unload(tenant, updated.model, updated.version);
    return JsonResponse(200, EncodeServingConfigJson(updated.config));
  };
  router->Handle("PUT", "/api/v1/models/{name}/versions/{version}/config",
                 WrapStatus([update_config](const HttpRequest& request) {
                   return update_config(request, [&](const ServingConfig& base) {
                     return DecodeServingConfigJson(request.body, base);
                   });
                 }));
  auto set_pinned = [update_config](bool pinned) {
    return WrapStatus([update_config, pinned](const HttpRequest& request) {
      return update_config(request,
                           [pinned](ServingConfig config) -> absl::StatusOr<ServingConfig> {
                             config.pinned = pinned;
                             return config;
                           });
    });
  };
  router->Handle("PUT", "/api/v1/models/{name}/versions/{version}/pin", set_pinned(true));
  router->Handle("DELETE", "/api/v1/models/{name}/versions/{version}/pin", set_pinned(false));

  router->Handle("GET", "/api/v1/models/{name}/aliases",
                 WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(
                       auto aliases,
                       registry->ListAliases(TenantFor(request), request.path_params.at("name")));
                   return JsonResponse(200, AliasListJson(aliases));
                 }));

  router->Handle(
      "PUT", "/api/v1/models/{name}/aliases/{alias}",
      WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        AIAAS_ASSIGN_OR_RETURN(json body, ParseObject(request));
        auto version = body.find("version");
        if (version == body.end() || !version->is_number_integer()) {
          return absl::InvalidArgumentError("'version' is required and must be an integer");
        }
        AIAAS_ASSIGN_OR_RETURN(
            auto alias,
            registry->SetAlias(TenantFor(request), request.path_params.at("name"),
                               request.path_params.at("alias"), version->get<int64_t>()));
        return JsonResponse(200, AliasJson(alias));
      }));

  router->Handle(
      "DELETE", "/api/v1/models/{name}/aliases/{alias}",
      WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        AIAAS_RETURN_IF_ERROR(registry->DeleteAlias(
            TenantFor(request), request.path_params.at("name"), request.path_params.at("alias")));
        return NoContent();
      }));
}

}  // namespace aiaas::server
