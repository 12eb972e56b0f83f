#ifndef AIAAS_SERVER_INFERENCE_API_H_
#define AIAAS_SERVER_INFERENCE_API_H_

#include <atomic>

#include "monitoring/metrics.h"
#include "monitoring/model_stats.h"
#include "server/kserve_json_codec.h"
#include "server/router.h"
#include "services/inference_service.h"
#include "services/model_access.h"
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
// Also serves `GET /metrics` (Prometheus text) and the Triton-style
// `GET /v2/models/{m}[/versions/{v}]/stats`.
//
// Every model route is also registered as `/v2/models/{owner}/{model}/...`
// (another tenant's shared model; after the single-name routes, so those win)
// and checks the caller's permission through `access`: infer for infer and
// :predict, model:read for metadata, ready and stats. Handlers expect
// `request.caller` from the admission hook (null: 401).
struct InferenceApiDeps {
  services::InferenceService* inference = nullptr;
  services::ModelRegistry* registry = nullptr;
  services::ModelAccess* access = nullptr;
  const Readiness* readiness = nullptr;
  monitoring::Metrics* metrics = nullptr;
  monitoring::ModelStats* stats = nullptr;
};

void RegisterInferenceApi(Router* router, const InferenceApiDeps& deps, const CodecLimits& limits);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_INFERENCE_API_H_
