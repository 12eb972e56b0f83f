#ifndef AIAAS_STORAGE_METADATA_STORE_H_
#define AIAAS_STORAGE_METADATA_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/serving_config.h"
#include "common/tensor.h"

namespace aiaas::storage {

// A model: a name inside a tenant. Times are Unix milliseconds (UTC).
struct ModelRecord {
  std::string tenant;
  std::string name;
  std::string description;
  std::map<std::string, std::string> labels;
  std::string visibility = "private";  // "private" | "public" (read-only here; see AuthStore)
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};

// One immutable version of a model. `version` is assigned by the store
// (1, 2, 3, ... per model; numbers of deleted versions are never reused).
struct VersionRecord {
  std::string tenant;
  std::string model;
  int64_t version = 0;
  std::string format;  // "torchscript", later "onnx", ...
  std::string digest;  // "sha256:<64 hex>"
  int64_t size_bytes = 0;
  std::string description;
  Signature signature;
  // How the version is served. Versions stored before serving configs existed
  // read back as ServingConfig{} (the defaults of the running build).
  ServingConfig config;
  int64_t created_at_ms = 0;
  // JSON objects, stored as given ("{}" when empty): the evaluation figures of a
  // trained version and where it came from (dataset version, job).
  std::string metrics_json = "{}";
  std::string lineage_json = "{}";
};

struct AliasRecord {
  std::string alias;
  int64_t version = 0;
};

// A page of results; `next_page_token` is empty on the last page.
template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_page_token;
};

// Partial update of a model; unset fields are left alone.
struct ModelUpdate {
  std::optional<std::string> description;
  std::optional<std::map<std::string, std::string>> labels;
};

// Durable metadata: models, versions and aliases, each row owned by a tenant.
//
// Thread-safety: all methods may be called concurrently from any thread.
// Error codes: NotFound for an unknown model/version/alias, AlreadyExists for a
// duplicate model name, InvalidArgument for a bad page token or a serving config
// the store cannot hold (see UpdateServingConfig), Internal for database
// failures (the message names the failing operation).
class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Creates a model. AlreadyExists if (tenant, name) exists.
  [[nodiscard]] virtual absl::StatusOr<ModelRecord> CreateModel(const ModelRecord& model) = 0;

  [[nodiscard]] virtual absl::StatusOr<ModelRecord> GetModel(const std::string& tenant,
                                                             const std::string& name) = 0;

  // Models of a tenant ordered by name; `page_size` in [1, 1000]; `page_token`
  // is empty for the first page or a token returned by a previous call.
  [[nodiscard]] virtual absl::StatusOr<Page<ModelRecord>> ListModels(
      const std::string& tenant, int page_size, const std::string& page_token) = 0;

  [[nodiscard]] virtual absl::StatusOr<ModelRecord> UpdateModel(const std::string& tenant,
                                                                const std::string& name,
                                                                const ModelUpdate& update) = 0;

  // Deletes a model with all its versions and aliases, in one transaction.
  // Returns the digests of the deleted versions (the caller may remove blobs
  // no longer referenced; see CountDigestReferences).
  [[nodiscard]] virtual absl::StatusOr<std::vector<std::string>> DeleteModel(
      const std::string& tenant, const std::string& name) = 0;

  // Creates the next version of an existing model, atomically assigning
  // max(version ever created) + 1. `version.version` and `created_at_ms` are
  // ignored and filled in the result; `version.config` is stored as given.
  // NotFound if the model does not exist; InvalidArgument as for
  // UpdateServingConfig.
  [[nodiscard]] virtual absl::StatusOr<VersionRecord> CreateVersion(
      const VersionRecord& version) = 0;

  [[nodiscard]] virtual absl::StatusOr<VersionRecord> GetVersion(const std::string& tenant,
                                                                 const std::string& model,
                                                                 int64_t version) = 0;

  // The highest existing version number; NotFound if the model has none.
  [[nodiscard]] virtual absl::StatusOr<VersionRecord> GetLatestVersion(
      const std::string& tenant, const std::string& model) = 0;

  // All versions of a model, ascending. NotFound if the model does not exist.
  [[nodiscard]] virtual absl::StatusOr<std::vector<VersionRecord>> ListVersions(
      const std::string& tenant, const std::string& model) = 0;

  // Replaces the serving config of an existing version (whether or not one was
  // stored before) and returns the updated record. NotFound if the model or
  // version does not exist. The store checks only what it needs to hold the
  // values (sizes >= 0, counts and timeouts >= 1, preferred sizes >= 1) and
  // answers InvalidArgument otherwise; serving limits and cross-field rules
  // are the caller's (the HTTP codec validates them).
  [[nodiscard]] virtual absl::StatusOr<VersionRecord> UpdateServingConfig(
      const std::string& tenant, const std::string& model, int64_t version,
      const ServingConfig& config) = 0;

  // Deletes one version and any alias pointing at it. Returns its digest.
  [[nodiscard]] virtual absl::StatusOr<std::string> DeleteVersion(const std::string& tenant,
                                                                  const std::string& model,
                                                                  int64_t version) = 0;

  // Points `alias` at an existing version (creating or moving the alias).
  // NotFound if the model or version does not exist.
  [[nodiscard]] virtual absl::Status SetAlias(const std::string& tenant, const std::string& model,
                                              const std::string& alias, int64_t version) = 0;

  // NotFound if the alias does not exist.
  [[nodiscard]] virtual absl::Status DeleteAlias(const std::string& tenant,
                                                 const std::string& model,
                                                 const std::string& alias) = 0;

  // Aliases of a model ordered by name.
  [[nodiscard]] virtual absl::StatusOr<std::vector<AliasRecord>> ListAliases(
      const std::string& tenant, const std::string& model) = 0;

  // The version an alias points at; NotFound if unset.
  [[nodiscard]] virtual absl::StatusOr<int64_t> ResolveAlias(const std::string& tenant,
                                                             const std::string& model,
                                                             const std::string& alias) = 0;

  // How many model versions, dataset versions and job checkpoints (in any
  // tenant) reference `digest`; its blob may be removed at 0.
  [[nodiscard]] virtual absl::StatusOr<int64_t> CountDigestReferences(
      const std::string& digest) = 0;
};

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_METADATA_STORE_H_
