#include "services/blob_collect.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace aiaas::services {

void CollectBlob(storage::MetadataStore& metadata, storage::ArtifactStore& artifacts,
                 const std::string& digest) {
  absl::StatusOr<bool> removed =
      artifacts.RemoveUnreferenced(digest, [&] { return metadata.CountDigestReferences(digest); });
  if (!removed.ok()) {
    LogWarning("could not remove unreferenced blob",
               {{"digest", digest}, {"error", std::string(removed.status().message())}});
  }
}

absl::StatusOr<BlobSweep> SweepUnreferencedBlobs(storage::MetadataStore& metadata,
                                                 storage::ArtifactStore& artifacts,
                                                 absl::Time written_before) {
  AIAAS_ASSIGN_OR_RETURN(std::vector<storage::StoredBlob> blobs, artifacts.ListBlobs());
  const int64_t cutoff_ms = absl::ToUnixMillis(written_before);
  BlobSweep sweep;
  for (const storage::StoredBlob& blob : blobs) {
    if (blob.modified_ms >= cutoff_ms) continue;
    AIAAS_ASSIGN_OR_RETURN(bool removed, artifacts.RemoveUnreferenced(blob.digest, [&] {
      return metadata.CountDigestReferences(blob.digest);
    }));
    if (!removed) continue;
    ++sweep.removed;
    sweep.removed_bytes += blob.size_bytes;
    LogInfo("removed a blob nothing refers to (left by an interrupted upload or job)",
            {{"digest", blob.digest}, {"size_bytes", absl::StrCat(blob.size_bytes)}});
  }
  return sweep;
}

}  // namespace aiaas::services
