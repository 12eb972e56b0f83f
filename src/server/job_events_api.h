#ifndef AIAAS_SERVER_JOB_EVENTS_API_H_
#define AIAAS_SERVER_JOB_EVENTS_API_H_

#include "server/router.h"
#include "services/job_service.h"

namespace aiaas::server {

// GET /api/v1/jobs/{id}/events (job:read): Server-Sent Events of one job.
//   event: job   data: {"id", "state", "progress", "epochs", "epoch"?}   while queued/running
//   event: end   data: the same with "metrics", "error"?, "output"?      once, then the end
// The first event is the job as stored; later ones come as the job reports progress
// (coalesced: a slow reader sees the latest state, not every step). A job that already
// ended gets its `end` event at once. Open streams are limited by --max-event-streams.
void RegisterJobEventsApi(Router* router, services::JobService* jobs);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_JOB_EVENTS_API_H_
