// A native model bundle (training/job/native_bundle.h) opened for export: the header's
// parts parsed (task, fitted preprocessing, checked model plan, target scale) and the
// trained weights as plain tensors by name. The exporters (onnx_export.h,
// safetensors_export.h) read only this struct, so they need no LibTorch; only
// LoadExportSource, which rebuilds the model to read its weights archive, does.
//
// Tensor names are the model's state names, in the order of NamedState
// (training/model/weights_io.h): "layers.0.linear.weight", "layers.3.bn.running_mean",
// "mu.linear.bias", "blocks.1.self_attn.in_proj_weight", ...
#ifndef AIAAS_TRAINING_EXPORT_EXPORT_SOURCE_H_
#define AIAAS_TRAINING_EXPORT_EXPORT_SOURCE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "training/model/model_plan.h"
#include "training/model/task.h"
#include "training/preprocess/preprocessor.h"

namespace aiaas::training {

enum class ExportDType { kFloat32, kInt64 };

// One tensor of the trained model, contiguous, little-endian.
struct ExportTensor {
  std::string name;
  ExportDType dtype = ExportDType::kFloat32;
  std::vector<int64_t> shape;
  std::string bytes;  // product(shape) * 4 (float32) or * 8 (int64)

  int64_t NumElements() const;
  // The values; only for kFloat32.
  std::vector<float> Floats() const;
};

struct ExportSource {
  Task task = Task::kClassification;
  nlohmann::json header;  // the bundle's header, as stored
  ModelPlan plan;         // PlanModel of the header's model and build options
  std::optional<FittedPreprocessor> preprocessor;  // always set by LoadExportSource
  double target_mean = 0.0;                        // regression: prediction = y * std + mean
  double target_std = 1.0;
  std::vector<ExportTensor> tensors;  // NamedState order

  // The tensor called `name`, or null.
  const ExportTensor* Find(absl::string_view name) const;
};

// Decodes `bundle_bytes` (a native bundle), rebuilds the model and reads its weights.
// InvalidArgument when the bytes are not a native bundle or its header, preprocessing,
// model or weights do not fit together (the same checks the native runtime makes);
// Internal for LibTorch failures. Thread-safe.
[[nodiscard]] absl::StatusOr<ExportSource> LoadExportSource(absl::string_view bundle_bytes);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_EXPORT_EXPORT_SOURCE_H_
