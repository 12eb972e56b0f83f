// Internal to the ONNX exporter: the transformer_encoder_classifier architecture
// (training/model/architectures.h) as ONNX nodes, eval mode. Torch-free.
#ifndef AIAAS_TRAINING_EXPORT_ONNX_TRANSFORMER_H_
#define AIAAS_TRAINING_EXPORT_ONNX_TRANSFORMER_H_

#include <string>

#include "absl/status/statusor.h"
#include "training/export/export_source.h"
#include "training/export/onnx_graph_builder.h"

namespace aiaas::training {

// The model applied to `x` ([N, T, F] features or [N, T] token ids); returns the head's
// output [N, outputs]. Computes what LibTorch's post-norm TransformerEncoderLayer does:
// x = norm1(x + attention(x)); x = norm2(x + linear2(gelu(linear1(x)))), with attention
// q k^T / sqrt(head_dim), then the mean over time and the dense head.
[[nodiscard]] absl::StatusOr<std::string> EmitTransformerClassifier(OnnxGraphBuilder& builder,
                                                                    const ExportSource& source,
                                                                    const std::string& x);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_EXPORT_ONNX_TRANSFORMER_H_
