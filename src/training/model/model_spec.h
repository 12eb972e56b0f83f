// The "model" part of a training job spec: a Keras-like description of a network,
// parsed and validated into plain structs. Torch-free: the server can reject a bad
// spec with a 400 before any LibTorch code runs.
//
// Accepted JSON (every key optional unless noted; unknown keys are rejected):
//
//   {"architecture": "mlp",            // or absent / "sequential": use "layers"
//    "hidden": [64, 64], ...,          // the architecture's options (see below)
//    "init": "kaiming",                // xavier | kaiming | normal | uniform | zeros
//    "layers": [ {layer}, ... ]}       // only without a named architecture
//
// Layers ("type" is required; defaults in brackets):
//   dense      units (>0), activation [none]
//   conv1d     filters (>0), kernel (>0), stride [1], padding "valid"|"same"|int>=0
//   conv2d       ["valid"], activation [none]
//   maxpool2d  pool (>0), stride [= pool]
//   avgpool2d  pool (>0), stride [= pool]
//   flatten
//   dropout    rate in [0, 1)
//   batchnorm
//   layernorm  (normalizes the last axis)
//   embedding  vocab (>0), dim (>0)
//   rnn|lstm|gru  units (>0), return_sequences [false], layers [1], bidirectional [false]
//   activation activation (required)
//   reshape    shape: list of positive ints with at most one -1
// Activations: "relu" | "tanh" | "sigmoid" | "gelu" | "softmax" | "linear" | "none".
//
// Architectures and their options:
//   linear_regression, logistic_regression   (no options; one dense layer)
//   mlp          hidden [64, 64], activation [relu], dropout [0]
//   cnn          filters [16, 32], kernel [3], pool [2], activation [relu],
//                dense [64], dropout [0]
//   rnn_classifier  cell ["lstm"|"gru"|"rnn"], units [64], num_layers [1],
//                bidirectional [false], dropout [0], embedding {"vocab": V, "dim": D}
//   autoencoder, vae  encoder [128, 64], latent [16], activation [relu],
//                output_activation [none] ("sigmoid" for data in [0, 1])
//   transformer_encoder_classifier  d_model [64], heads [4], num_layers [2],
//                ff_dim [128], dropout [0.1], vocab [0 = inputs are [T, F] features]
//
// "layers" together with a named architecture is rejected: an architecture is a
// shorthand for a layer list, and silently mixing the two would hide which one won.
#ifndef AIAAS_TRAINING_MODEL_MODEL_SPEC_H_
#define AIAAS_TRAINING_MODEL_MODEL_SPEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json_fwd.hpp"

namespace aiaas::training {

enum class LayerType {
  kDense,
  kConv1d,
  kConv2d,
  kMaxPool2d,
  kAvgPool2d,
  kFlatten,
  kDropout,
  kBatchNorm,
  kLayerNorm,
  kEmbedding,
  kRnn,
  kLstm,
  kGru,
  kActivation,
  kReshape,
};

enum class Activation { kNone, kRelu, kTanh, kSigmoid, kGelu, kSoftmax };

enum class PaddingMode { kValid, kSame, kExplicit };

// Weight initialization. kDefault picks per layer: Kaiming (fan-in, normal) for
// dense/conv layers followed by relu or gelu, Xavier-uniform for other weights,
// N(0, 1) for embeddings; biases are zero and norm scales one under every scheme.
enum class InitScheme { kDefault, kXavier, kKaiming, kNormal, kUniform, kZeros };

absl::string_view LayerTypeName(LayerType type);          // "conv2d"
absl::string_view ActivationName(Activation activation);  // "relu", "none"
absl::string_view InitSchemeName(InitScheme scheme);      // "kaiming", "default"

// One layer; only the fields of its type are meaningful.
struct LayerSpec {
  LayerType type = LayerType::kDense;
  int64_t units = 0;    // dense, rnn, lstm, gru
  int64_t filters = 0;  // conv1d, conv2d
  int64_t kernel = 0;   // conv1d, conv2d
  int64_t stride = 1;   // conv; pools: 0 means "= pool"
  PaddingMode padding = PaddingMode::kValid;
  int64_t padding_amount = 0;     // kExplicit: zeros added on each side
  int64_t pool = 0;               // maxpool2d, avgpool2d
  double rate = 0.0;              // dropout
  int64_t vocab = 0;              // embedding
  int64_t dim = 0;                // embedding
  bool return_sequences = false;  // rnn, lstm, gru
  int64_t num_layers = 1;         // rnn, lstm, gru
  bool bidirectional = false;     // rnn, lstm, gru
  Activation activation = Activation::kNone;
  std::vector<int64_t> shape;  // reshape (per sample, may hold one -1)
};

enum class Architecture {
  kSequential,  // the "layers" list as given
  kLinearRegression,
  kLogisticRegression,
  kMlp,
  kCnn,
  kRnnClassifier,
  kAutoencoder,
  kVae,
  kTransformerEncoderClassifier,
};

absl::string_view ArchitectureName(Architecture architecture);  // "mlp", "sequential"

// Options of the named architectures, defaults as documented above. Only the
// options of the chosen architecture are accepted in the JSON.
struct ArchitectureOptions {
  std::vector<int64_t> hidden = {64, 64};     // mlp
  Activation activation = Activation::kRelu;  // mlp, cnn, autoencoder, vae
  double dropout = 0.0;                       // mlp, cnn, rnn_classifier; transformer default 0.1
  std::vector<int64_t> filters = {16, 32};    // cnn
  int64_t kernel = 3;                         // cnn
  int64_t pool = 2;                           // cnn
  std::vector<int64_t> dense = {64};          // cnn: dense layers after flatten
  LayerType cell = LayerType::kLstm;          // rnn_classifier
  int64_t units = 64;                         // rnn_classifier
  int64_t num_layers = 1;                     // rnn_classifier; transformer default 2
  bool bidirectional = false;                 // rnn_classifier
  int64_t embedding_vocab = 0;                // rnn_classifier: 0 = no embedding
  int64_t embedding_dim = 0;                  // rnn_classifier
  std::vector<int64_t> encoder = {128, 64};   // autoencoder, vae
  int64_t latent = 16;                        // autoencoder, vae
  Activation output_activation = Activation::kNone;  // autoencoder, vae
  int64_t d_model = 64;                              // transformer
  int64_t heads = 4;                                 // transformer
  int64_t ff_dim = 128;                              // transformer
  int64_t vocab = 0;                                 // transformer: 0 = [T, F] feature input
};

struct ModelSpec {
  Architecture architecture = Architecture::kSequential;
  ArchitectureOptions options;
  std::vector<LayerSpec> layers;  // kSequential only
  InitScheme init = InitScheme::kDefault;
};

// Parses and validates the "model" object. InvalidArgument names the offending
// place: "model.layers[3] (conv2d): kernel must be a positive integer",
// "model (cnn): unknown key \"hiden\"". Values are checked here; whether layers fit
// the data's shapes is checked by PlanModel (model_plan.h).
[[nodiscard]] absl::StatusOr<ModelSpec> ParseModelSpec(const nlohmann::json& model);
// The same from JSON text; a syntax error is InvalidArgument.
[[nodiscard]] absl::StatusOr<ModelSpec> ParseModelSpecText(absl::string_view json_text);

// Parses "xavier" | "kaiming" | "normal" | "uniform" | "zeros" | "default".
[[nodiscard]] absl::StatusOr<InitScheme> ParseInitScheme(absl::string_view name);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_MODEL_SPEC_H_
