#include "services/dataset_service.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/model_name.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "services/blob_collect.h"
#include "training/data/dataset_reader.h"
#include "training/data/schema.h"

namespace aiaas::services {

DatasetService::DatasetService(storage::DatasetStore* datasets, storage::MetadataStore* metadata,
                               storage::ArtifactStore* artifacts, Quotas* quotas,
                               const DatasetServiceOptions& options)
    : datasets_(datasets),
      metadata_(metadata),
      artifacts_(artifacts),
      quotas_(quotas),
      options_(options) {}

std::string GuessDatasetFormat(absl::string_view filename, absl::string_view head) {
  if (absl::EndsWithIgnoreCase(filename, ".npy")) return "npy";
  if (absl::EndsWithIgnoreCase(filename, ".npz")) return "npz";
  if (absl::EndsWithIgnoreCase(filename, ".csv") || absl::EndsWithIgnoreCase(filename, ".csv.gz")) {
    return "csv";
  }
  if (absl::StartsWith(head, "\x93NUMPY")) return "npy";
  if (absl::StartsWith(head, absl::string_view("PK\x03\x04", 4))) return "npz";
  return "csv";
}

absl::StatusOr<std::unique_ptr<DatasetUpload>> DatasetService::StartUpload() {
  AIAAS_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobWriter> writer,
                         artifacts_->NewWriter(options_.max_upload_bytes));
  return std::make_unique<DatasetUpload>(std::move(writer));
}

absl::StatusOr<StoredBytesBudget> DatasetService::CheckUploadQuota(const std::string& tenant) {
  return quotas_->CheckUpload(tenant, UploadTarget::kExistingModel, 0);
}

absl::StatusOr<storage::DatasetVersionRecord> DatasetService::Create(
    const CreateDatasetRequest& request, std::unique_ptr<DatasetUpload> upload) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(request.name));
  if (upload == nullptr || upload->size_bytes() == 0) {
    return absl::InvalidArgumentError("the dataset file is empty");
  }
  // The upload's writer holds the blob until the row exists or the attempt failed.
  AIAAS_ASSIGN_OR_RETURN(storage::BlobInfo blob, upload->writer_->Commit());
  // From here on, a failure must not leave an unreferenced blob behind.
  auto created = [&]() -> absl::StatusOr<storage::DatasetVersionRecord> {
    AIAAS_ASSIGN_OR_RETURN(std::string bytes, artifacts_->Read(blob.digest));
    std::string format =
        request.format.empty()
            ? GuessDatasetFormat(request.filename, absl::string_view(bytes).substr(0, 8))
            : request.format;
    AIAAS_ASSIGN_OR_RETURN(training::DatasetFormat parsed_format,
                           training::ParseDatasetFormat(format));
    AIAAS_ASSIGN_OR_RETURN(training::DataTable table,
                           training::ReadDataset(bytes, parsed_format, options_.read));
    storage::DatasetVersionRecord record;
    record.tenant = request.tenant;
    record.name = request.name;
    record.format = format;
    record.digest = blob.digest;
    record.size_bytes = blob.size_bytes;
    record.rows = static_cast<int64_t>(table.rows);
    record.schema_json = training::SchemaToJson(training::InferSchema(table)).dump();
    record.created_by = request.created_by;
    return datasets_->CreateDatasetVersion(record, quotas_->defaults());
  }();
  if (!created.ok()) {
    upload.reset();
    CollectBlob(*metadata_, *artifacts_, blob.digest);
  }
  return created;
}

absl::StatusOr<std::vector<storage::DatasetVersionRecord>> DatasetService::List(
    const std::string& tenant) {
  return datasets_->ListDatasets(tenant);
}

absl::StatusOr<std::vector<storage::DatasetVersionRecord>> DatasetService::ListVersions(
    const std::string& tenant, const std::string& name) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(name));
  return datasets_->ListDatasetVersions(tenant, name);
}

absl::StatusOr<storage::DatasetVersionRecord> DatasetService::Get(const std::string& tenant,
                                                                  const std::string& name,
                                                                  int64_t version) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(name));
  return datasets_->GetDatasetVersion(tenant, name, version);
}

absl::Status DatasetService::Delete(const std::string& tenant, const std::string& name) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(name));
  AIAAS_ASSIGN_OR_RETURN(std::vector<std::string> digests, datasets_->DeleteDataset(tenant, name));
  for (const std::string& digest : digests) CollectBlob(*metadata_, *artifacts_, digest);
  return absl::OkStatus();
}

absl::Status DatasetService::DeleteVersion(const std::string& tenant, const std::string& name,
                                           int64_t version) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(name));
  AIAAS_ASSIGN_OR_RETURN(std::string digest,
                         datasets_->DeleteDatasetVersion(tenant, name, version));
  CollectBlob(*metadata_, *artifacts_, digest);
  return absl::OkStatus();
}

absl::StatusOr<training::DataTable> DatasetService::LoadTable(
    const storage::DatasetVersionRecord& record) {
  AIAAS_RETURN_IF_ERROR(artifacts_->Verify(record.digest));
  AIAAS_ASSIGN_OR_RETURN(std::string bytes, artifacts_->Read(record.digest));
  AIAAS_ASSIGN_OR_RETURN(training::DatasetFormat format,
                         training::ParseDatasetFormat(record.format));
  return training::ReadDataset(bytes, format, options_.read);
}

absl::StatusOr<nlohmann::ordered_json> DatasetService::Preview(
    const storage::DatasetVersionRecord& record, size_t rows) {
  AIAAS_ASSIGN_OR_RETURN(training::DataTable table, LoadTable(record));
  return training::PreviewRows(table, rows);
}

}  // namespace aiaas::services
