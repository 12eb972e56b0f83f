#include "services/blob_collect.h"

#include "common/logging.h"

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

}  // namespace aiaas::services
