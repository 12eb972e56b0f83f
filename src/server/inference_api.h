#ifndef AIAAS_SERVER_INFERENCE_API_H_
#define AIAAS_SERVER_INFERENCE_API_H_

#include <atomic>

#include "server/kserve_json_codec.h"
#include "server/router.h"
#include "services/inference_service.h"
#include "services/model_registry.h"

namespace aiaas::server {

// Process readiness as the health routes report it: false while starting and
// once shutdown began.
struct Readiness {
  std::atomic<bool> ready{false};
};

// Registers the KServe v2 routes (`/v2/...`: health, server and model
// metadata, model readiness, infer) and the v1 `:predict` route on `router`.
// Borrowed pointers must outlive the router.
void RegisterInferenceApi(Router* router, services::InferenceService* inference,
                          services::ModelRegistry* registry, const Readiness* readiness,
                          const CodecLimits& limits);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_INFERENCE_API_H_
