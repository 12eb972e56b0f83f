#ifndef AIAAS_SERVER_REPOSITORY_API_H_
#define AIAAS_SERVER_REPOSITORY_API_H_

#include "server/router.h"
#include "services/inference_service.h"
#include "services/model_access.h"
#include "services/model_registry.h"

namespace aiaas::server {

// Registers Triton's model repository extension (docs/api.md) on `router`, so
// Triton/KServe tooling can see and control what is loaded:
//
//   POST /v2/repository/index                 200 [{"name", "version", "state", "reason"}]
//   POST /v2/repository/models/{name}/load    200 {} once the default version serves
//   POST /v2/repository/models/{name}/unload  200 {}; the next inference loads it again
//
// Every route acts on the default version (production alias, else newest).
// The index needs model:read and lists the caller's own models (within the
// key's model narrowing) and those other tenants granted to its tenant, as
// "owner/model"; load and unload need model:write on the addressed model
// (so only on the caller's own). Errors are the usual `{"error"}`: 404
// unknown or invisible model (or no versions), 400 an artifact that does not
// load, 403 a missing permission, 503 the memory budget. Handlers expect
// `request.caller` from the admission hook (null: 401).
//
// The pointers are borrowed and must outlive the router.
void RegisterRepositoryApi(Router* router, services::ModelRegistry* registry,
                           services::InferenceService* inference, services::ModelAccess* access);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_REPOSITORY_API_H_
