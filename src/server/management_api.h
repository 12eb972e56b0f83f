#ifndef AIAAS_SERVER_MANAGEMENT_API_H_
#define AIAAS_SERVER_MANAGEMENT_API_H_

#include <cstdint>

#include "server/router.h"
#include "services/inference_service.h"
#include "services/model_access.h"
#include "services/model_registry.h"

namespace aiaas::server {

// Borrowed; everything must outlive the router.
struct ManagementApiDeps {
  services::ModelRegistry* registry = nullptr;
  services::InferenceService* inference = nullptr;
  services::ModelAccess* access = nullptr;
};

struct ManagementApiOptions {
  int64_t max_upload_bytes = 8LL << 30;
};

// Registers the `/api/v1` model registry routes (docs/api.md) on `router`.
//
// Every model route `/api/v1/models/{name}/...` is also registered as
// `/api/v1/models/{owner}/{model}/...` (after all single-name routes, which
// win on the router's first match), and every handler checks the caller's
// permission on the addressed model through ModelAccess: model:read for
// reads (model, versions, aliases, config, artifact), model:write for
// writes (create, push, PATCH, delete, aliases, config, pin). Listing models
// lists the caller's own tenant (within the key's model narrowing). PATCH
// also takes `{"visibility": "private" | "public"}`. Handlers expect
// `request.caller` from the admission hook (null: 401).
void RegisterManagementApi(Router* router, const ManagementApiDeps& deps,
                           const ManagementApiOptions& options);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_MANAGEMENT_API_H_
