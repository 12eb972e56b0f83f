#ifndef AIAAS_SERVICES_ARTIFACT_UPLOAD_H_
#define AIAAS_SERVICES_ARTIFACT_UPLOAD_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "storage/artifact_store.h"

namespace aiaas::services {

// An artifact being streamed in by a frontend, before it becomes a version.
// Obtained from ModelRegistry::StartUpload() and handed back to
// ModelRegistry::PushVersion(). Dropping it discards what was written.
// Not thread-safe: one upload, one thread at a time.
class ArtifactUpload {
 public:
  explicit ArtifactUpload(std::unique_ptr<storage::BlobWriter> writer)
      : writer_(std::move(writer)) {}

  // ResourceExhausted beyond the upload limit; Internal on I/O errors.
  [[nodiscard]] absl::Status Write(std::string_view bytes) { return writer_->Append(bytes); }

  int64_t size_bytes() const { return writer_->size_bytes(); }

 private:
  friend class ModelRegistry;
  std::unique_ptr<storage::BlobWriter> writer_;
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_ARTIFACT_UPLOAD_H_
