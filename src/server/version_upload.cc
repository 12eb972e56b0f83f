#include "server/version_upload.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/model_name.h"
#include "common/status_macros.h"
#include "server/http_errors.h"
#include "server/kserve_json_codec.h"
#include "server/management_json.h"
#include "server/request_audit.h"
#include "server/serving_config_json.h"
#include "server/upload_form.h"

namespace aiaas::server {
namespace {

constexpr size_t kMaxTextPartBytes = 1 << 20;
// The most a form may carry besides the file: its four text parts and the
// headers and delimiters of at most 16 parts (MultipartLimits). Content-Length
// minus this is a lower bound of the artifact's size for the early quota
// check (a client padding its preamble by megabytes may be refused early).
constexpr int64_t kMaxFormBytesBesidesFile = int64_t{5} << 20;

// A lower bound of the size of the artifact in the body; 0 when unknown.
int64_t MinArtifactBytes(const HttpRequest& request) {
  auto length = request.Header("content-length");
  int64_t bytes = 0;
  if (!length.has_value() || !absl::SimpleAtoi(*length, &bytes)) return 0;
  return std::max<int64_t>(0, bytes - kMaxFormBytesBesidesFile);
}

class VersionUpload final : public BodyConsumer {
 public:
  VersionUpload(std::string tenant, std::string model, std::string boundary,
                services::ModelRegistry* registry, int64_t max_upload_bytes,
                services::StoredBytesBudget budget)
      : tenant_(std::move(tenant)),
        model_(std::move(model)),
        registry_(registry),
        max_upload_bytes_(max_upload_bytes),
        budget_(std::move(budget)),
        form_(std::move(boundary),
              UploadForm::Fields{{"format", "signature", "description", "config"},
                                 kMaxTextPartBytes,
                                 "the model artifact"},
              UploadForm::FileSink{[this](const PartHeaders&) { return OpenFile(); },
                                   [this](std::string_view data) { return WriteFile(data); }}) {}

  // Who pushes, for the "version.create" audit event of Finish().
  RequestAudit audit;

  absl::Status Consume(std::string_view chunk) override { return form_.Feed(chunk); }

  HttpResponse Finish() override {
    auto version = CreateVersion();
    audit.Record("version.create",
                 ModelResource(tenant_, model_, version.ok() ? absl::StrCat(version->version) : ""),
                 version.status(),
                 version.ok() ? absl::StrCat(version->format, " ", version->digest) : "");
    if (!version.ok()) return ErrorResponse(version.status());
    HttpResponse response;
    response.status = 201;
    response.body = VersionJson(*version);
    response.headers.emplace_back(
        "Location", absl::StrCat("/api/v1/models/", model_, "/versions/", version->version));
    return response;
  }

 private:
  absl::Status OpenFile() {
    AIAAS_ASSIGN_OR_RETURN(upload_, registry_->StartUpload(max_upload_bytes_));
    return absl::OkStatus();
  }

  absl::Status WriteFile(std::string_view data) {
    // Stop as soon as the file outgrows the tenant's quota (the final check
    // is in the transaction that would insert the version).
    AIAAS_RETURN_IF_ERROR(budget_.Check(upload_->size_bytes() + static_cast<int64_t>(data.size())));
    return upload_->Write(data);
  }

  absl::StatusOr<storage::VersionRecord> CreateVersion() {
    AIAAS_RETURN_IF_ERROR(form_.Finish());
    const std::string* format = form_.Text("format");
    if (format == nullptr || format->empty()) {
      return absl::InvalidArgumentError(
          "the form has no 'format' field; set it to 'torchscript' or 'onnx'");
    }
    services::PushRequest push;
    push.tenant = tenant_;
    push.model = model_;
    push.format = *format;
    if (const std::string* text = form_.Text("description")) push.description = *text;
    if (const std::string* text = form_.Text("signature"); text != nullptr && !text->empty()) {
      auto signature = DecodeSignatureJson(*text);
      if (!signature.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid 'signature' field: ", std::string(signature.status().message())));
      }
      push.signature = *std::move(signature);
    }
    if (const std::string* text = form_.Text("config"); text != nullptr && !text->empty()) {
      auto config = DecodeServingConfigJson(*text, ServingConfig{});
      if (!config.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("invalid 'config' field: ", std::string(config.status().message())));
      }
      push.config = *std::move(config);
    }
    return registry_->PushVersion(push, std::move(upload_));
  }

  const std::string tenant_;
  const std::string model_;
  services::ModelRegistry* const registry_;
  const int64_t max_upload_bytes_;
  const services::StoredBytesBudget budget_;
  std::unique_ptr<services::ArtifactUpload> upload_;
  UploadForm form_;  // last: its callbacks use the members above
};

}  // namespace

absl::StatusOr<std::unique_ptr<BodyConsumer>> StartVersionUpload(const HttpRequest& request,
                                                                 services::ModelRef target,
                                                                 services::ModelRegistry* registry,
                                                                 int64_t max_upload_bytes) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(target.model));
  AIAAS_ASSIGN_OR_RETURN(std::string boundary, UploadFormBoundary(request));
  // Before a byte of the body is read: a push that certainly exceeds a quota
  // (a new model beyond max_models, a Content-Length beyond the bytes left).
  AIAAS_ASSIGN_OR_RETURN(
      services::StoredBytesBudget budget,
      registry->CheckPushQuota(target.owner_tenant, target.model, MinArtifactBytes(request)));
  auto upload = std::make_unique<VersionUpload>(std::move(target.owner_tenant),
                                                std::move(target.model), std::move(boundary),
                                                registry, max_upload_bytes, std::move(budget));
  upload->audit = AuditOf(request);
  return std::unique_ptr<BodyConsumer>(std::move(upload));
}

}  // namespace aiaas::server
