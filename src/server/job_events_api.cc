#include "server/job_events_api.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/handler_util.h"
#include "server/request_context.h"

namespace aiaas::server {
namespace {

using nlohmann::json;

std::string SseEvent(const char* type, uint64_t seq, const json& data) {
  return absl::StrCat("event: ", type, "\nid: ", seq, "\ndata: ", data.dump(), "\n\n");
}

// Polled on the connection's I/O thread: never blocks (JobService::Snapshot is a map
// lookup under a short lock).
class JobEventStream final : public ResponseStream {
 public:
  JobEventStream(services::JobService* jobs, std::string id, json first, bool ended)
      : jobs_(jobs), id_(std::move(id)), first_(std::move(first)), ended_(ended) {}

  std::optional<std::string> Poll() override {
    if (done_) return std::nullopt;
    if (!sent_first_) {
      sent_first_ = true;
      // The stored state; a snapshot already published supersedes it.
      std::optional<services::JobSnapshot> snapshot = jobs_->Snapshot(id_);
      if (snapshot.has_value()) return Emit(*snapshot);
      done_ = ended_;
      return SseEvent(ended_ ? "end" : "job", 0, first_);
    }
    std::optional<services::JobSnapshot> snapshot = jobs_->Snapshot(id_);
    if (!snapshot.has_value() || snapshot->seq == last_seq_) return std::string();
    return Emit(*snapshot);
  }

 private:
  std::string Emit(const services::JobSnapshot& snapshot) {
    last_seq_ = snapshot.seq;
    done_ = snapshot.final;
    return SseEvent(snapshot.final ? "end" : "job", snapshot.seq, snapshot.event);
  }

  services::JobService* const jobs_;
  const std::string id_;
  const json first_;
  const bool ended_;
  bool sent_first_ = false;
  bool done_ = false;
  uint64_t last_seq_ = 0;
};

}  // namespace

void RegisterJobEventsApi(Router* router, services::JobService* jobs) {
  router->Handle(
      "GET", "/api/v1/jobs/{id}/events",
      WrapStatus([jobs](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller, CallerOf(request));
        if (!caller->Allows(services::Action::kJobRead)) {
          return absl::PermissionDeniedError("this API key lacks the 'job:read' permission");
        }
        AIAAS_ASSIGN_OR_RETURN(storage::JobRecord job,
                               jobs->Get(caller->tenant, request.path_params.at("id")));
        HttpResponse response;
        response.content_type = "text/event-stream";
        response.stream = std::make_shared<JobEventStream>(
            jobs, job.id, services::JobService::EventOf(job), storage::IsFinalJobState(job.state));
        return response;
      }));
}

}  // namespace aiaas::server
