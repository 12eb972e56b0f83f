// The seam between the export API (server/export_api.h) and the code that converts a
// trained model (training/export/), which links LibTorch: only the server binary links
// the implementation (native_model_exporter.h); the API and its tests see this interface.
#ifndef AIAAS_SERVICES_MODEL_EXPORTER_H_
#define AIAAS_SERVICES_MODEL_EXPORTER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace aiaas::services {

struct ExportedArtifact {
  std::string bytes;
  std::string content_type;  // e.g. "application/onnx"
  std::string extension;     // e.g. ".onnx", for the download's file name
};

// Thread-safe: the API calls it from many worker threads at once.
class ModelExporter {
 public:
  virtual ~ModelExporter() = default;

  // OK when `format` is one this exporter writes; otherwise InvalidArgument naming the
  // formats it knows (also for an empty `format`).
  [[nodiscard]] virtual absl::Status CheckFormat(std::string_view format) const = 0;

  // Converts the artifact of a version of format `source_format` stored at
  // `artifact_path`. InvalidArgument for a source format that cannot be exported or a
  // model that cannot be expressed in `format` (the message names what);
  // ResourceExhausted for an artifact larger than the exporter's limit.
  [[nodiscard]] virtual absl::StatusOr<ExportedArtifact> Export(const std::string& artifact_path,
                                                                std::string_view source_format,
                                                                std::string_view format) = 0;
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_MODEL_EXPORTER_H_
