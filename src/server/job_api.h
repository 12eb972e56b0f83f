#ifndef AIAAS_SERVER_JOB_API_H_
#define AIAAS_SERVER_JOB_API_H_

#include <string>

#include "nlohmann/json.hpp"
#include "server/router.h"
#include "services/job_service.h"
#include "storage/job_store.h"

namespace aiaas::server {

// Jobs of the caller's tenant (docs/api.md "Jobs"):
//   POST /api/v1/jobs                    a spec -> 202 {"id", "state": "queued", ...}
//   GET  /api/v1/jobs[?state=S&limit=N]  newest first
//   GET  /api/v1/jobs/{id}
//   POST /api/v1/jobs/{id}/cancel
//   GET  /api/v1/jobs/{id}/logs          text/plain
//   GET  /api/v1/jobs/{id}/events        Server-Sent Events (job_events_api.h)
// Submitting and cancelling need job:submit, reading job:read.
void RegisterJobApi(Router* router, services::JobService* jobs);

// The job as the API shows it.
nlohmann::json JobJson(const storage::JobRecord& job);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_JOB_API_H_
