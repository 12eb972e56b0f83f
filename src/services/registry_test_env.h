// What the registry's and the inference service's tests start from: a SQLite
// metadata store and an artifact store in a temp folder, one runtime and a
// ModelRegistry over them (with Quotas when asked for).
#ifndef AIAAS_SERVICES_REGISTRY_TEST_ENV_H_
#define AIAAS_SERVICES_REGISTRY_TEST_ENV_H_

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status_macros.h"
#include "services/model_registry.h"
#include "services/quotas.h"
#include "storage/local_artifact_store.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/test_temp_dir.h"

namespace aiaas::services {

// A runtime of format `format` (default "fake") whose every artifact loads, as a servable
// with an empty signature that answers no outputs.
class AcceptingRuntime final : public runtime::Runtime {
 public:
  explicit AcceptingRuntime(std::string format = "fake") : format_(std::move(format)) {}
  std::string_view format() const override { return format_; }
  absl::StatusOr<std::unique_ptr<runtime::Servable>> Load(
      const std::string&, const std::optional<Signature>&) override {
    return std::make_unique<EmptyServable>();
  }

 private:
  class EmptyServable final : public runtime::Servable {
   public:
    const Signature& signature() const override { return signature_; }
    absl::StatusOr<runtime::NamedTensors> Infer(const TensorMap&) override {
      return runtime::NamedTensors{};
    }

   private:
    Signature signature_;
  };
  const std::string format_;
};

struct RegistryTestEnv {
  // Opens the stores and registers `runtime`; `quota_options` adds Quotas.
  absl::Status Open(std::unique_ptr<runtime::Runtime> runtime,
                    std::optional<QuotaOptions> quota_options = std::nullopt) {
    AIAAS_ASSIGN_OR_RETURN(metadata,
                           storage::SqliteMetadataStore::Open(dir.path() + "/metadata.db"));
    AIAAS_ASSIGN_OR_RETURN(artifacts, storage::LocalArtifactStore::Open(dir.path()));
    runtimes.Register(std::move(runtime));
    if (quota_options.has_value())
      quotas = std::make_unique<Quotas>(metadata.get(), *quota_options);
    registry =
        std::make_unique<ModelRegistry>(metadata.get(), artifacts.get(), &runtimes, quotas.get());
    return absl::OkStatus();
  }

  // Pushes `bytes` as the next version of `tenant`'s `model` in `format`.
  absl::StatusOr<storage::VersionRecord> Push(const std::string& tenant, const std::string& model,
                                              const std::string& bytes, const std::string& format) {
    AIAAS_ASSIGN_OR_RETURN(auto upload, registry->StartUpload(1 << 20));
    AIAAS_RETURN_IF_ERROR(upload->Write(bytes));
    PushRequest request;
    request.tenant = tenant;
    request.model = model;
    request.format = format;
    return registry->PushVersion(request, std::move(upload));
  }

  // Committed blobs on disk.
  size_t BlobCount() const {
    size_t count = 0;
    std::error_code ec;
    for (std::filesystem::recursive_directory_iterator it(dir.path() + "/blobs/sha256", ec), end;
         !ec && it != end; it.increment(ec)) {
      count += it->is_regular_file();
    }
    return count;
  }

  storage::TestTempDir dir;
  std::unique_ptr<storage::SqliteMetadataStore> metadata;
  std::unique_ptr<storage::LocalArtifactStore> artifacts;
  runtime::RuntimeRegistry runtimes;
  std::unique_ptr<Quotas> quotas;  // null unless Open got quota options
  std::unique_ptr<ModelRegistry> registry;
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_REGISTRY_TEST_ENV_H_
