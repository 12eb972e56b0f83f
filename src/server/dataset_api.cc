#include "server/dataset_api.h"

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "server/handler_util.h"
#include "server/http_errors.h"
#include "server/management_json.h"
#include "server/request_audit.h"
#include "server/request_context.h"
#include "server/upload_form.h"

namespace aiaas::server {
namespace {

using nlohmann::json;
using services::Action;

constexpr size_t kMaxTextPartBytes = 4096;
constexpr size_t kDefaultPreviewRows = 20;
constexpr size_t kMaxPreviewRows = 1000;

std::string DatasetResource(absl::string_view tenant, absl::string_view name,
                            absl::string_view version = "") {
  return absl::StrCat("dataset:", tenant, "/", name, version.empty() ? "" : "@", version);
}

json DatasetVersionJson(const storage::DatasetVersionRecord& record) {
  json schema = json::parse(record.schema_json, nullptr, /*allow_exceptions=*/false);
  return json{{"name", record.name},
              {"version", record.version},
              {"format", record.format},
              {"digest", record.digest},
              {"size_bytes", record.size_bytes},
              {"rows", record.rows},
              {"schema", schema.is_discarded() ? json::object() : schema},
              {"created_by", record.created_by},
              {"created_at", FormatTimeMs(record.created_at_ms)}};
}

absl::StatusOr<const services::Caller*> Authorize(const HttpRequest& request, Action action) {
  AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller, CallerOf(request));
  if (!caller->Allows(action)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "this API key lacks the '", std::string(services::ActionName(action)), "' permission"));
  }
  return caller;
}

// "3" or "latest" (0).
absl::StatusOr<int64_t> ParseVersion(const std::string& text) {
  if (text == "latest") return 0;
  int64_t version = 0;
  if (!absl::SimpleAtoi(text, &version) || version < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset version must be a positive integer or 'latest', got '", text.substr(0, 32), "'"));
  }
  return version;
}

// A `POST /api/v1/datasets` body: the `file` part streams into the artifact
// store; `name` and `format` are small text parts in any order.
class DatasetUploadConsumer final : public BodyConsumer {
 public:
  DatasetUploadConsumer(const services::Caller& caller, std::string boundary,
                        services::DatasetService* datasets, services::StoredBytesBudget budget)
      : tenant_(caller.tenant),
        created_by_(caller.KeyPrefix()),
        datasets_(datasets),
        budget_(std::move(budget)),
        form_(std::move(boundary),
              UploadForm::Fields{{"name", "format"}, kMaxTextPartBytes, "the dataset"},
              UploadForm::FileSink{[this](const PartHeaders& headers) { return OpenFile(headers); },
                                   [this](std::string_view data) { return WriteFile(data); }}) {}

  RequestAudit audit;

  absl::Status Consume(std::string_view chunk) override { return form_.Feed(chunk); }

  HttpResponse Finish() override {
    auto created = Create();
    const std::string* name = form_.Text("name");
    audit.Record("dataset.create",
                 DatasetResource(tenant_, name != nullptr ? *name : "",
                                 created.ok() ? absl::StrCat(created->version) : ""),
                 created.status(),
                 created.ok() ? absl::StrCat(created->format, " ", created->digest) : "");
    if (!created.ok()) return ErrorResponse(created.status());
    HttpResponse response = JsonResponse(201, DatasetVersionJson(*created).dump());
    response.headers.emplace_back("Location", absl::StrCat("/api/v1/datasets/", created->name,
                                                           "/versions/", created->version));
    return response;
  }

 private:
  absl::Status OpenFile(const PartHeaders& headers) {
    filename_ = headers.filename.value_or("");
    AIAAS_ASSIGN_OR_RETURN(upload_, datasets_->StartUpload());
    return absl::OkStatus();
  }

  absl::Status WriteFile(std::string_view data) {
    AIAAS_RETURN_IF_ERROR(budget_.Check(upload_->size_bytes() + static_cast<int64_t>(data.size())));
    return upload_->Write(data);
  }

  absl::StatusOr<storage::DatasetVersionRecord> Create() {
    AIAAS_RETURN_IF_ERROR(form_.Finish());
    services::CreateDatasetRequest request;
    request.tenant = tenant_;
    AIAAS_ASSIGN_OR_RETURN(request.name, form_.RequiredText("name"));
    if (const std::string* format = form_.Text("format")) request.format = *format;
    request.filename = filename_;
    request.created_by = created_by_;
    return datasets_->Create(request, std::move(upload_));
  }

  const std::string tenant_;
  const std::string created_by_;
  services::DatasetService* const datasets_;
  const services::StoredBytesBudget budget_;
  std::string filename_;
  std::unique_ptr<services::DatasetUpload> upload_;
  UploadForm form_;  // last: its callbacks use the members above
};

}  // namespace

void RegisterDatasetApi(Router* router, services::DatasetService* datasets) {
  router->HandleStream(
      "POST", "/api/v1/datasets",
      [datasets](const HttpRequest& request) -> absl::StatusOr<std::unique_ptr<BodyConsumer>> {
        auto started = [&]() -> absl::StatusOr<std::unique_ptr<BodyConsumer>> {
          AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                                 Authorize(request, Action::kDatasetWrite));
          AIAAS_ASSIGN_OR_RETURN(std::string boundary, UploadFormBoundary(request));
          AIAAS_ASSIGN_OR_RETURN(services::StoredBytesBudget budget,
                                 datasets->CheckUploadQuota(caller->tenant));
          auto consumer = std::make_unique<DatasetUploadConsumer>(*caller, std::move(boundary),
                                                                  datasets, std::move(budget));
          consumer->audit = AuditOf(request);
          return std::unique_ptr<BodyConsumer>(std::move(consumer));
        }();
        if (!started.ok()) {
          AuditOf(request).Record("dataset.create", "dataset:", started.status());
        }
        return started;
      });

  router->Handle("GET", "/api/v1/datasets",
                 WrapStatus([datasets](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
                   AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                                          Authorize(request, Action::kDatasetRead));
                   AIAAS_ASSIGN_OR_RETURN(auto records, datasets->List(caller->tenant));
                   json list = json::array();
                   for (const auto& record : records) list.push_back(DatasetVersionJson(record));
                   return JsonResponse(200, json{{"datasets", list}}.dump());
                 }));

  router->Handle(
      "GET", "/api/v1/datasets/{name}",
      WrapStatus([datasets](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                               Authorize(request, Action::kDatasetRead));
        const std::string& name = request.path_params.at("name");
        AIAAS_ASSIGN_OR_RETURN(auto records, datasets->ListVersions(caller->tenant, name));
        json versions = json::array();
        for (const auto& record : records) versions.push_back(DatasetVersionJson(record));
        return JsonResponse(
            200,
            json{{"name", name}, {"latest_version", records.back().version}, {"versions", versions}}
                .dump());
      }));

  router->Handle("DELETE", "/api/v1/datasets/{name}",
                 WrapAudited("dataset.delete",
                             [datasets](const HttpRequest& request,
                                        AuditNote& audit) -> absl::StatusOr<HttpResponse> {
                               AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                                                      Authorize(request, Action::kDatasetWrite));
                               const std::string& name = request.path_params.at("name");
                               audit.resource = DatasetResource(caller->tenant, name);
                               AIAAS_RETURN_IF_ERROR(datasets->Delete(caller->tenant, name));
                               HttpResponse response;
                               response.status = 204;
                               return response;
                             }));

  router->Handle(
      "GET", "/api/v1/datasets/{name}/versions/{version}",
      WrapStatus([datasets](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                               Authorize(request, Action::kDatasetRead));
        AIAAS_ASSIGN_OR_RETURN(int64_t version, ParseVersion(request.path_params.at("version")));
        AIAAS_ASSIGN_OR_RETURN(
            auto record, datasets->Get(caller->tenant, request.path_params.at("name"), version));
        return JsonResponse(200, DatasetVersionJson(record).dump());
      }));

  router->Handle(
      "DELETE", "/api/v1/datasets/{name}/versions/{version}",
      WrapAudited(
          "dataset.delete",
          [datasets](const HttpRequest& request, AuditNote& audit) -> absl::StatusOr<HttpResponse> {
            AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                                   Authorize(request, Action::kDatasetWrite));
            const std::string& name = request.path_params.at("name");
            audit.resource =
                DatasetResource(caller->tenant, name, request.path_params.at("version"));
            AIAAS_ASSIGN_OR_RETURN(int64_t version,
                                   ParseVersion(request.path_params.at("version")));
            if (version == 0) {
              return absl::InvalidArgumentError("name the version to delete, not 'latest'");
            }
            AIAAS_RETURN_IF_ERROR(datasets->DeleteVersion(caller->tenant, name, version));
            HttpResponse response;
            response.status = 204;
            return response;
          }));

  router->Handle(
      "GET", "/api/v1/datasets/{name}/preview",
      WrapStatus([datasets](const HttpRequest& request) -> absl::StatusOr<HttpResponse> {
        AIAAS_ASSIGN_OR_RETURN(const services::Caller* caller,
                               Authorize(request, Action::kDatasetRead));
        size_t rows = kDefaultPreviewRows;
        if (auto it = request.query.find("rows"); it != request.query.end()) {
          if (!absl::SimpleAtoi(it->second, &rows) || rows < 1 || rows > kMaxPreviewRows) {
            return absl::InvalidArgumentError(
                absl::StrCat("rows must be an integer in [1, ", kMaxPreviewRows, "]"));
          }
        }
        int64_t version = 0;
        if (auto it = request.query.find("version"); it != request.query.end()) {
          AIAAS_ASSIGN_OR_RETURN(version, ParseVersion(it->second));
        }
        AIAAS_ASSIGN_OR_RETURN(
            auto record, datasets->Get(caller->tenant, request.path_params.at("name"), version));
        AIAAS_ASSIGN_OR_RETURN(nlohmann::ordered_json preview, datasets->Preview(record, rows));
        nlohmann::ordered_json columns = nlohmann::ordered_json::array();
        json schema = json::parse(record.schema_json, nullptr, /*allow_exceptions=*/false);
        if (schema.is_object() && schema.contains("columns") && schema["columns"].is_array()) {
          for (const json& column : schema["columns"]) columns.push_back(column.value("name", ""));
        }
        nlohmann::ordered_json body = {{"name", record.name},
                                       {"version", record.version},
                                       {"columns", std::move(columns)},
                                       {"rows", std::move(preview)}};
        return JsonResponse(200, body.dump());
      }));
}

}  // namespace aiaas::server
