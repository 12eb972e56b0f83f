#include "services/model_registry.h"

#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/model_name.h"
#include "common/status_macros.h"
#include "services/blob_collect.h"

namespace aiaas::services {
namespace {

constexpr char kDefaultAlias[] = "production";

bool IsNumber(const std::string& ref) {
  if (ref.empty()) return false;
  for (char c : ref) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ModelView> ModelRegistry::ToView(storage::ModelRecord model) {
  ModelView view;
  auto latest = metadata_->GetLatestVersion(model.tenant, model.name);
  if (latest.ok()) {
    view.latest_version = latest->version;
  } else if (!absl::IsNotFound(latest.status())) {
    return latest.status();
  }
  AIAAS_ASSIGN_OR_RETURN(view.aliases, metadata_->ListAliases(model.tenant, model.name));
  view.model = std::move(model);
  return view;
}

absl::StatusOr<ModelView> ModelRegistry::CreateModel(
    const std::string& tenant, const std::string& name, const std::string& description,
    const std::map<std::string, std::string>& labels) {
  absl::Cleanup invalidate = [this] { versions_.Invalidate(); };  // after the write
  AIAAS_RETURN_IF_ERROR(ValidateModelName(name));
  storage::ModelRecord record;
  record.tenant = tenant;
  record.name = name;
  record.description = description;
  record.labels = labels;
  AIAAS_ASSIGN_OR_RETURN(storage::ModelRecord created, quotas_ != nullptr
                                                           ? quotas_->CreateModel(record)
                                                           : metadata_->CreateModel(record));
  return ToView(std::move(created));
}

absl::StatusOr<ModelView> ModelRegistry::GetModel(const std::string& tenant,
                                                  const std::string& name) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(name));
  AIAAS_ASSIGN_OR_RETURN(storage::ModelRecord model, metadata_->GetModel(tenant, name));
  return ToView(std::move(model));
}

absl::StatusOr<storage::Page<ModelView>> ModelRegistry::ListModels(const std::string& tenant,
                                                                   int page_size,
                                                                   const std::string& page_token) {
  AIAAS_ASSIGN_OR_RETURN(storage::Page<storage::ModelRecord> page,
                         metadata_->ListModels(tenant, page_size, page_token));
  storage::Page<ModelView> views;
  views.next_page_token = page.next_page_token;
  for (auto& model : page.items) {
    AIAAS_ASSIGN_OR_RETURN(ModelView view, ToView(std::move(model)));
    views.items.push_back(std::move(view));
  }
  return views;
}

absl::StatusOr<ModelView> ModelRegistry::UpdateModel(const std::string& tenant,
                                                     const std::string& name,
                                                     const storage::ModelUpdate& update) {
  absl::Cleanup invalidate = [this] { versions_.Invalidate(); };  // after the write
  AIAAS_RETURN_IF_ERROR(ValidateModelName(name));
  AIAAS_ASSIGN_OR_RETURN(storage::ModelRecord model, metadata_->UpdateModel(tenant, name, update));
  return ToView(std::move(model));
}

absl::Status ModelRegistry::DeleteModel(const std::string& tenant, const std::string& name) {
  absl::Cleanup invalidate = [this] { versions_.Invalidate(); };  // after the write
  AIAAS_RETURN_IF_ERROR(ValidateModelName(name));
  AIAAS_ASSIGN_OR_RETURN(std::vector<std::string> digests, metadata_->DeleteModel(tenant, name));
  for (const auto& digest : digests) CollectBlob(*metadata_, *artifacts_, digest);
  return absl::OkStatus();
}

absl::StatusOr<StoredBytesBudget> ModelRegistry::CheckPushQuota(const std::string& tenant,
                                                                const std::string& model,
                                                                int64_t min_size_bytes) {
  if (quotas_ == nullptr) return StoredBytesBudget{tenant};
  AIAAS_RETURN_IF_ERROR(ValidateModelName(model));
  auto existing = metadata_->GetModel(tenant, model);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) return existing.status();
  return quotas_->CheckUpload(
      tenant, existing.ok() ? UploadTarget::kExistingModel : UploadTarget::kNewModel,
      min_size_bytes);
}

absl::StatusOr<std::unique_ptr<ArtifactUpload>> ModelRegistry::StartUpload(int64_t max_size_bytes) {
  AIAAS_ASSIGN_OR_RETURN(std::unique_ptr<storage::BlobWriter> writer,
                         artifacts_->NewWriter(max_size_bytes));
  return std::make_unique<ArtifactUpload>(std::move(writer));
}

absl::StatusOr<storage::VersionRecord> ModelRegistry::PushVersion(
    const PushRequest& request, std::unique_ptr<ArtifactUpload> upload) {
  absl::Cleanup invalidate = [this] { versions_.Invalidate(); };  // after the write
  AIAAS_RETURN_IF_ERROR(ValidateModelName(request.model));
  runtime::Runtime* runtime = runtimes_->Find(request.format);
  if (runtime == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported format '", request.format,
                     "'; supported formats: ", runtimes_->FormatNames()));
  }
  if (upload->size_bytes() == 0) {
    return absl::InvalidArgumentError("the uploaded artifact is empty");
  }
  // The upload's writer holds the blob until the version row exists or the push failed;
  // then the blob is collected unless a row (this one, or another push of the same
  // bytes) refers to it.
  AIAAS_ASSIGN_OR_RETURN(storage::BlobInfo blob, upload->writer_->Commit());
  absl::Cleanup collect_unless_referenced = [&] {
    upload.reset();
    CollectBlob(*metadata_, *artifacts_, blob.digest);
  };

  // Load the artifact before any row exists: a file that does not load leaves nothing behind.
  absl::StatusOr<Signature> signature = [&]() -> absl::StatusOr<Signature> {
    AIAAS_ASSIGN_OR_RETURN(std::string path, artifacts_->PathFor(blob.digest));
    AIAAS_ASSIGN_OR_RETURN(std::unique_ptr<runtime::Servable> servable,
                           runtime->Load(path, request.signature));
    return servable->signature();
  }();
  if (!signature.ok()) return signature.status();

  storage::VersionRecord record;
  record.tenant = request.tenant;
  record.model = request.model;
  record.format = request.format;
  record.digest = blob.digest;
  record.size_bytes = blob.size_bytes;
  record.description = request.description;
  record.signature = *std::move(signature);
  record.config = request.config;
  record.metrics_json = request.metrics_json;
  record.lineage_json = request.lineage_json;

  absl::StatusOr<storage::VersionRecord> created = CreateVersionRow(record);
  if (!created.ok()) return created.status();
  LogInfo("version created", {{"model", request.model},
                              {"version", absl::StrCat(created->version)},
                              {"digest", blob.digest},
                              {"size_bytes", absl::StrCat(blob.size_bytes)}});
  return created;
}

absl::StatusOr<storage::VersionRecord> ModelRegistry::GetVersion(const std::string& tenant,
                                                                 const std::string& model,
                                                                 const std::string& ref) {
  if (auto cached = versions_.Get(tenant, model, ref)) return *std::move(cached);
  const VersionCache::Ticket ticket = versions_.Begin();
  auto version = LookupVersion(tenant, model, ref);
  if (version.ok()) versions_.Put(ticket, tenant, model, ref, *version);
  return version;
}

absl::StatusOr<storage::VersionRecord> ModelRegistry::LookupVersion(const std::string& tenant,
                                                                    const std::string& model,
                                                                    const std::string& ref) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(model));
  // Distinguish "no such model" from "no such version" in the error.
  AIAAS_RETURN_IF_ERROR(metadata_->GetModel(tenant, model).status());
  if (ref.empty()) {
    auto aliased = metadata_->ResolveAlias(tenant, model, kDefaultAlias);
    if (aliased.ok()) return metadata_->GetVersion(tenant, model, *aliased);
    if (!absl::IsNotFound(aliased.status())) return aliased.status();
    auto latest = metadata_->GetLatestVersion(tenant, model);
    if (absl::IsNotFound(latest.status())) {
      return absl::NotFoundError(absl::StrCat("model '", model, "' has no versions"));
    }
    return latest;
  }
  if (IsNumber(ref)) {
    int64_t number = 0;
    if (!absl::SimpleAtoi(ref, &number)) {
      return absl::NotFoundError(absl::StrCat("model '", model, "' has no version ", ref));
    }
    auto version = metadata_->GetVersion(tenant, model, number);
    if (absl::IsNotFound(version.status())) {
      return absl::NotFoundError(absl::StrCat("model '", model, "' has no version ", ref));
    }
    return version;
  }
  if (!ValidateAliasName(ref).ok()) {
    return absl::NotFoundError(
        absl::StrCat("model '", model, "' has no version or alias '", ref.substr(0, 64), "'"));
  }
  auto aliased = metadata_->ResolveAlias(tenant, model, ref);
  if (absl::IsNotFound(aliased.status())) {
    return absl::NotFoundError(absl::StrCat("model '", model, "' has no alias '", ref, "'"));
  }
  if (!aliased.ok()) return aliased.status();
  return metadata_->GetVersion(tenant, model, *aliased);
}

absl::StatusOr<std::vector<storage::VersionRecord>> ModelRegistry::ListVersions(
    const std::string& tenant, const std::string& model) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(model));
  return metadata_->ListVersions(tenant, model);
}

absl::StatusOr<storage::VersionRecord> ModelRegistry::DeleteVersion(const std::string& tenant,
                                                                    const std::string& model,
                                                                    const std::string& ref) {
  absl::Cleanup invalidate = [this] { versions_.Invalidate(); };  // after the write
  AIAAS_ASSIGN_OR_RETURN(storage::VersionRecord version, GetVersion(tenant, model, ref));
  AIAAS_ASSIGN_OR_RETURN(std::string digest,
                         metadata_->DeleteVersion(tenant, model, version.version));
  CollectBlob(*metadata_, *artifacts_, digest);
  return version;
}

absl::StatusOr<storage::VersionRecord> ModelRegistry::UpdateServingConfig(
    const std::string& tenant, const std::string& model, const std::string& ref,
    const ServingConfig& config) {
  absl::Cleanup invalidate = [this] { versions_.Invalidate(); };  // after the write
  AIAAS_ASSIGN_OR_RETURN(storage::VersionRecord version, GetVersion(tenant, model, ref));
  return metadata_->UpdateServingConfig(tenant, model, version.version, config);
}

absl::StatusOr<storage::AliasRecord> ModelRegistry::SetAlias(const std::string& tenant,
                                                             const std::string& model,
                                                             const std::string& alias,
                                                             int64_t version) {
  absl::Cleanup invalidate = [this] { versions_.Invalidate(); };  // after the write
  AIAAS_RETURN_IF_ERROR(ValidateModelName(model));
  AIAAS_RETURN_IF_ERROR(ValidateAliasName(alias));
  AIAAS_RETURN_IF_ERROR(metadata_->GetModel(tenant, model).status());
  auto status = metadata_->SetAlias(tenant, model, alias, version);
  if (absl::IsNotFound(status)) {
    return absl::NotFoundError(absl::StrCat("model '", model, "' has no version ", version));
  }
  AIAAS_RETURN_IF_ERROR(status);
  return storage::AliasRecord{alias, version};
}

absl::Status ModelRegistry::DeleteAlias(const std::string& tenant, const std::string& model,
                                        const std::string& alias) {
  absl::Cleanup invalidate = [this] { versions_.Invalidate(); };  // after the write
  AIAAS_RETURN_IF_ERROR(ValidateModelName(model));
  AIAAS_RETURN_IF_ERROR(metadata_->GetModel(tenant, model).status());
  auto status = metadata_->DeleteAlias(tenant, model, alias);
  if (absl::IsNotFound(status)) {
    return absl::NotFoundError(
        absl::StrCat("model '", model, "' has no alias '", alias.substr(0, 128), "'"));
  }
  return status;
}

absl::StatusOr<std::vector<storage::AliasRecord>> ModelRegistry::ListAliases(
    const std::string& tenant, const std::string& model) {
  AIAAS_RETURN_IF_ERROR(ValidateModelName(model));
  AIAAS_RETURN_IF_ERROR(metadata_->GetModel(tenant, model).status());
  return metadata_->ListAliases(tenant, model);
}

absl::StatusOr<std::string> ModelRegistry::ArtifactPath(const storage::VersionRecord& version) {
  return artifacts_->PathFor(version.digest);
}

absl::Status ModelRegistry::VerifyArtifact(const storage::VersionRecord& version) {
  return artifacts_->Verify(version.digest);
}

absl::StatusOr<storage::VersionRecord> ModelRegistry::CreateVersionRow(
    const storage::VersionRecord& record) {
  // The quota check runs in the transaction that inserts the row (and the
  // model, when new): concurrent pushes cannot both take the last bytes.
  if (quotas_ != nullptr) return quotas_->CreateVersion(record);
  auto model = metadata_->GetModel(record.tenant, record.model);
  if (absl::IsNotFound(model.status())) {
    storage::ModelRecord new_model;
    new_model.tenant = record.tenant;
    new_model.name = record.model;
    model = metadata_->CreateModel(new_model);
  }
  if (!model.ok()) return model.status();
  return metadata_->CreateVersion(record);
}

}  // namespace aiaas::services
