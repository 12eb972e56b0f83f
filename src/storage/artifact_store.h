#ifndef AIAAS_STORAGE_ARTIFACT_STORE_H_
#define AIAAS_STORAGE_ARTIFACT_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace aiaas::storage {

// Result of a committed blob.
struct BlobInfo {
  std::string digest;  // "sha256:<64 lowercase hex>"
  int64_t size_bytes = 0;
};

// A committed blob as listed by ArtifactStore::ListBlobs.
struct StoredBlob {
  std::string digest;
  int64_t size_bytes = 0;
  int64_t modified_ms = 0;  // when its bytes were last written (Unix ms)
};

// Streams one artifact into the store. Bytes go to a temp file in the blob
// folder while being hashed; Commit() fsyncs, renames the file into its
// content-addressed place and fsyncs the folder. Destroying a writer that was
// not committed removes its temp file. Not thread-safe: one writer, one thread.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;

  // Appends bytes. ResourceExhausted if the total would exceed the writer's
  // size limit; Internal on I/O errors. After an error the writer is unusable.
  [[nodiscard]] virtual absl::Status Append(std::string_view bytes) = 0;

  // Bytes appended so far.
  virtual int64_t size_bytes() const = 0;

  // Makes the blob durable under its digest. If a blob with the same digest
  // already exists the temp file is discarded and the existing one kept.
  // From its commit until the writer is destroyed the blob is held: the
  // store's RemoveUnreferenced leaves it alone, so the row that will refer to
  // it can be written without another thread collecting it first. Keep the
  // writer alive until that row exists (or the attempt is abandoned).
  [[nodiscard]] virtual absl::StatusOr<BlobInfo> Commit() = 0;
};

// Content-addressed blob storage under `<root>/blobs/sha256/<2 hex>/<62 hex>`,
// temp files under `<root>/blobs/tmp/`. Names from users never become paths:
// every path is derived from a digest that was validated as 64 hex digits.
//
// Thread-safety: all methods may be called concurrently.
class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;

  // A writer that fails with ResourceExhausted beyond `max_size_bytes`.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<BlobWriter>> NewWriter(
      int64_t max_size_bytes) = 0;

  // Local filesystem path of a committed blob. InvalidArgument for a malformed
  // digest, NotFound if absent.
  [[nodiscard]] virtual absl::StatusOr<std::string> PathFor(const std::string& digest) = 0;

  // Re-hashes the blob and compares with its digest. DataLoss on mismatch
  // (the message says the blob is corrupted), NotFound if absent.
  [[nodiscard]] virtual absl::Status Verify(const std::string& digest) = 0;

  // Every committed blob, in no particular order. Names in the blob folder that
  // are not well-formed blob paths are skipped.
  [[nodiscard]] virtual absl::StatusOr<std::vector<StoredBlob>> ListBlobs() = 0;

  // The whole blob in memory. NotFound if absent, InvalidArgument for a
  // malformed digest.
  [[nodiscard]] virtual absl::StatusOr<std::string> Read(const std::string& digest) = 0;

  // Removes a blob; OK if it was already absent.
  [[nodiscard]] virtual absl::Status Remove(const std::string& digest) = 0;

  // Removes the blob unless a live writer holds it (see BlobWriter::Commit) or
  // `count_references` returns more than 0. Commits and these removals are
  // serialized, so a blob committed for a new row is never removed between its
  // commit and that row. Returns whether the blob was removed; the counter's
  // error is returned as is and nothing is removed.
  [[nodiscard]] virtual absl::StatusOr<bool> RemoveUnreferenced(
      const std::string& digest,
      const std::function<absl::StatusOr<int64_t>()>& count_references) = 0;
};

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_ARTIFACT_STORE_H_
