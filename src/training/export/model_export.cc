#include "training/export/model_export.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "training/export/export_source.h"
#include "training/export/onnx_export.h"
#include "training/export/safetensors_export.h"

namespace aiaas::training {

absl::StatusOr<ExportFormat> ParseExportFormat(absl::string_view name) {
  if (name == "onnx") return ExportFormat::kOnnx;
  if (name == "safetensors") return ExportFormat::kSafetensors;
  return absl::InvalidArgumentError(
      absl::StrCat("format must be 'onnx' or 'safetensors'",
                   name.empty() ? std::string(" (the query parameter 'format' is missing)")
                                : absl::StrCat(", not '", name, "'")));
}

absl::StatusOr<ExportedFile> ExportNativeModel(absl::string_view bundle_bytes,
                                               ExportFormat format) {
  AIAAS_ASSIGN_OR_RETURN(ExportSource source, LoadExportSource(bundle_bytes));
  ExportedFile file;
  if (format == ExportFormat::kOnnx) {
    AIAAS_ASSIGN_OR_RETURN(file.bytes, ExportOnnx(source));
    file.content_type = "application/onnx";
    file.extension = ".onnx";
  } else {
    AIAAS_ASSIGN_OR_RETURN(file.bytes, ExportSafetensors(source));
    file.content_type = "application/octet-stream";
    file.extension = ".safetensors";
  }
  return file;
}

}  // namespace aiaas::training
