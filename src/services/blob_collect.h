// Removing a blob once nothing refers to it any more. Model versions, dataset
// versions and job checkpoints share one blob space (same bytes, same digest),
// so each of their services collects through this one function.
#ifndef AIAAS_SERVICES_BLOB_COLLECT_H_
#define AIAAS_SERVICES_BLOB_COLLECT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/artifact_store.h"
#include "storage/metadata_store.h"

namespace aiaas::services {

// Removes `digest` from `artifacts` unless a row of `metadata` refers to it or
// a live writer still holds it (ArtifactStore::RemoveUnreferenced). Failures
// are logged, not returned: a blob left behind costs space, never data.
void CollectBlob(storage::MetadataStore& metadata, storage::ArtifactStore& artifacts,
                 const std::string& digest);

struct BlobSweep {
  int64_t removed = 0;
  int64_t removed_bytes = 0;
};

// Removes the blobs no row refers to that were last written before
// `written_before`: what a crash between a blob's commit and its row left
// behind (a push, a dataset upload, a checkpoint). Younger blobs are left to
// a later sweep, so an upload committing right now (in this process or in a
// replica sharing the folder) is never taken. Run at start-up.
[[nodiscard]] absl::StatusOr<BlobSweep> SweepUnreferencedBlobs(storage::MetadataStore& metadata,
                                                               storage::ArtifactStore& artifacts,
                                                               absl::Time written_before);

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_BLOB_COLLECT_H_
