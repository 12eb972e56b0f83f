#include "server/export_api.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/handler_util.h"
#include "server/request_context.h"

namespace aiaas::server {

void RegisterExportApi(Router* router, const ExportApiDeps& deps) {
  services::ModelRegistry* registry = deps.registry;
  services::ModelAccess* access = deps.access;
  services::ModelExporter* exporter = deps.exporter;
  Handler handler = WrapStatus([registry, access, exporter](
                                   const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
    AIAAS_ASSIGN_OR_RETURN(services::ModelRef ref,
                           AuthorizeModel(access, request, "name", services::Action::kModelRead));
    auto format = request.query.find("format");
    const std::string requested = format == request.query.end() ? "" : format->second;
    AIAAS_RETURN_IF_ERROR(exporter->CheckFormat(requested));
    AIAAS_ASSIGN_OR_RETURN(
        storage::VersionRecord version,
        registry->GetVersion(ref.owner_tenant, ref.model, request.path_params.at("version")));
    AIAAS_ASSIGN_OR_RETURN(std::string path, registry->ArtifactPath(version));
    AIAAS_ASSIGN_OR_RETURN(services::ExportedArtifact file,
                           exporter->Export(path, version.format, requested));
    HttpResponse response;
    response.content_type = file.content_type;
    response.body = std::move(file.bytes);
    response.headers.emplace_back("Content-Disposition",
                                  absl::StrCat("attachment; filename=\"", version.model, "-v",
                                               version.version, file.extension, "\""));
    return response;
  });
  router->Handle("GET", "/api/v1/models/{name}/versions/{version}/export", handler);
  router->Handle("GET", "/api/v1/models/{owner}/{model}/versions/{version}/export", handler);
}

}  // namespace aiaas::server
