#include "server/job_api.h"

#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "server/handler_util.h"
#include "server/http_errors.h"
#include "server/management_json.h"
#include "server/request_audit.h"
#include "server/request_context.h"

namespace aiaas::server {
namespace {

using nlohmann::json;
using services::Action;

constexpr int kDefaultListLimit = 50;
constexpr int kMaxListLimit = 1000;

json ParseOr(const std::string& text, json fallback) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? fallback : parsed;
}

json OptionalTime(const std::optional<int64_t>& unix_ms) {
  return unix_ms.has_value() ? json(FormatTimeMs(*unix_ms)) : json(nullptr);
}

absl::StatusOr<const services::Caller*> Authorize(const HttpRequest& request, Action action) {
  AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller, CallerOf(request));
  if (!caller->Allows(action)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "this API key lacks the '", std::string(services::ActionName(action)), "' permission"));
  }
  return caller;
}

std::string JobResource(const std::string& tenant, const std::string& id) {
  return absl::StrCat("job:", tenant, "/", id);
}

}  // namespace

json JobJson(const storage::JobRecord& job) {
  return json{
      {"id", job.id},
      {"type", job.type},
      {"state", job.state},
      {"cancel_requested", job.cancel_requested},
      {"progress", ParseOr(job.progress_json, json::object())},
      {"history", ParseOr(job.history_json, json::array())},
      {"metrics", ParseOr(job.metrics_json, json::object())},
      {"output",
       {{"model", job.output_model.empty() ? json(nullptr) : json(job.output_model)},
        {"version", job.output_version.has_value() ? json(*job.output_version) : json(nullptr)}}},
      {"error", job.error.empty() ? json(nullptr) : json(job.error)},
      {"attempts", job.attempts},
      {"created_by", job.created_by},
      {"created_at", FormatTimeMs(job.created_at_ms)},
      {"started_at", OptionalTime(job.started_at_ms)},
      {"finished_at", OptionalTime(job.finished_at_ms)},
      {"spec", ParseOr(job.spec_json, json::object())}};
}

void RegisterJobApi(Router* router, services::JobService* jobs) {
  router->Handle(
      "POST", "/api/v1/jobs",
      WrapAudited("job.submit",
                  [jobs](const HttpRequest& request,
                         AuditNote& audit) -> absl::StatusOr<HttpResponse> {
                    AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                                           Authorize(request, Action::kJobSubmit));
                    json spec = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
                    if (spec.is_discarded()) {
                      return absl::InvalidArgumentError("the request body is not valid JSON");
                    }
                    AIAAS_ASSIGN_OR_RETURN(storage::JobRecord job, jobs->Submit(*caller, spec));
                    audit.resource = JobResource(caller->tenant, job.id);
                    audit.detail = absl::StrCat(job.type, job.output_model.empty() ? "" : " -> ",
                                                job.output_model);
                    HttpResponse response = JsonResponse(202, JobJson(job).dump());
                    response.headers.emplace_back("Location", "/api/v1/jobs/" + job.id);
                    return response;
                  }));

  router->Handle(
      "GET", "/api/v1/jobs",
      WrapStatus([jobs](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                               Authorize(request, Action::kJobRead));
        int limit = kDefaultListLimit;
        if (auto it = request.query.find("limit"); it != request.query.end()) {
          if (!absl::SimpleAtoi(it->second, &limit) || limit < 1 || limit > kMaxListLimit) {
            return absl::InvalidArgumentError(
                absl::StrCat("limit must be an integer in [1, ", kMaxListLimit, "]"));
          }
        }
        std::optional<std::string> state;
        if (auto it = request.query.find("state"); it != request.query.end()) {
          if (it->second != storage::kJobQueued && it->second != storage::kJobRunning &&
              !storage::IsFinalJobState(it->second)) {
            return absl::InvalidArgumentError(
                "state must be queued, running, succeeded, failed or cancelled");
          }
          state = it->second;
        }
        AIAAS_ASSIGN_OR_RETURN(auto records, jobs->List(caller->tenant, state, limit));
        json list = json::array();
        for (const auto& job : records) list.push_back(JobJson(job));
        return JsonResponse(200, json{{"jobs", list}}.dump());
      }));

  router->Handle("GET", "/api/v1/jobs/{id}",
                 WrapStatus([jobs](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                                          Authorize(request, Action::kJobRead));
                   AIAAS_ASSIGN_OR_RETURN(
                       storage::JobRecord job,
                       jobs->Get(caller->tenant, request.path_params.at("id")));
                   return JsonResponse(200, JobJson(job).dump());
                 }));

  router->Handle(
      "POST", "/api/v1/jobs/{id}/cancel",
      WrapAudited("job.cancel",
                  [jobs](const HttpRequest& request,
                         AuditNote& audit) -> absl::StatusOr<HttpResponse> {
                    AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                                           Authorize(request, Action::kJobSubmit));
                    const std::string& id = request.path_params.at("id");
                    audit.resource = JobResource(caller->tenant, id.substr(0, 64));
                    AIAAS_ASSIGN_OR_RETURN(storage::JobRecord job,
                                           jobs->Cancel(caller->tenant, id));
                    return JsonResponse(200, JobJson(job).dump());
                  }));

  router->Handle("GET", "/api/v1/jobs/{id}/logs",
                 WrapStatus([jobs](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                                          Authorize(request, Action::kJobRead));
                   AIAAS_ASSIGN_OR_RETURN(
                       std::string path,
                       jobs->LogPath(caller->tenant, request.path_params.at("id")));
                   HttpResponse response;
                   response.content_type = "text/plain; charset=utf-8";
                   std::error_code ec;
                   if (std::filesystem::exists(path, ec)) response.file_path = path;
                   return response;
                 }));
}

}  // namespace aiaas::server
