// Per-sample shape inference for one layer of a model spec. Torch-free: shapes are
// checked before any tensor is allocated, and the builder sizes modules from them.
//
// Layouts: dense takes [F]; conv1d [C, L]; conv2d and the 2-D pools [C, H, W];
// rnn/lstm/gru [T, F]; embedding [T] of token ids. batchnorm normalizes axis 0 of
// the sample (features of [F], channels of [C, ...]); layernorm the last axis.
// A dense layer on a sample of more than one axis is an error with a hint to add
// flatten: silently flattening (or applying it per position, as Keras does) would
// hide a spec mistake; only the output head the zoo appends flattens by itself.
#ifndef AIAAS_TRAINING_MODEL_LAYER_SHAPES_H_
#define AIAAS_TRAINING_MODEL_LAYER_SHAPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "training/model/model_spec.h"

namespace aiaas::training {

using Shape = std::vector<int64_t>;

std::string ShapeToString(const Shape& shape);  // "[16, 2, 2]"
int64_t ShapeProduct(const Shape& shape);       // saturates at INT64_MAX

// One spatial axis of a convolution or pooling: zeros added before/after and the
// resulting length. "same" pads like Keras: out = ceil(in / stride), the odd extra
// zero after.
struct AxisGeometry {
  int64_t pad_before = 0;
  int64_t pad_after = 0;
  int64_t output = 0;
};
AxisGeometry ConvAxis(int64_t input, int64_t kernel, int64_t stride, PaddingMode padding,
                      int64_t padding_amount);

// The per-sample output shape of `layer` applied to a per-sample `input`, or
// InvalidArgument "<where>: input [16, 2, 2] is smaller than kernel 3 with padding valid".
// `where` names the layer, e.g. "model.layers[2] (conv2d)".
[[nodiscard]] absl::StatusOr<Shape> InferLayerOutputShape(const LayerSpec& layer,
                                                          const Shape& input,
                                                          absl::string_view where);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_LAYER_SHAPES_H_
