#include "training/model/layer_shapes.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace aiaas::training {
namespace {

// Shapes beyond this many elements per sample are a spec mistake, not a model.
constexpr int64_t kMaxElementsPerSample = int64_t{1} << 31;

absl::Status Invalid(absl::string_view where, const Shape& input, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": input ", ShapeToString(input), " ", why));
}

std::string PaddingName(PaddingMode padding, int64_t amount) {
  switch (padding) {
    case PaddingMode::kValid:
      return "valid";
    case PaddingMode::kSame:
      return "same";
    case PaddingMode::kExplicit:
      return absl::StrCat(amount);
  }
  return "?";
}

absl::StatusOr<Shape> ConvShape(const LayerSpec& layer, const Shape& input, absl::string_view where,
                                size_t spatial_axes) {
  if (input.size() != spatial_axes + 1) {
    return Invalid(where, input,
                   spatial_axes == 1 ? "must be [channels, length] for conv1d"
                                     : "must be [channels, height, width] for conv2d");
  }
  Shape output = {layer.filters};
  for (size_t axis = 1; axis < input.size(); ++axis) {
    if (layer.padding != PaddingMode::kSame &&
        input[axis] + 2 * layer.padding_amount < layer.kernel) {
      return Invalid(where, input,
                     absl::StrCat("is smaller than kernel ", layer.kernel, " with padding ",
                                  PaddingName(layer.padding, layer.padding_amount)));
    }
    output.push_back(
        ConvAxis(input[axis], layer.kernel, layer.stride, layer.padding, layer.padding_amount)
            .output);
  }
  return output;
}

absl::StatusOr<Shape> PoolShape(const LayerSpec& layer, const Shape& input,
                                absl::string_view where) {
  if (input.size() != 3) return Invalid(where, input, "must be [channels, height, width]");
  if (input[1] < layer.pool || input[2] < layer.pool) {
    return Invalid(where, input, absl::StrCat("is smaller than pool ", layer.pool));
  }
  Shape output = {input[0]};
  for (size_t axis = 1; axis < 3; ++axis) {
    output.push_back(
        ConvAxis(input[axis], layer.pool, layer.stride, PaddingMode::kValid, 0).output);
  }
  return output;
}

absl::StatusOr<Shape> ReshapeShape(const LayerSpec& layer, const Shape& input,
                                   absl::string_view where) {
  int64_t known = 1;
  int wildcard = -1;
  for (size_t i = 0; i < layer.shape.size(); ++i) {
    if (layer.shape[i] == -1) {
      wildcard = static_cast<int>(i);
    } else {
      known *= layer.shape[i];
      if (known > kMaxElementsPerSample) break;
    }
  }
  const int64_t total = ShapeProduct(input);
  Shape output = layer.shape;
  if (wildcard >= 0) {
    if (known == 0 || total % known != 0) {
      return Invalid(
          where, input,
          absl::StrCat("(", total, " values) cannot be reshaped to ", ShapeToString(layer.shape)));
    }
    output[wildcard] = total / known;
  } else if (known != total) {
    return Invalid(where, input,
                   absl::StrCat("(", total, " values) cannot be reshaped to ",
                                ShapeToString(layer.shape), " (", known, " values)"));
  }
  return output;
}

}  // namespace

std::string ShapeToString(const Shape& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

int64_t ShapeProduct(const Shape& shape) {
  int64_t product = 1;
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(product, dim, &product)) return INT64_MAX;
  }
  return product;
}

AxisGeometry ConvAxis(int64_t input, int64_t kernel, int64_t stride, PaddingMode padding,
                      int64_t padding_amount) {
  AxisGeometry geometry;
  if (padding == PaddingMode::kSame) {
    geometry.output = (input + stride - 1) / stride;
    int64_t total = (geometry.output - 1) * stride + kernel - input;
    if (total < 0) total = 0;
    geometry.pad_before = total / 2;
    geometry.pad_after = total - geometry.pad_before;
    return geometry;
  }
  if (padding == PaddingMode::kExplicit) {
    geometry.pad_before = padding_amount;
    geometry.pad_after = padding_amount;
  }
  geometry.output = (input + geometry.pad_before + geometry.pad_after - kernel) / stride + 1;
  return geometry;
}

absl::StatusOr<Shape> InferLayerOutputShape(const LayerSpec& layer, const Shape& input,
                                            absl::string_view where) {
  if (input.empty()) return Invalid(where, input, "has no axes");
  for (int64_t dim : input) {
    if (dim <= 0) return Invalid(where, input, "has an empty axis");
  }
  absl::StatusOr<Shape> output;
  switch (layer.type) {
    case LayerType::kDense:
      if (input.size() != 1) {
        return Invalid(where, input,
                       "has more than one axis; dense takes [features]: add "
                       "{\"type\": \"flatten\"} before it (or return_sequences false on "
                       "the recurrent layer before it)");
      }
      output = Shape{layer.units};
      break;
    case LayerType::kConv1d:
      output = ConvShape(layer, input, where, 1);
      break;
    case LayerType::kConv2d:
      output = ConvShape(layer, input, where, 2);
      break;
    case LayerType::kMaxPool2d:
    case LayerType::kAvgPool2d:
      output = PoolShape(layer, input, where);
      break;
    case LayerType::kFlatten:
      output = Shape{ShapeProduct(input)};
      break;
    case LayerType::kDropout:
    case LayerType::kActivation:
    case LayerType::kLayerNorm:
      output = input;
      break;
    case LayerType::kBatchNorm:
      if (input.size() > 3) {
        return Invalid(where, input,
                       "has more than 3 axes; batchnorm takes [F], [C, L] or [C, H, W]");
      }
      output = input;
      break;
    case LayerType::kEmbedding:
      if (input.size() != 1) {
        return Invalid(where, input, "must be [T] token ids for embedding");
      }
      output = Shape{input[0], layer.dim};
      break;
    case LayerType::kRnn:
    case LayerType::kLstm:
    case LayerType::kGru: {
      if (input.size() != 2) {
        return Invalid(
            where, input,
            absl::StrCat("must be a [time, features] sequence for ", LayerTypeName(layer.type),
                         "; add {\"type\": \"reshape\", \"shape\": [T, F]} or an "
                         "embedding before it"));
      }
      int64_t width = layer.units * (layer.bidirectional ? 2 : 1);
      output = layer.return_sequences ? Shape{input[0], width} : Shape{width};
      break;
    }
    case LayerType::kReshape:
      output = ReshapeShape(layer, input, where);
      break;
  }
  if (output.ok() && ShapeProduct(*output) > kMaxElementsPerSample) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": output ", ShapeToString(*output), " is too large for one sample"));
  }
  return output;
}

}  // namespace aiaas::training
