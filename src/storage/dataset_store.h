#ifndef AIAAS_STORAGE_DATASET_STORE_H_
#define AIAAS_STORAGE_DATASET_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/quota_store.h"

namespace aiaas::storage {

// One immutable version of a dataset: its bytes are the blob `digest` as
// uploaded (csv, csv.gz, npy or npz), described by the schema the server
// inferred when it was uploaded.
struct DatasetVersionRecord {
  std::string tenant;
  std::string name;
  int64_t version = 0;  // assigned by CreateDatasetVersion
  std::string format;   // "csv" | "npy" | "npz"
  std::string digest;   // "sha256:<64 hex>"
  int64_t size_bytes = 0;
  int64_t rows = 0;
  std::string schema_json;  // the inferred schema as a JSON object
  std::string created_by;   // principal or key id, for the record
  int64_t created_at_ms = 0;
};

// Datasets of a tenant. Version numbers are assigned in the inserting
// transaction and never reused (also after deletes).
//
// Thread-safety: all methods may be called concurrently.
// Error codes: NotFound for an unknown tenant, dataset or version;
// PermissionDenied (QuotaExceededError) when a creation would exceed the
// tenant's max_stored_bytes; InvalidArgument for values the table refuses.
class DatasetStore {
 public:
  virtual ~DatasetStore() = default;

  // Creates the dataset on its first version. The quota check (model and
  // dataset bytes together against max_stored_bytes) runs inside the insert
  // transaction. Returns the record with its version and created_at_ms set.
  [[nodiscard]] virtual absl::StatusOr<DatasetVersionRecord> CreateDatasetVersion(
      const DatasetVersionRecord& record, const QuotaLimits& defaults) = 0;

  // `version` 0 means the newest.
  [[nodiscard]] virtual absl::StatusOr<DatasetVersionRecord> GetDatasetVersion(
      const std::string& tenant, const std::string& name, int64_t version) = 0;

  // The newest version of each of the tenant's datasets, by name.
  [[nodiscard]] virtual absl::StatusOr<std::vector<DatasetVersionRecord>> ListDatasets(
      const std::string& tenant) = 0;

  // Every version of one dataset, oldest first; NotFound for an unknown dataset.
  [[nodiscard]] virtual absl::StatusOr<std::vector<DatasetVersionRecord>> ListDatasetVersions(
      const std::string& tenant, const std::string& name) = 0;

  // Deletes one version; returns its digest. A dataset left without versions
  // is not listed, and keeps counting its version numbers on.
  // FailedPrecondition (nothing deleted) while a queued or running job's spec
  // names this dataset and version: the job reads it when it starts or resumes.
  [[nodiscard]] virtual absl::StatusOr<std::string> DeleteDatasetVersion(
      const std::string& tenant, const std::string& name, int64_t version) = 0;

  // Deletes a dataset and all its versions; returns their distinct digests.
  // FailedPrecondition (nothing deleted) while a queued or running job's spec
  // names the dataset.
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> DeleteDataset(
      const std::string& tenant, const std::string& name) = 0;
};

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_DATASET_STORE_H_
