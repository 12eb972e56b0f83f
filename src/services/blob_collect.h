// Removing a blob once nothing refers to it any more. Model versions, dataset
// versions and job checkpoints share one blob space (same bytes, same digest),
// so each of their services collects through this one function.
#ifndef AIAAS_SERVICES_BLOB_COLLECT_H_
#define AIAAS_SERVICES_BLOB_COLLECT_H_

#include <string>

#include "storage/artifact_store.h"
#include "storage/metadata_store.h"

namespace aiaas::services {

// Removes `digest` from `artifacts` unless a row of `metadata` refers to it or
// a live writer still holds it (ArtifactStore::RemoveUnreferenced). Failures
// are logged, not returned: a blob left behind costs space, never data.
void CollectBlob(storage::MetadataStore& metadata, storage::ArtifactStore& artifacts,
                 const std::string& digest);

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_BLOB_COLLECT_H_
