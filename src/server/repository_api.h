#ifndef AIAAS_SERVER_REPOSITORY_API_H_
#define AIAAS_SERVER_REPOSITORY_API_H_

#include "server/router.h"
#include "services/inference_service.h"
#include "services/model_registry.h"

namespace aiaas::server {

// Registers Triton's model repository extension (docs/api.md) on `router`, so
// Triton/KServe tooling can see and control what is loaded:
//
//   POST /v2/repository/index                 200 [{"name", "version", "state", "reason"}]
//   POST /v2/repository/models/{name}/load    200 {} once the default version serves
//   POST /v2/repository/models/{name}/unload  200 {}; the next inference loads it again
//
// Every route acts on the default version (production alias, else newest) of
// the caller's tenant. Errors are the usual `{"error"}`: 404 unknown model (or
// no versions), 400 an artifact that does not load, 503 the memory budget.
//
// `registry` and `inference` are borrowed and must outlive the router.
void RegisterRepositoryApi(Router* router, services::ModelRegistry* registry,
                           services::InferenceService* inference);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_REPOSITORY_API_H_
