#include "services/inference_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace aiaas::services {

// One cached version: loaded once by the first caller while others wait.
struct InferenceService::Slot {
  absl::Mutex mu;
  bool loading ABSL_GUARDED_BY(mu) = true;
  absl::Status status ABSL_GUARDED_BY(mu);
  std::shared_ptr<runtime::Servable> servable ABSL_GUARDED_BY(mu);
};

namespace {

constexpr char kSep = '\0';

// The digest is part of the key: a model deleted and pushed again under the
// same name and number never hits a stale cache entry.
std::string MakeKey(const storage::VersionRecord& version) {
  return absl::StrCat(version.tenant, std::string(1, kSep), version.model, std::string(1, kSep),
                      version.version, std::string(1, kSep), version.digest);
}

std::string VersionPrefix(const std::string& tenant, const std::string& model, int64_t version) {
  return absl::StrCat(tenant, std::string(1, kSep), model, std::string(1, kSep), version,
                      std::string(1, kSep));
}

std::string ModelPrefix(const std::string& tenant, const std::string& model) {
  return absl::StrCat(tenant, std::string(1, kSep), model, std::string(1, kSep));
}

// Erases every entry whose key starts with `prefix`.
template <typename Map>
void ErasePrefix(Map& map, const std::string& prefix) {
  for (auto it = map.lower_bound(prefix);
       it != map.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
    it = map.erase(it);
  }
}

}  // namespace

absl::StatusOr<storage::VersionRecord> InferenceService::Resolve(const std::string& tenant,
                                                                 const std::string& model,
                                                                 const std::string& ref) {
  return registry_->GetVersion(tenant, model, ref);
}

absl::StatusOr<std::shared_ptr<runtime::Servable>> InferenceService::Load(
    const storage::VersionRecord& version) {
  runtime::Runtime* runtime = runtimes_->Find(version.format);
  if (runtime == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("no runtime for format '", version.format, "'"));
  }
  absl::Time start = absl::Now();
  // The digest is checked on every load: a blob changed on disk is never served.
  auto verified = registry_->VerifyArtifact(version);
  if (!verified.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot load ", version.model, " version ",
                                                      version.version, ": ",
                                                      std::string(verified.message())));
  }
  AIAAS_ASSIGN_OR_RETURN(std::string path, registry_->ArtifactPath(version));
  auto servable = runtime->Load(path, version.signature);
  if (!servable.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("cannot load ", version.model, " version ",
                                                      version.version, ": ",
                                                      std::string(servable.status().message())));
  }
  LogInfo("model loaded", {{"model", version.model},
                           {"version", absl::StrCat(version.version)},
                           {"load_ms", absl::StrCat(absl::ToInt64Milliseconds(absl::Now() - start))}});
  return std::shared_ptr<runtime::Servable>(std::move(*servable));
}

absl::StatusOr<std::shared_ptr<runtime::Servable>> InferenceService::GetOrLoad(
    const storage::VersionRecord& version) {
  Key key = MakeKey(version);
  std::shared_ptr<Slot> slot;
  bool is_loader = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = loaded_.find(key);
    if (it == loaded_.end()) {
      slot = std::make_shared<Slot>();
      loaded_[key] = slot;
      is_loader = true;
    } else {
      slot = it->second;
    }
  }
  if (is_loader) {
    auto loaded = Load(version);
    if (!loaded.ok()) {
      absl::MutexLock lock(&mu_);
      auto it = loaded_.find(key);
      if (it != loaded_.end() && it->second == slot) loaded_.erase(it);
    }
    absl::MutexLock lock(&slot->mu);
    slot->loading = false;
    slot->status = loaded.status();
    if (loaded.ok()) slot->servable = *loaded;
    return loaded;
  }
  absl::MutexLock lock(&slot->mu);
  slot->mu.Await(absl::Condition(
      +[](Slot* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu) { return !s->loading; }, slot.get()));
  if (!slot->status.ok()) return slot->status;
  return slot->servable;
}

absl::Status InferenceService::EnsureLoaded(const storage::VersionRecord& version) {
  return GetOrLoad(version).status();
}

absl::StatusOr<InferResponse> InferenceService::Infer(const storage::VersionRecord& version,
                                                      InferRequest request) {
  AIAAS_ASSIGN_OR_RETURN(std::shared_ptr<runtime::Servable> servable, GetOrLoad(version));
  AIAAS_ASSIGN_OR_RETURN(runtime::NamedTensors outputs, servable->Infer(request.inputs));

  InferResponse response;
  response.id = std::move(request.id);
  response.model = version.model;
  response.version = absl::StrCat(version.version);
  if (request.requested_outputs.empty()) {
    response.outputs = std::move(outputs);
    return response;
  }
  for (const auto& name : request.requested_outputs) {
    auto it = std::find_if(outputs.begin(), outputs.end(),
                           [&](const auto& output) { return output.first == name; });
    if (it == outputs.end()) {
      std::vector<std::string> names;
      for (const auto& output : outputs) names.push_back(output.first);
      return absl::InvalidArgumentError(absl::StrCat("unknown output '", name,
                                                     "'; the model's outputs are: ",
                                                     absl::StrJoin(names, ", ")));
    }
    response.outputs.emplace_back(it->first, std::move(it->second));
  }
  return response;
}

void InferenceService::Unload(const std::string& tenant, const std::string& model,
                              int64_t version) {
  absl::MutexLock lock(&mu_);
  ErasePrefix(loaded_, VersionPrefix(tenant, model, version));
}

void InferenceService::UnloadModel(const std::string& tenant, const std::string& model) {
  std::string prefix = ModelPrefix(tenant, model);
  absl::MutexLock lock(&mu_);
  ErasePrefix(loaded_, prefix);
}

}  // namespace aiaas::services
