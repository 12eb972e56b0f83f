#include "server/inference_api.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/signature_check.h"
#include "common/status_macros.h"
#include "server/http_errors.h"
#include "server/management_json.h"
#include "server/request_context.h"

namespace aiaas::server {
namespace {

constexpr char kServerVersion[] = "0.1.0";

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

// "" when the path names no version: the default (production alias, else newest).
std::string VersionRef(const HttpRequest& request) {
  auto it = request.path_params.find("version");
  return it == request.path_params.end() ? "" : it->second;
}

template <typename Fn>
Handler Wrap(Fn fn) {
  return [fn = std::move(fn)](const HttpRequest& request) -> HttpResponse {
    absl::StatusOr<HttpResponse> response = fn(request);
    if (!response.ok()) return ErrorResponse(response.status());
    return *std::move(response);
  };
}

}  // namespace

void RegisterInferenceApi(Router* router, services::InferenceService* inference,
                          services::ModelRegistry* registry, const Readiness* readiness,
                          const CodecLimits& limits) {
  router->Handle("GET", "/v2/health/live",
                 [](const HttpRequest&) { return Json(200, "{\"live\":true}"); });
  router->Handle("GET", "/v2/health/ready", [readiness](const HttpRequest&) {
    return readiness->ready.load() ? Json(200, "{\"ready\":true}")
                                   : Json(503, "{\"ready\":false}");
  });
  router->Handle("GET", "/v2", [](const HttpRequest&) {
    return Json(200, absl::StrCat("{\"name\":\"aiaas\",\"version\":\"", kServerVersion,
                                  "\",\"extensions\":[]}"));
  });

  auto metadata = Wrap([registry](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    const std::string tenant = TenantFor(request);
    const std::string& model = request.path_params.at("model");
    AIAAS_ASSIGN_OR_RETURN(auto version, registry->GetVersion(tenant, model, VersionRef(request)));
    AIAAS_ASSIGN_OR_RETURN(auto versions, registry->ListVersions(tenant, model));
    return Json(200, V2ModelMetadataJson(version, versions));
  });
  router->Handle("GET", "/v2/models/{model}", metadata);
  router->Handle("GET", "/v2/models/{model}/versions/{version}", metadata);

  auto ready = Wrap([inference](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    AIAAS_ASSIGN_OR_RETURN(auto version,
                           inference->Resolve(TenantFor(request), request.path_params.at("model"),
                                              VersionRef(request)));
    auto loaded = inference->EnsureLoaded(version);
    if (!loaded.ok()) return ErrorResponse(503, std::string(loaded.message()));
    return Json(200, absl::StrCat("{\"name\":", JsonString(version.model), ",\"ready\":true}"));
  });
  router->Handle("GET", "/v2/models/{model}/ready", ready);
  router->Handle("GET", "/v2/models/{model}/versions/{version}/ready", ready);

  auto infer = Wrap([inference, limits](const HttpRequest& request)
                        -> absl::StatusOr<HttpResponse> {
    AIAAS_ASSIGN_OR_RETURN(auto version,
                           inference->Resolve(TenantFor(request), request.path_params.at("model"),
                                              VersionRef(request)));
    AIAAS_ASSIGN_OR_RETURN(InferRequest infer_request,
                           DecodeInferRequest(request.body, version.signature, limits));
    infer_request.model = version.model;
    AIAAS_ASSIGN_OR_RETURN(InferResponse response,
                           inference->Infer(version, std::move(infer_request)));
    return Json(200, EncodeInferResponse(response));
  });
  router->Handle("POST", "/v2/models/{model}/infer", infer);
  router->Handle("POST", "/v2/models/{model}/versions/{version}/infer", infer);

  router->Handle(
      "POST", "/v1/models/{model}:predict",
      Wrap([inference, limits](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        AIAAS_ASSIGN_OR_RETURN(auto version, inference->Resolve(TenantFor(request),
                                                                request.path_params.at("model"),
                                                                ""));
        const Signature& signature = version.signature;
        if (signature.inputs.size() != 1) {
          return absl::InvalidArgumentError(absl::StrCat(
              "the v1 :predict API serves models with exactly one input; '", version.model,
              "' has ", signature.inputs.size(), ". Use /v2/models/", version.model, "/infer"));
        }
        AIAAS_ASSIGN_OR_RETURN(Tensor tensor, DecodeV1PredictRequest(request.body, limits));
        const std::string& name = signature.inputs[0].name;
        AIAAS_RETURN_IF_ERROR(CheckInputAgainstSignature(signature, name, tensor.dtype,
                                                         tensor.shape));
        InferRequest infer_request;
        infer_request.model = version.model;
        infer_request.inputs.emplace(name, std::move(tensor));
        AIAAS_ASSIGN_OR_RETURN(InferResponse response,
                               inference->Infer(version, std::move(infer_request)));
        if (response.outputs.empty()) {
          return absl::InternalError("the model returned no outputs");
        }
        return Json(200, EncodeV1PredictResponse(response.outputs.front().second));
      }));
}

}  // namespace aiaas::server
