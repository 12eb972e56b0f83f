// Internal to the ONNX exporter: one planned layer of the model zoo as ONNX nodes
// (opset 17, default domain), computing what the layer's LibTorch module computes in
// eval mode. Torch-free.
#ifndef AIAAS_TRAINING_EXPORT_ONNX_LAYERS_H_
#define AIAAS_TRAINING_EXPORT_ONNX_LAYERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "training/export/export_source.h"
#include "training/export/onnx_graph_builder.h"
#include "training/model/model_plan.h"

namespace aiaas::training {

// Appends `layer` applied to the batched value `x`; returns the output value's name.
// `prefix` is the layer's module path in the model's state names ("layers.2",
// "decoder.0", "mu"). InvalidArgument naming the layer when a trained tensor it needs
// is missing or has an unexpected shape.
[[nodiscard]] absl::StatusOr<std::string> EmitLayer(OnnxGraphBuilder& builder,
                                                    const ExportSource& source,
                                                    const PlannedLayer& layer,
                                                    const std::string& prefix,
                                                    const std::string& x);

// `activation` applied to `x` (softmax over the last axis; gelu exact, as
// 0.5 x (1 + erf(x / sqrt 2))).
std::string EmitActivation(OnnxGraphBuilder& builder, Activation activation, const std::string& x,
                           const std::string& hint);

// A dense layer (Gemm for 2-D input, MatMul + Add otherwise) with the weights
// `prefix`.weight [out, in] and `prefix`.bias.
[[nodiscard]] absl::StatusOr<std::string> EmitLinear(OnnxGraphBuilder& builder,
                                                     const ExportSource& source,
                                                     const std::string& prefix,
                                                     const std::string& x, bool two_dimensional);

// The trained tensor `name`, or InvalidArgument naming it.
[[nodiscard]] absl::StatusOr<const ExportTensor*> RequireTensor(const ExportSource& source,
                                                                const std::string& name);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_EXPORT_ONNX_LAYERS_H_
