#ifndef AIAAS_SERVICES_INFERENCE_SERVICE_H_
#define AIAAS_SERVICES_INFERENCE_SERVICE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "runtime/runtime.h"
#include "services/inference_types.h"
#include "services/model_registry.h"

namespace aiaas::services {

// Resolves models, loads versions on first use, and runs inferences.
//
// Loaded versions are cached per (tenant, model, version) and shared through
// std::shared_ptr, so an unload never disturbs a request still running on the
// old Servable. Concurrent first requests for one version load it once; a
// version that fails to load is not cached (the next request retries) and
// never affects other versions.
//
// Thread-safety: all methods may be called concurrently. `registry` and
// `runtimes` are borrowed and must outlive the service.
class InferenceService {
 public:
  InferenceService(ModelRegistry* registry, const runtime::RuntimeRegistry* runtimes)
      : registry_(registry), runtimes_(runtimes) {}

  // The version a request addresses (see ModelRegistry for `ref`).
  [[nodiscard]] absl::StatusOr<storage::VersionRecord> Resolve(const std::string& tenant,
                                                               const std::string& model,
                                                               const std::string& ref);

  // Runs `request` on `version` (from Resolve()). The request's inputs must
  // already be validated against version.signature. InvalidArgument for
  // inputs the model rejects or unknown requested outputs; FailedPrecondition
  // if the artifact cannot be loaded (the message says why).
  [[nodiscard]] absl::StatusOr<InferResponse> Infer(const storage::VersionRecord& version,
                                                    InferRequest request);

  // True when the version is loaded (or loads successfully now).
  [[nodiscard]] absl::Status EnsureLoaded(const storage::VersionRecord& version);

  // Drops a cached version (after delete). Requests running on it finish.
  void Unload(const std::string& tenant, const std::string& model, int64_t version);
  // Drops every cached version of a model.
  void UnloadModel(const std::string& tenant, const std::string& model);

 private:
  struct Slot;
  using Key = std::string;  // tenant, model, version, digest joined by NUL

  absl::StatusOr<std::shared_ptr<runtime::Servable>> GetOrLoad(
      const storage::VersionRecord& version);
  absl::StatusOr<std::shared_ptr<runtime::Servable>> Load(const storage::VersionRecord& version);

  ModelRegistry* const registry_;
  const runtime::RuntimeRegistry* const runtimes_;

  absl::Mutex mu_;
  std::map<Key, std::shared_ptr<Slot>> loaded_ ABSL_GUARDED_BY(mu_);
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_INFERENCE_SERVICE_H_
