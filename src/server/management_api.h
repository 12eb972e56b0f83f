#ifndef AIAAS_SERVER_MANAGEMENT_API_H_
#define AIAAS_SERVER_MANAGEMENT_API_H_

#include <cstdint>

#include "server/router.h"
#include "services/inference_service.h"
#include "services/model_registry.h"

namespace aiaas::server {

struct ManagementApiOptions {
  int64_t max_upload_bytes = 8LL << 30;
};

// Registers the `/api/v1` model registry routes (docs/api.md) on `router`.
// `registry` and `inference` are borrowed and must outlive the router.
void RegisterManagementApi(Router* router, services::ModelRegistry* registry,
                           services::InferenceService* inference,
                           const ManagementApiOptions& options);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_MANAGEMENT_API_H_
