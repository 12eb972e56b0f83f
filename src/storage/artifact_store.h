#ifndef AIAAS_STORAGE_ARTIFACT_STORE_H_
#define AIAAS_STORAGE_ARTIFACT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace aiaas::storage {

// Result of a committed blob.
struct BlobInfo {
  std::string digest;  // "sha256:<64 lowercase hex>"
  int64_t size_bytes = 0;
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

  // Removes a blob; OK if it was already absent.
  [[nodiscard]] virtual absl::Status Remove(const std::string& digest) = 0;
};

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_ARTIFACT_STORE_H_
