#ifndef AIAAS_STORAGE_LOCAL_ARTIFACT_STORE_H_
#define AIAAS_STORAGE_LOCAL_ARTIFACT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/artifact_store.h"

namespace aiaas::storage {

// ArtifactStore in a local (or shared, e.g. NFS) folder:
//
//   <root>/blobs/sha256/<first 2 hex>/<other 62 hex>   committed blobs
//   <root>/blobs/tmp/upload-XXXXXX                     writers in progress
//
// Crash safety: a blob appears under its digest only by rename() after its
// bytes were fsynced, and the folder is fsynced after the rename, so a blob
// path never names a partial file. A crash mid-upload leaves a temp file,
// which the next Open() removes. Every writer holds an exclusive flock() on
// its temp file, and Open() removes only temp files it can lock, so opening
// the same root from a second process (another replica on a shared volume)
// never deletes an upload that is still running.
//
// Writers buffer appends (1 MiB) and hash with SHA-256 as they go; the digest
// is "sha256:<64 lowercase hex>". Digests are validated strictly before any
// path is built from them.
//
// Holds (see BlobWriter::Commit) live in this process only: replicas sharing a
// volume must not collect each other's blobs.
//
// Thread-safety: all methods may be called concurrently; besides the file
// system the only mutable state is the table of held digests, under its own
// mutex. Each BlobWriter is used by one thread.
struct BlobHolds;

class LocalArtifactStore final : public ArtifactStore {
 public:
  // Creates `<root>/blobs/sha256` and `<root>/blobs/tmp` if needed and removes
  // orphan temp files. Internal if the folders cannot be created or listed.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<LocalArtifactStore>> Open(
      const std::string& root);

  // InvalidArgument for a negative `max_size_bytes`; Internal if the temp
  // file cannot be created. ResourceExhausted errors of Append name the limit.
  absl::StatusOr<std::unique_ptr<BlobWriter>> NewWriter(int64_t max_size_bytes) override;
  absl::StatusOr<std::string> PathFor(const std::string& digest) override;
  // Streams the file through SHA-256 in fixed-size chunks.
  absl::Status Verify(const std::string& digest) override;
  absl::StatusOr<std::string> Read(const std::string& digest) override;
  absl::StatusOr<std::vector<StoredBlob>> ListBlobs() override;
  // InvalidArgument for a malformed digest.
  absl::Status Remove(const std::string& digest) override;
  absl::StatusOr<bool> RemoveUnreferenced(
      const std::string& digest,
      const std::function<absl::StatusOr<int64_t>()>& count_references) override;

 private:
  explicit LocalArtifactStore(const std::string& root);

  const std::string blobs_dir_;  // <root>/blobs/sha256
  const std::string tmp_dir_;    // <root>/blobs/tmp
  // Digests held by live committed writers; shared with the writers, which
  // may outlive the store.
  std::shared_ptr<BlobHolds> holds_;
};

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_LOCAL_ARTIFACT_STORE_H_
