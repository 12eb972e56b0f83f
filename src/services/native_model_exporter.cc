#include "services/native_model_exporter.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "training/export/model_export.h"

namespace aiaas::services {

absl::Status NativeModelExporter::CheckFormat(std::string_view format) const {
  return training::ParseExportFormat(absl::string_view(format.data(), format.size())).status();
}

absl::StatusOr<ExportedArtifact> NativeModelExporter::Export(const std::string& artifact_path,
                                                             std::string_view source_format,
                                                             std::string_view format) {
  AIAAS_ASSIGN_OR_RETURN(
      training::ExportFormat target,
      training::ParseExportFormat(absl::string_view(format.data(), format.size())));
  if (source_format != "native") {
    return absl::InvalidArgumentError(absl::StrCat(
        "only versions of format 'native' (models trained by aiaas) can be exported; this "
        "version is '",
        std::string(source_format), "'"));
  }
  std::ifstream in(artifact_path, std::ios::binary | std::ios::ate);
  if (!in) return absl::InternalError("cannot open the version's artifact");
  const std::streamoff size = in.tellg();
  if (size < 0) return absl::InternalError("cannot read the version's artifact");
  if (size > options_.max_artifact_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the model is ", static_cast<int64_t>(size), " bytes; exports read at most ",
                     options_.max_artifact_bytes, " (--max-export-artifact-bytes)"));
  }
  in.seekg(0);
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), size)) {
    return absl::InternalError("cannot read the version's artifact");
  }
  AIAAS_ASSIGN_OR_RETURN(training::ExportedFile file, training::ExportNativeModel(bytes, target));
  return ExportedArtifact{std::move(file.bytes), std::move(file.content_type),
                          std::move(file.extension)};
}

}  // namespace aiaas::services
