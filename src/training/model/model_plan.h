// From a parsed ModelSpec and the data's shapes to a checked plan: the named
// architecture expanded into layers, the output head appended for the task, and
// every layer's per-sample input/output shape and parameter count inferred. Torch-free:
// a job whose model does not fit its data is rejected before anything is allocated.
//
// Output head (appended after the expanded layer list, marked `from_task`):
//  - classification: dense C (logits, no softmax: the loss takes logits);
//    regression: dense num_outputs (usually 1). Not appended when the list already
//    ends with a dense layer of that many units. A flatten is inserted before the
//    head when the last shape has more than one axis. A softmax at the end of a
//    classifier is rejected (it would be applied twice).
//  - reconstruction: nothing when the last shape equals the input shape, otherwise
//    [flatten,] dense prod(input) [, reshape input].
//
// Architectures expand to layers as follows ("flatten" first when the input has more
// than one axis and the first layer is dense):
//   linear_regression   (regression only)      -> head
//   logistic_regression (classification only)  -> head
//   mlp    dense(h, activation) [dropout] per hidden size -> head
//   cnn    per filters f: conv2d(f, kernel, padding same, activation), maxpool2d(pool);
//          flatten; dense(d, activation) [dropout] per dense size -> head
//   rnn_classifier  [embedding] cell(units, num_layers, bidirectional) [dropout] -> head
//   autoencoder  dense(e, act)..., dense(latent), dense(e, act) reversed...,
//          dense(prod(input), output_activation) [reshape]   (reconstruction only)
//   vae    encoder `layers` (dense(e, act)...), then mu/logvar heads dense(latent) x2
//          inside the model, then `decoder_layers`          (reconstruction only)
//   transformer_encoder_classifier  built as one block (`layers` empty); see
//          architectures.h
#ifndef AIAAS_TRAINING_MODEL_MODEL_PLAN_H_
#define AIAAS_TRAINING_MODEL_MODEL_PLAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "training/model/layer_shapes.h"
#include "training/model/model_spec.h"
#include "training/model/task.h"

namespace aiaas::training {

struct BuildOptions {
  // Per-sample input shape from preprocessing, e.g. {64} or {1, 8, 8}; token ids for
  // an embedding are a float [T] row holding integers.
  std::vector<int64_t> input_shape;
  Task task = Task::kClassification;
  // Classes for classification, targets for regression (usually 1); ignored for
  // reconstruction, whose output shape is the input shape.
  int64_t num_outputs = 1;
  // Overrides the spec's "init" unless kDefault.
  InitScheme init = InitScheme::kDefault;
  // Seeds the generator of the initial weights: same seed + spec + options give
  // bit-identical weights.
  uint64_t seed = 0;
  // A model with more parameters is rejected (InvalidArgument) before allocation.
  int64_t max_parameters = 100'000'000;
};

struct PlannedLayer {
  LayerSpec spec;
  // Names the layer in errors and summaries: "model.layers[2] (conv2d)",
  // "model (cnn) layer 3 (maxpool2d)", "output head (dense)".
  std::string where;
  Shape input_shape;
  Shape output_shape;
  int64_t parameters = 0;
  bool from_task = false;  // appended by the zoo (output head), not written in the spec
};

struct ModelPlan {
  Architecture architecture = Architecture::kSequential;
  ArchitectureOptions options;
  Task task = Task::kClassification;
  InitScheme init = InitScheme::kDefault;  // after BuildOptions.init overrides
  uint64_t seed = 0;
  Shape input_shape;
  Shape output_shape;
  std::vector<PlannedLayer> layers;          // vae: the encoder body
  std::vector<PlannedLayer> decoder_layers;  // vae only; its input is [latent]
  int64_t parameters = 0;                    // trainable parameters of the whole model
};

// InvalidArgument when the options are unusable (empty input shape, 0 classes), the
// architecture does not suit the task, a layer does not fit its input (naming the
// layer, its input shape and why) or the model exceeds options.max_parameters.
[[nodiscard]] absl::StatusOr<ModelPlan> PlanModel(const ModelSpec& spec,
                                                  const BuildOptions& options);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_MODEL_PLAN_H_
