// ModelExporter for versions of format "native" (models trained by aiaas): ONNX and
// safetensors, see training/export/model_export.h.
#ifndef AIAAS_SERVICES_NATIVE_MODEL_EXPORTER_H_
#define AIAAS_SERVICES_NATIVE_MODEL_EXPORTER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "services/model_exporter.h"

namespace aiaas::services {

struct NativeModelExporterOptions {
  // Largest artifact an export reads into memory (the server flag
  // --max-export-artifact-bytes); larger ones are refused with ResourceExhausted (413).
  int64_t max_artifact_bytes = int64_t{1} << 30;
};

class NativeModelExporter final : public ModelExporter {
 public:
  explicit NativeModelExporter(const NativeModelExporterOptions& options) : options_(options) {}

  absl::Status CheckFormat(std::string_view format) const override;
  // InvalidArgument unless `source_format` is "native".
  absl::StatusOr<ExportedArtifact> Export(const std::string& artifact_path,
                                          std::string_view source_format,
                                          std::string_view format) override;

 private:
  const NativeModelExporterOptions options_;
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_NATIVE_MODEL_EXPORTER_H_
