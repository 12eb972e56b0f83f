// A trained native model as a self-contained ONNX model (opset 17, default domain only,
// IR version 8: what Debian's ONNX 1.12 checker and aiaas's own ONNX runtime accept)
// that answers a KServe v2 request exactly as the native version does:
//
//   input   features        FLOAT [batch, F]   raw rows, dataset column order, NaN = missing
//   leading nodes           imputation (Where(IsNaN)), standard/min-max scaling computed in
//                           float64 like the native preprocessing, then float32 and the
//                           reshape to the model's sample shape
//   body                    the planned layers (dense, conv1d/2d, pools, flatten, dropout =
//                           identity, batchnorm, layernorm, embedding, rnn/lstm/gru, activation,
//                           reshape), the vae in eval mode (decoder of mu), the
//                           transformer_encoder_classifier (onnx_transformer.h)
//   outputs classification  probabilities FLOAT [batch, C] (Softmax), label INT64 or
//                           STRING [batch] (ArgMax, then Gather from the dataset's labels;
//                           aiaas's ONNX runtime serves the STRING output as BYTES)
//           regression      prediction FLOAT [batch, 1] (y * std + mean, in float64)
//           reconstruction  reconstruction FLOAT [batch, <input shape>]
//
// Not exportable (InvalidArgument naming it, so the API answers 400): categorical
// (one-hot) features (opset 17 without ai.onnx.ml has no string matching, and aiaas's
// ONNX runtime no STRING inputs). Differences from the native runtime: a served NaN in a
// "drop" column or an infinite value is refused by the native runtime but propagates
// through the ONNX graph.
//
// Torch-free; thread-safe.
#ifndef AIAAS_TRAINING_EXPORT_ONNX_EXPORT_H_
#define AIAAS_TRAINING_EXPORT_ONNX_EXPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "training/export/export_source.h"

namespace aiaas::training {

inline constexpr int kOnnxExportOpset = 17;

// The serialized ModelProto. InvalidArgument for what cannot be exported (see above).
[[nodiscard]] absl::StatusOr<std::string> ExportOnnx(const ExportSource& source);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_EXPORT_ONNX_EXPORT_H_
