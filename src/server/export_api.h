#ifndef AIAAS_SERVER_EXPORT_API_H_
#define AIAAS_SERVER_EXPORT_API_H_

#include "server/router.h"
#include "services/model_access.h"
#include "services/model_exporter.h"
#include "services/model_registry.h"

namespace aiaas::server {

// Borrowed; everything must outlive the router.
struct ExportApiDeps {
  services::ModelRegistry* registry = nullptr;
  services::ModelAccess* access = nullptr;
  services::ModelExporter* exporter = nullptr;
};

// Registers the export of trained models (docs/api.md "Export a trained model"):
//
//   GET /api/v1/models/{name}/versions/{version}/export?format=onnx|safetensors
//   GET /api/v1/models/{owner}/{model}/versions/{version}/export?format=...
//
// with the permission of `.../artifact`: model:read on the addressed model (a shared
// model's read grant suffices). {version} is a number or an alias. Answers 200 with
// the file (Content-Disposition "<model>-v<version>.<onnx|safetensors>"); 400 for a
// missing or unknown format, a version whose format is not "native", or a model that
// cannot be expressed in the format (the message names what); 404 for an unknown or
// invisible model or version; 413 for an artifact above the exporter's limit.
// Register after the management API (its single-name routes come first).
void RegisterExportApi(Router* router, const ExportApiDeps& deps);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_EXPORT_API_H_
