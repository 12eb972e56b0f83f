// A trained native model's weights in the safetensors format, for use from Python
// (docs/training.md "Export"):
//
//   8 bytes   N, little-endian uint64
//   N bytes   JSON header, padded with spaces to a multiple of 8:
//             {"<tensor name>": {"dtype": "F32" | "I64", "shape": [...],
//                                "data_offsets": [begin, end]}, ...,
//              "__metadata__": {string: string}}
//   the tensors' bytes, little-endian, contiguous, in the model's state order
//
// Tensor names are the model's state names ("layers.0.linear.weight",
// "layers.2.bn.running_mean", "layers.1.rnn.weight_ih_l0", ...), in LibTorch's layouts
// (dense weight [out, in]; conv [out, in, k...]; rnn gates in torch order).
// __metadata__ (every value a string; JSON values as JSON text):
//   format        "aiaas.safetensors.v1"
//   task          "classification" | "regression" | "reconstruction"
//   architecture  "mlp", "cnn", "sequential", ...
//   model         the job's "model" object (JSON)
//   build         {"input_shape", "num_outputs", "init", "seed"} (JSON)
//   layers        the expanded layer list with module paths and shapes (JSON; see
//                 SafetensorsLayersJson)
//   preprocessor  the fitted preprocessing (JSON, FittedPreprocessor::ToJson)
//   labels        class names in index order (JSON array; classification)
//   target_scale  {"mean", "std"} (JSON; regression: prediction = y * std + mean)
//
// Torch-free; thread-safe.
#ifndef AIAAS_TRAINING_EXPORT_SAFETENSORS_EXPORT_H_
#define AIAAS_TRAINING_EXPORT_SAFETENSORS_EXPORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "training/export/export_source.h"

namespace aiaas::training {

inline constexpr char kSafetensorsFormat[] = "aiaas.safetensors.v1";

// The file's bytes. Every native model is exportable; Internal only for a source
// whose tensors do not match their shapes (a bug).
[[nodiscard]] absl::StatusOr<std::string> ExportSafetensors(const ExportSource& source);

// The "layers" metadata: [{"module": "layers.0", "type": "dense", "units": 64,
// "activation": "relu", "input_shape": [4], "output_shape": [64]}, ...] with each
// type's own fields (conv: filters, kernel, stride, pads [[before, after] per spatial
// axis]; pools: pool, stride; dropout: rate; embedding: vocab, dim; rnn/lstm/gru:
// units, num_layers, bidirectional, return_sequences; reshape: shape). A vae lists
// its encoder ("encoder.i"), "mu", "logvar" (dense latent) and decoder ("decoder.i").
nlohmann::json SafetensorsLayersJson(const ModelPlan& plan);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_EXPORT_SAFETENSORS_EXPORT_H_
