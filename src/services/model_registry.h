#ifndef AIAAS_SERVICES_MODEL_REGISTRY_H_
#define AIAAS_SERVICES_MODEL_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/serving_config.h"
#include "common/tensor.h"
#include "runtime/runtime.h"
#include "services/artifact_upload.h"
#include "services/quotas.h"
#include "services/version_cache.h"
#include "storage/artifact_store.h"
#include "storage/metadata_store.h"

namespace aiaas::services {

// A model with what callers usually want next to it.
struct ModelView {
  storage::ModelRecord model;
  std::optional<int64_t> latest_version;
  std::vector<storage::AliasRecord> aliases;
};

// What a frontend knows about a version being pushed (the bytes travel
// separately, in an ArtifactUpload).
struct PushRequest {
  std::string tenant;
  std::string model;
  std::string format;
  std::string description;
  std::optional<Signature> signature;
  ServingConfig config;
  // JSON objects stored on the version as given ("{}" = none): the evaluation
  // figures of a trained version and where it came from.
  std::string metrics_json = "{}";
  std::string lineage_json = "{}";
};

// Models, versions and aliases of every tenant: validates names, keeps blobs
// and rows consistent (a row is committed only after its blob is in place and
// the artifact loaded), and resolves version references.
//
// Version references (`ref`) are a version number ("3"), an alias name
// ("production"), or empty for the default: the `production` alias if set,
// else the newest version.
//
// Quotas: with `quotas` set, creating a model (CreateModel, or PushVersion to
// a new model) and pushing a version are refused with PermissionDenied beyond
// the tenant's quotas, checked in the transaction that inserts the row.
// Without (null), nothing is limited.
//
// Thread-safety: all methods may be called concurrently. The stores, the
// runtime registry and the quotas are borrowed and must outlive the registry.
// Error codes: InvalidArgument (bad name, format, signature or artifact),
// NotFound (unknown model, version or alias), AlreadyExists (model exists),
// PermissionDenied (a quota would be exceeded).
class ModelRegistry {
 public:
  // Four dependencies of distinct types (no two can be swapped by mistake).
  ModelRegistry(storage::MetadataStore* metadata, storage::ArtifactStore* artifacts,
                const runtime::RuntimeRegistry* runtimes, Quotas* quotas = nullptr)
      : metadata_(metadata), artifacts_(artifacts), runtimes_(runtimes), quotas_(quotas) {}

  [[nodiscard]] absl::StatusOr<ModelView> CreateModel(
      const std::string& tenant, const std::string& name, const std::string& description,
      const std::map<std::string, std::string>& labels);
  [[nodiscard]] absl::StatusOr<ModelView> GetModel(const std::string& tenant,
                                                   const std::string& name);
  [[nodiscard]] absl::StatusOr<storage::Page<ModelView>> ListModels(const std::string& tenant,
                                                                    int page_size,
                                                                    const std::string& page_token);
  [[nodiscard]] absl::StatusOr<ModelView> UpdateModel(const std::string& tenant,
                                                      const std::string& name,
                                                      const storage::ModelUpdate& update);
  // Deletes the model, its versions and aliases, and blobs no longer referenced.
  [[nodiscard]] absl::Status DeleteModel(const std::string& tenant, const std::string& name);

  // Before streaming an artifact of at least `min_size_bytes` (0: unknown) to
  // `model` of `tenant`: PermissionDenied when the push certainly exceeds the
  // tenant's quotas (see Quotas::CheckUpload). Returns the byte budget to
  // check while streaming (unlimited without quotas).
  [[nodiscard]] absl::StatusOr<StoredBytesBudget> CheckPushQuota(const std::string& tenant,
                                                                 const std::string& model,
                                                                 int64_t min_size_bytes);

  // Starts streaming an artifact of at most `max_size_bytes`.
  [[nodiscard]] absl::StatusOr<std::unique_ptr<ArtifactUpload>> StartUpload(int64_t max_size_bytes);

  // Commits the uploaded blob, loads it with the format's runtime to validate
  // it (and derive the signature when none is declared), then creates the next
  // version, creating the model if needed. On any failure nothing is left
  // behind. May take as long as loading the model.
  [[nodiscard]] absl::StatusOr<storage::VersionRecord> PushVersion(
      const PushRequest& request, std::unique_ptr<ArtifactUpload> upload);

  [[nodiscard]] absl::StatusOr<storage::VersionRecord> GetVersion(const std::string& tenant,
                                                                  const std::string& model,
                                                                  const std::string& ref);
  [[nodiscard]] absl::StatusOr<std::vector<storage::VersionRecord>> ListVersions(
      const std::string& tenant, const std::string& model);
  // Deletes one version (and aliases pointing at it); returns what was deleted.
  [[nodiscard]] absl::StatusOr<storage::VersionRecord> DeleteVersion(const std::string& tenant,
                                                                     const std::string& model,
                                                                     const std::string& ref);

  // Replaces a version's serving configuration (the caller unloads the
  // version so the next request loads it with the new configuration).
  [[nodiscard]] absl::StatusOr<storage::VersionRecord> UpdateServingConfig(
      const std::string& tenant, const std::string& model, const std::string& ref,
      const ServingConfig& config);

  [[nodiscard]] absl::StatusOr<storage::AliasRecord> SetAlias(const std::string& tenant,
                                                              const std::string& model,
                                                              const std::string& alias,
                                                              int64_t version);
  [[nodiscard]] absl::Status DeleteAlias(const std::string& tenant, const std::string& model,
                                         const std::string& alias);
  [[nodiscard]] absl::StatusOr<std::vector<storage::AliasRecord>> ListAliases(
      const std::string& tenant, const std::string& model);

  // Local path of a version's artifact, for download or loading.
  [[nodiscard]] absl::StatusOr<std::string> ArtifactPath(const storage::VersionRecord& version);

  // Re-hashes a version's artifact; DataLoss if it was corrupted on disk.
  [[nodiscard]] absl::Status VerifyArtifact(const storage::VersionRecord& version);

 private:
  absl::StatusOr<ModelView> ToView(storage::ModelRecord model);
  // GetVersion without the cache.
  absl::StatusOr<storage::VersionRecord> LookupVersion(const std::string& tenant,
                                                       const std::string& model,
                                                       const std::string& ref);
  // Inserts the version row, creating its model if needed (within quotas when set).
  absl::StatusOr<storage::VersionRecord> CreateVersionRow(const storage::VersionRecord& record);

  storage::MetadataStore* const metadata_;
  storage::ArtifactStore* const artifacts_;
  const runtime::RuntimeRegistry* const runtimes_;
  Quotas* const quotas_;  // null: no quotas

  // Resolved references for the inference path; every write invalidates it.
  VersionCache versions_;
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_MODEL_REGISTRY_H_
