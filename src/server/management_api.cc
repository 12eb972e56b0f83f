#include "server/management_api.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model_name.h"
#include "common/status_macros.h"
#include "server/handler_util.h"
#include "server/http_errors.h"
#include "server/management_json.h"
#include "server/request_audit.h"
#include "server/request_context.h"
#include "server/serving_config_json.h"
#include "server/version_upload.h"

namespace aiaas::server {
namespace {

// The file name extension of a downloaded artifact of `format`.
absl::string_view ArtifactExtension(const std::string& format) {
  if (format == "onnx") return ".onnx";
  if (format == "torchscript") return ".pt";
  return ".bin";  // native bundles and anything newer
}

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

// A route on one model: `suffix` goes after "/api/v1/models/{name}" and
// after "/api/v1/models/{owner}/{model}".
struct ModelRoute {
  std::string method;
  std::string suffix;
  Handler handler;
};

}  // namespace

void RegisterManagementApi(Router* router, const ManagementApiDeps& deps,
                           const ManagementApiOptions& options) {
  services::ModelRegistry* registry = deps.registry;
  services::InferenceService* inference = deps.inference;
  services::ModelAccess* access = deps.access;
  using services::Action;
  // The addressed model, once the caller may do `action` on it.
  auto authorize = [access](const HttpRequest& request, Action action) {
    return AuthorizeModel(access, request, "name", action);
  };

  router->Handle(
      "POST", "/api/v1/models",
      WrapAudited("model.create",
                  [registry, access](const HttpRequest& request,
                                     AuditNote& audit) -> absl::StatusOr<HttpResponse> {
                    AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller, CallerOf(request));
                    AIAAS_ASSIGN_OR_RETURN(json body, ParseObject(request));
                    auto name = body.find("name");
                    if (name == body.end() || !name->is_string()) {
                      return absl::InvalidArgumentError("'name' is required and must be a string");
                    }
                    const std::string model = name->get<std::string>();
                    AIAAS_RETURN_IF_ERROR(ValidateModelName(model));
                    audit.resource = ModelResource(caller->tenant, model);
                    AIAAS_RETURN_IF_ERROR(
                        access->Check(*caller, {caller->tenant, model}, Action::kModelWrite));
                    AIAAS_ASSIGN_OR_RETURN(auto description, OptionalString(body, "description"));
                    AIAAS_ASSIGN_OR_RETURN(auto labels, OptionalLabels(body));
                    AIAAS_ASSIGN_OR_RETURN(
                        services::ModelView view,
                        registry->CreateModel(
                            caller->tenant, model, description.value_or(""),
                            labels.value_or(std::map<std::string, std::string>{})));
                    return JsonResponse(201, ModelJson(view));
                  }));

  // The caller's own tenant's models, within the key's model narrowing.
  router->Handle(
      "GET", "/api/v1/models",
      WrapStatus([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller, CallerOf(request));
        if (!caller->Allows(Action::kModelRead)) {
          return absl::PermissionDeniedError("this API key lacks the 'model:read' permission");
        }
        AIAAS_ASSIGN_OR_RETURN(int page_size, PageSize(request));
        auto token = request.query.find("page_token");
        AIAAS_ASSIGN_OR_RETURN(
            auto page, registry->ListModels(caller->tenant, page_size,
                                            token == request.query.end() ? "" : token->second));
        page.items.erase(std::remove_if(page.items.begin(), page.items.end(),
                                        [caller](const services::ModelView& view) {
                                          return !caller->AllowsModel(caller->tenant,
                                                                      view.model.name);
                                        }),
                         page.items.end());
        return JsonResponse(200, ModelListJson(page));
      }));

  std::vector<ModelRoute> routes;

  routes.push_back(
      {"GET", "",
       WrapStatus(
           [registry, authorize](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
             AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelRead));
             AIAAS_ASSIGN_OR_RETURN(auto view, registry->GetModel(ref.owner_tenant, ref.model));
             return JsonResponse(200, ModelJson(view));
           })});

  // Description and labels (model:write); visibility as well needs grants:manage.
  routes.push_back(
      {"PATCH", "",
       WrapAudited(
           "model.update",
           [registry, access](const HttpRequest& request,
                              AuditNote& audit) -> absl::StatusOr<HttpResponse> {
             AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller, CallerOf(request));
             AIAAS_ASSIGN_OR_RETURN(json body, ParseObject(request));
             storage::ModelUpdate update;
             AIAAS_ASSIGN_OR_RETURN(update.description, OptionalString(body, "description"));
             AIAAS_ASSIGN_OR_RETURN(update.labels, OptionalLabels(body));
             AIAAS_ASSIGN_OR_RETURN(auto visibility, OptionalString(body, "visibility"));
             AIAAS_ASSIGN_OR_RETURN(
                 services::ModelRef ref,
                 AuthorizeModel(*caller, access, request, "name", Action::kModelWrite));
             audit.resource = ModelResource(ref);
             std::vector<std::string> fields;  // what the request changes, for the audit detail
             if (update.description.has_value()) fields.push_back("description");
             if (update.labels.has_value()) fields.push_back("labels");
             if (visibility.has_value()) fields.push_back("visibility=" + *visibility);
             audit.detail = absl::StrJoin(fields, " ");
             // Everything that can refuse the visibility is checked before any change.
             if (visibility.has_value()) {
               if (*visibility != "private" && *visibility != "public") {
                 return absl::InvalidArgumentError("'visibility' must be 'private' or 'public'");
               }
               if (!caller->Allows(Action::kGrantsManage)) {
                 return absl::PermissionDeniedError(
                     "this API key lacks the 'grants:manage' permission");
               }
             }
             const bool changes_fields =
                 update.description.has_value() || update.labels.has_value();
             if (changes_fields || !visibility.has_value()) {
               AIAAS_RETURN_IF_ERROR(
                   registry->UpdateModel(ref.owner_tenant, ref.model, update).status());
             }
             // Check() allows model:write on own models only, so `ref.model` is the caller's.
             if (visibility.has_value()) {
               AIAAS_RETURN_IF_ERROR(access->SetVisibility(*caller, ref.model, *visibility));
               AuditOf(request).Record("model.visibility", ModelResource(ref), absl::OkStatus(),
                                       *visibility);
             }
             AIAAS_ASSIGN_OR_RETURN(auto view, registry->GetModel(ref.owner_tenant, ref.model));
             return JsonResponse(200, ModelJson(view));
           })});

  routes.push_back(
      {"DELETE", "",
       WrapAudited("model.delete",
                   [registry, inference, authorize](const HttpRequest& request, AuditNote& audit)
                       -> absl::StatusOr<HttpResponse> {
                     AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelWrite));
                     audit.resource = ModelResource(ref);
                     AIAAS_RETURN_IF_ERROR(registry->DeleteModel(ref.owner_tenant, ref.model));
                     inference->UnloadModel(ref.owner_tenant, ref.model);
                     return NoContent();
                   })});

  routes.push_back({"GET", "/versions",
                    WrapStatus([registry, authorize](
                                   const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                      AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelRead));
                      AIAAS_ASSIGN_OR_RETURN(auto versions,
                                             registry->ListVersions(ref.owner_tenant, ref.model));
                      return JsonResponse(200, VersionListJson(versions));
                    })});

  routes.push_back({"GET", "/versions/{version}",
                    WrapStatus([registry, authorize](
                                   const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                      AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelRead));
                      AIAAS_ASSIGN_OR_RETURN(
                          auto version, registry->GetVersion(ref.owner_tenant, ref.model,
                                                             request.path_params.at("version")));
                      return JsonResponse(200, VersionJson(version));
                    })});

  routes.push_back(
      {"DELETE", "/versions/{version}",
       WrapAudited("version.delete",
                   [registry, inference, authorize](const HttpRequest& request, AuditNote& audit)
                       -> absl::StatusOr<HttpResponse> {
                     AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelWrite));
                     audit.resource = ModelResource(ref, request.path_params.at("version"));
                     AIAAS_ASSIGN_OR_RETURN(
                         auto version, registry->DeleteVersion(ref.owner_tenant, ref.model,
                                                               request.path_params.at("version")));
                     inference->Unload(ref.owner_tenant, version.model, version.version);
                     audit.resource = ModelResource(ref, absl::StrCat(version.version));
                     return NoContent();
                   })});

  routes.push_back({"GET", "/versions/{version}/artifact",
                    WrapStatus([registry, authorize](
                                   const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                      AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelRead));
                      AIAAS_ASSIGN_OR_RETURN(
                          auto version, registry->GetVersion(ref.owner_tenant, ref.model,
                                                             request.path_params.at("version")));
                      AIAAS_ASSIGN_OR_RETURN(std::string path, registry->ArtifactPath(version));
                      HttpResponse response;
                      response.content_type = "application/octet-stream";
                      response.file_path = path;
                      response.headers.emplace_back(
                          "Content-Disposition",
                          absl::StrCat("attachment; filename=\"", version.model, "-v",
                                       version.version, ArtifactExtension(version.format), "\""));
                      response.headers.emplace_back("Digest", version.digest);
                      return response;
                    })});

  routes.push_back({"GET", "/versions/{version}/config",
                    WrapStatus([registry, authorize](
                                   const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                      AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelRead));
                      AIAAS_ASSIGN_OR_RETURN(
                          auto version, registry->GetVersion(ref.owner_tenant, ref.model,
                                                             request.path_params.at("version")));
                      return JsonResponse(200, EncodeServingConfigJson(version.config));
                    })});

  // A changed configuration takes effect by unloading: the next request loads
  // the version with its new batcher (requests already queued get 503).
  // Audited as `action` with the resulting configuration as the detail.
  auto update_config = [registry, inference, authorize](
                           const HttpRequest& request, AuditNote& audit,
                           auto change) -> absl::StatusOr<HttpResponse> {
    AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelWrite));
    audit.resource = ModelResource(ref, request.path_params.at("version"));
    AIAAS_ASSIGN_OR_RETURN(auto version, registry->GetVersion(ref.owner_tenant, ref.model,
                                                              request.path_params.at("version")));
    audit.resource = ModelResource(ref, absl::StrCat(version.version));
    AIAAS_ASSIGN_OR_RETURN(ServingConfig config, change(version.config));
    AIAAS_ASSIGN_OR_RETURN(auto updated,
                           registry->UpdateServingConfig(ref.owner_tenant, version.model,
                                                         absl::StrCat(version.version), config));
    inference->Unload(ref.owner_tenant, updated.model, updated.version);
    std::string body = EncodeServingConfigJson(updated.config);
    audit.detail = body;
    return JsonResponse(200, std::move(body));
  };
  routes.push_back(
      {"PUT", "/versions/{version}/config",
       WrapAudited("version.config", [update_config](const HttpRequest& request, AuditNote& audit) {
         return update_config(request, audit, [&](const ServingConfig& base) {
           return DecodeServingConfigJson(request.body, base);
         });
       })});
  auto set_pinned = [update_config](bool pinned) {
    return WrapAudited(pinned ? "version.pin" : "version.unpin",
                       [update_config, pinned](const HttpRequest& request, AuditNote& audit) {
                         return update_config(
                             request, audit,
                             [pinned](ServingConfig config) -> absl::StatusOr<ServingConfig> {
                               config.pinned = pinned;
                               return config;
                             });
                       });
  };
  routes.push_back({"PUT", "/versions/{version}/pin", set_pinned(true)});
  routes.push_back({"DELETE", "/versions/{version}/pin", set_pinned(false)});

  routes.push_back({"GET", "/aliases",
                    WrapStatus([registry, authorize](
                                   const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                      AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelRead));
                      AIAAS_ASSIGN_OR_RETURN(auto aliases,
                                             registry->ListAliases(ref.owner_tenant, ref.model));
                      return JsonResponse(200, AliasListJson(aliases));
                    })});

  routes.push_back(
      {"PUT", "/aliases/{alias}",
       WrapAudited(
           "alias.set",
           [registry, authorize](const HttpRequest& request,
                                 AuditNote& audit) -> absl::StatusOr<HttpResponse> {
             AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelWrite));
             audit.resource = ModelResource(ref, request.path_params.at("alias"));
             AIAAS_ASSIGN_OR_RETURN(json body, ParseObject(request));
             auto version = body.find("version");
             if (version == body.end() || !version->is_number_integer()) {
               return absl::InvalidArgumentError("'version' is required and must be an integer");
             }
             AIAAS_ASSIGN_OR_RETURN(auto alias, registry->SetAlias(ref.owner_tenant, ref.model,
                                                                   request.path_params.at("alias"),
                                                                   version->get<int64_t>()));
             audit.detail = absl::StrCat("version ", version->get<int64_t>());
             return JsonResponse(200, AliasJson(alias));
           })});

  routes.push_back(
      {"DELETE", "/aliases/{alias}",
       WrapAudited("alias.delete",
                   [registry, authorize](const HttpRequest& request,
                                         AuditNote& audit) -> absl::StatusOr<HttpResponse> {
                     AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelWrite));
                     audit.resource = ModelResource(ref, request.path_params.at("alias"));
                     AIAAS_RETURN_IF_ERROR(registry->DeleteAlias(ref.owner_tenant, ref.model,
                                                                 request.path_params.at("alias")));
                     return NoContent();
                   })});

  // Runs on the I/O thread before the body is read: a refused push never
  // uploads a byte.
  int64_t max_upload_bytes = options.max_upload_bytes;
  StreamHandler upload =
      [registry, authorize, max_upload_bytes](
          const HttpRequest& request) -> absl::StatusOr<std::unique_ptr<BodyConsumer>> {
    AIAAS_ASSIGN_OR_RETURN(auto ref, authorize(request, Action::kModelWrite));
    const std::string resource = ModelResource(ref);
    auto upload = StartVersionUpload(request, std::move(ref), registry, max_upload_bytes);
    // Refused before the body (415, quota): Finish() never runs to record it.
    if (!upload.ok()) AuditOf(request).Record("version.create", resource, upload.status());
    return upload;
  };

  for (const ModelRoute& route : routes) {
    router->Handle(route.method, "/api/v1/models/{name}" + route.suffix, route.handler);
  }
  router->HandleStream("POST", "/api/v1/models/{name}/versions", upload);
  // Another tenant's model as {owner}/{model}: after every single-name route,
  // so `/api/v1/models/m/versions` stays model m's versions.
  for (const ModelRoute& route : routes) {
    router->Handle(route.method, "/api/v1/models/{owner}/{model}" + route.suffix, route.handler);
  }
  router->HandleStream("POST", "/api/v1/models/{owner}/{model}/versions", upload);
}

}  // namespace aiaas::server
