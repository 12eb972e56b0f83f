// Entry point of the export of trained models: a native bundle's bytes in, an ONNX
// model or a safetensors file out (onnx_export.h, safetensors_export.h).
#ifndef AIAAS_TRAINING_EXPORT_MODEL_EXPORT_H_
#define AIAAS_TRAINING_EXPORT_MODEL_EXPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aiaas::training {

enum class ExportFormat { kOnnx, kSafetensors };

// "onnx" | "safetensors"; InvalidArgument listing both otherwise (also for "").
[[nodiscard]] absl::StatusOr<ExportFormat> ParseExportFormat(absl::string_view name);

struct ExportedFile {
  std::string bytes;
  std::string content_type;  // "application/onnx" | "application/octet-stream"
  std::string extension;     // ".onnx" | ".safetensors"
};

// Exports the native bundle `bundle_bytes`. InvalidArgument when the bundle is not
// readable or the model cannot be expressed in `format` (the message names what);
// Internal for LibTorch failures. Thread-safe.
[[nodiscard]] absl::StatusOr<ExportedFile> ExportNativeModel(absl::string_view bundle_bytes,
                                                             ExportFormat format);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_EXPORT_MODEL_EXPORT_H_
