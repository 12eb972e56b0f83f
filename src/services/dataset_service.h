#ifndef AIAAS_SERVICES_DATASET_SERVICE_H_
#define AIAAS_SERVICES_DATASET_SERVICE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json_fwd.hpp"
#include "services/quotas.h"
#include "storage/artifact_store.h"
#include "storage/dataset_store.h"
#include "training/data/data_table.h"
#include "training/data/read_limits.h"

namespace aiaas::services {

struct DatasetServiceOptions {
  // The largest upload accepted (--max-dataset-bytes); also ReadLimits::max_bytes.
  int64_t max_upload_bytes = int64_t{256} << 20;
  training::ReadLimits read;
};

// Bytes of one dataset upload on their way into the artifact store. Dropping
// it discards them. Not thread-safe: one upload, one thread.
class DatasetUpload {
 public:
  explicit DatasetUpload(std::unique_ptr<storage::BlobWriter> writer)
      : writer_(std::move(writer)) {}
  // ResourceExhausted beyond the upload limit; Internal on I/O errors.
  [[nodiscard]] absl::Status Write(std::string_view bytes) { return writer_->Append(bytes); }
  int64_t size_bytes() const { return writer_->size_bytes(); }

 private:
  friend class DatasetService;
  std::unique_ptr<storage::BlobWriter> writer_;
};

struct CreateDatasetRequest {
  std::string tenant;
  std::string name;
  std::string format;  // csv | npy | npz; "" = from `filename`, else from the bytes
  std::string filename;
  std::string created_by;
};

// Datasets of a tenant: uploads parsed and described once (schema, rows,
// digest), stored as immutable numbered versions over content-addressed
// blobs, read back as DataTables for training and previews.
//
// The caller has authorized the request (dataset:read / dataset:write in the
// caller's tenant); datasets are never shared across tenants.
//
// Thread-safety: all methods may be called concurrently. Borrowed pointers
// must outlive the service.
// Errors: InvalidArgument (bad name or format, a file that does not parse,
// with line numbers for CSV), NotFound, PermissionDenied (stored-bytes quota),
// ResourceExhausted (beyond max_upload_bytes).
class DatasetService {
 public:
  DatasetService(storage::DatasetStore* datasets, storage::MetadataStore* metadata,
                 storage::ArtifactStore* artifacts, Quotas* quotas,
                 const DatasetServiceOptions& options);

  const DatasetServiceOptions& options() const { return options_; }

  [[nodiscard]] absl::StatusOr<std::unique_ptr<DatasetUpload>> StartUpload();

  // Before an upload: PermissionDenied when the tenant has no stored bytes
  // left; the budget to check while the bytes stream in (Create decides).
  [[nodiscard]] absl::StatusOr<StoredBytesBudget> CheckUploadQuota(const std::string& tenant);

  // Parses the uploaded bytes, infers the schema and stores a new version.
  // On any error nothing is left behind.
  [[nodiscard]] absl::StatusOr<storage::DatasetVersionRecord> Create(
      const CreateDatasetRequest& request, std::unique_ptr<DatasetUpload> upload);

  [[nodiscard]] absl::StatusOr<std::vector<storage::DatasetVersionRecord>> List(
      const std::string& tenant);
  [[nodiscard]] absl::StatusOr<std::vector<storage::DatasetVersionRecord>> ListVersions(
      const std::string& tenant, const std::string& name);
  // `version` 0 = the newest.
  [[nodiscard]] absl::StatusOr<storage::DatasetVersionRecord> Get(const std::string& tenant,
                                                                  const std::string& name,
                                                                  int64_t version);
  [[nodiscard]] absl::Status Delete(const std::string& tenant, const std::string& name);
  [[nodiscard]] absl::Status DeleteVersion(const std::string& tenant, const std::string& name,
                                           int64_t version);

  // The stored bytes parsed again (checked against the digest first).
  [[nodiscard]] absl::StatusOr<training::DataTable> LoadTable(
      const storage::DatasetVersionRecord& record);
  // The first `rows` rows as JSON objects (missing cells null).
  [[nodiscard]] absl::StatusOr<nlohmann::ordered_json> Preview(
      const storage::DatasetVersionRecord& record, size_t rows);

 private:
  storage::DatasetStore* const datasets_;
  storage::MetadataStore* const metadata_;
  storage::ArtifactStore* const artifacts_;
  Quotas* const quotas_;
  const DatasetServiceOptions options_;
};

// "csv" | "npy" | "npz" from a file name (.csv, .csv.gz, .tsv not accepted,
// .npy, .npz), else from the leading bytes (NumPy magic, zip magic, else csv).
std::string GuessDatasetFormat(absl::string_view filename, absl::string_view head);

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_DATASET_SERVICE_H_
