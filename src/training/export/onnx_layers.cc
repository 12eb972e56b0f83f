#include "training/export/onnx_layers.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "training/model/layer_shapes.h"

namespace aiaas::training {
namespace {

// LibTorch's default epsilon of BatchNorm and LayerNorm (the zoo keeps it).
constexpr float kNormEpsilon = 1e-5f;

std::string Scalar(OnnxGraphBuilder& b, absl::string_view name, float value) {
  return b.Floats(name, {}, {value});
}

// [0, dims...]: Reshape's shape input keeping the batch axis.
std::string KeepBatchShape(OnnxGraphBuilder& b, const std::vector<int64_t>& dims,
                           const std::string& hint) {
  std::vector<int64_t> shape = {0};
  shape.insert(shape.end(), dims.begin(), dims.end());
  return b.Int64s(hint + "_shape", {static_cast<int64_t>(shape.size())}, shape);
}

absl::StatusOr<std::string> EmitConv(OnnxGraphBuilder& b, const ExportSource& source,
                                     const PlannedLayer& layer, const std::string& prefix,
                                     const std::string& x) {
  const LayerSpec& spec = layer.spec;
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* weight,
                         RequireTensor(source, prefix + ".conv.weight"));
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* bias, RequireTensor(source, prefix + ".conv.bias"));
  std::vector<int64_t> begins, ends, kernel, strides;
  for (size_t axis = 1; axis < layer.input_shape.size(); ++axis) {
    AxisGeometry g = ConvAxis(layer.input_shape[axis], spec.kernel, spec.stride, spec.padding,
                              spec.padding_amount);
    begins.push_back(g.pad_before);
    ends.push_back(g.pad_after);
    kernel.push_back(spec.kernel);
    strides.push_back(spec.stride);
  }
  std::vector<int64_t> pads = begins;
  pads.insert(pads.end(), ends.begin(), ends.end());
  onnx::NodeProto* conv = b.Node("Conv", {x, b.Weight(*weight), b.Weight(*bias)}, prefix);
  SetInts(conv, "kernel_shape", kernel);
  SetInts(conv, "strides", strides);
  SetInts(conv, "pads", pads);
  return EmitActivation(b, spec.activation, conv->output(0), prefix + "/act");
}

// LibTorch gate blocks -> ONNX gate blocks: LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h.
std::vector<int> GateOrder(LayerType type) {
  if (type == LayerType::kLstm) return {0, 3, 1, 2};
  if (type == LayerType::kGru) return {1, 0, 2};
  return {0};
}

// Appends `tensor`'s rows, gate block by gate block in `order` (each block `rows` rows).
void AppendReordered(const ExportTensor& tensor, const std::vector<int>& order, int64_t rows,
                     std::vector<float>* out) {
  const std::vector<float> values = tensor.Floats();
  const int64_t row_size = tensor.shape.size() > 1 ? tensor.shape[1] : 1;
  for (int block : order) {
    const auto begin = values.begin() + block * rows * row_size;
    out->insert(out->end(), begin, begin + rows * row_size);
  }
}

absl::StatusOr<std::string> EmitRecurrent(OnnxGraphBuilder& b, const ExportSource& source,
                                          const PlannedLayer& layer, const std::string& prefix,
                                          const std::string& x) {
  const LayerSpec& spec = layer.spec;
  const int64_t hidden = spec.units;
  const int64_t directions = spec.bidirectional ? 2 : 1;
  const std::vector<int> order = GateOrder(spec.type);
  const int64_t gates = static_cast<int64_t>(order.size());
  const char* op = spec.type == LayerType::kLstm  ? "LSTM"
                   : spec.type == LayerType::kGru ? "GRU"
                                                  : "RNN";
  std::string input = x;
  std::string y, y_h;
  int64_t features = layer.input_shape.back();
  for (int64_t l = 0; l < spec.num_layers; ++l) {
    std::vector<float> w, r, bias;
    for (int64_t d = 0; d < directions; ++d) {
      const std::string suffix = absl::StrCat("_l", l, d == 1 ? "_reverse" : "");
      const std::string base = prefix + ".rnn.";
      AIAAS_ASSIGN_OR_RETURN(const ExportTensor* w_ih,
                             RequireTensor(source, base + "weight_ih" + suffix));
      AIAAS_ASSIGN_OR_RETURN(const ExportTensor* w_hh,
                             RequireTensor(source, base + "weight_hh" + suffix));
      AIAAS_ASSIGN_OR_RETURN(const ExportTensor* b_ih,
                             RequireTensor(source, base + "bias_ih" + suffix));
      AIAAS_ASSIGN_OR_RETURN(const ExportTensor* b_hh,
                             RequireTensor(source, base + "bias_hh" + suffix));
      if (w_ih->shape != std::vector<int64_t>{gates * hidden, features} ||
          w_hh->shape != std::vector<int64_t>{gates * hidden, hidden}) {
        return absl::InvalidArgumentError(
            absl::StrCat(layer.where, ": unexpected recurrent weight shapes"));
      }
      AppendReordered(*w_ih, order, hidden, &w);
      AppendReordered(*w_hh, order, hidden, &r);
      AppendReordered(*b_ih, order, hidden, &bias);  // ONNX B is [Wb, Rb] per direction
      AppendReordered(*b_hh, order, hidden, &bias);
    }
    const std::string name = absl::StrCat(prefix, ".rnn.onnx_l", l);
    const std::string w_name = b.Floats(name + "_W", {directions, gates * hidden, features}, w);
    const std::string r_name = b.Floats(name + "_R", {directions, gates * hidden, hidden}, r);
    const std::string b_name = b.Floats(name + "_B", {directions, 2 * gates * hidden}, bias);
    onnx::NodeProto* node =
        b.Node(op, {input, w_name, r_name, b_name}, name, spec.type == LayerType::kLstm ? 3 : 2);
    SetInt(node, "hidden_size", hidden);
    SetString(node, "direction", spec.bidirectional ? "bidirectional" : "forward");
    SetInt(node, "layout", 1);  // batch first: X [N, T, F], Y [N, T, D, H], Y_h [N, D, H]
    if (spec.type == LayerType::kGru) SetInt(node, "linear_before_reset", 1);
    y = node->output(0);
    y_h = node->output(1);
    // The next layer (and return_sequences) sees [N, T, D * H], directions concatenated.
    input = b.Op("Reshape", {y, KeepBatchShape(b, {0, directions * hidden}, name + "_seq")},
                 name + "_seq");
    features = directions * hidden;
  }
  if (spec.return_sequences) return input;
  return b.Op("Reshape", {y_h, KeepBatchShape(b, {directions * hidden}, prefix + "_last")},
              prefix + "_last");
}

}  // namespace

absl::StatusOr<const ExportTensor*> RequireTensor(const ExportSource& source,
                                                  const std::string& name) {
  const ExportTensor* tensor = source.Find(name);
  if (tensor == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the trained weights have no tensor \"", name, "\""));
  }
  return tensor;
}

std::string EmitActivation(OnnxGraphBuilder& b, Activation activation, const std::string& x,
                           const std::string& hint) {
  switch (activation) {
    case Activation::kNone:
      return x;
    case Activation::kRelu:
      return b.Op("Relu", {x}, hint);
    case Activation::kTanh:
      return b.Op("Tanh", {x}, hint);
    case Activation::kSigmoid:
      return b.Op("Sigmoid", {x}, hint);
    case Activation::kSoftmax: {
      onnx::NodeProto* node = b.Node("Softmax", {x}, hint);
      SetInt(node, "axis", -1);
      return node->output(0);
    }
    case Activation::kGelu: {
      // Opset 17 has no Gelu: the erf form torch.onnx.export writes (exact gelu).
      const std::string scaled =
          b.Op("Div", {x, Scalar(b, hint + "_sqrt2", static_cast<float>(std::sqrt(2.0)))}, hint);
      const std::string erf = b.Op("Erf", {scaled}, hint);
      const std::string plus = b.Op("Add", {erf, Scalar(b, hint + "_one", 1.0f)}, hint);
      const std::string times = b.Op("Mul", {x, plus}, hint);
      return b.Op("Mul", {times, Scalar(b, hint + "_half", 0.5f)}, hint);
    }
  }
  return x;
}

absl::StatusOr<std::string> EmitLinear(OnnxGraphBuilder& b, const ExportSource& source,
                                       const std::string& prefix, const std::string& x,
                                       bool two_dimensional) {
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* weight, RequireTensor(source, prefix + ".weight"));
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* bias, RequireTensor(source, prefix + ".bias"));
  if (two_dimensional) {
    onnx::NodeProto* gemm = b.Node("Gemm", {x, b.Weight(*weight), b.Weight(*bias)}, prefix);
    SetInt(gemm, "transB", 1);
    return gemm->output(0);
  }
  // [out, in] -> [in, out] for MatMul on [N, T, in].
  const std::vector<float> w = weight->Floats();
  const int64_t out = weight->shape[0];
  const int64_t in = weight->shape[1];
  std::vector<float> transposed(w.size());
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < in; ++i) transposed[i * out + o] = w[o * in + i];
  }
  const std::string matmul =
      b.Op("MatMul", {x, b.Floats(prefix + ".weight_transposed", {in, out}, transposed)}, prefix);
  return b.Op("Add", {matmul, b.Weight(*bias)}, prefix);
}

absl::StatusOr<std::string> EmitLayer(OnnxGraphBuilder& b, const ExportSource& source,
                                      const PlannedLayer& layer, const std::string& prefix,
                                      const std::string& x) {
  const LayerSpec& spec = layer.spec;
  switch (spec.type) {
    case LayerType::kDense: {
      AIAAS_ASSIGN_OR_RETURN(std::string y, EmitLinear(b, source, prefix + ".linear", x,
                                                       layer.input_shape.size() == 1));
      return EmitActivation(b, spec.activation, y, prefix + "/act");
    }
    case LayerType::kConv1d:
    case LayerType::kConv2d:
      return EmitConv(b, source, layer, prefix, x);
    case LayerType::kMaxPool2d:
    case LayerType::kAvgPool2d: {
      const int64_t stride = spec.stride > 0 ? spec.stride : spec.pool;
      onnx::NodeProto* pool =
          b.Node(spec.type == LayerType::kMaxPool2d ? "MaxPool" : "AveragePool", {x}, prefix);
      SetInts(pool, "kernel_shape", {spec.pool, spec.pool});
      SetInts(pool, "strides", {stride, stride});
      return pool->output(0);
    }
    case LayerType::kFlatten: {
      onnx::NodeProto* flatten = b.Node("Flatten", {x}, prefix);
      SetInt(flatten, "axis", 1);
      return flatten->output(0);
    }
    case LayerType::kDropout:
      return x;  // identity at inference
    case LayerType::kBatchNorm: {
      std::vector<std::string> inputs = {x};
      for (const char* part : {"weight", "bias", "running_mean", "running_var"}) {
        AIAAS_ASSIGN_OR_RETURN(const ExportTensor* t,
                               RequireTensor(source, absl::StrCat(prefix, ".bn.", part)));
        inputs.push_back(b.Weight(*t));
      }
      onnx::NodeProto* bn = b.Node("BatchNormalization", inputs, prefix);
      SetFloat(bn, "epsilon", kNormEpsilon);
      return bn->output(0);
    }
    case LayerType::kLayerNorm: {
      AIAAS_ASSIGN_OR_RETURN(const ExportTensor* weight,
                             RequireTensor(source, prefix + ".norm.weight"));
      AIAAS_ASSIGN_OR_RETURN(const ExportTensor* bias,
                             RequireTensor(source, prefix + ".norm.bias"));
      onnx::NodeProto* norm =
          b.Node("LayerNormalization", {x, b.Weight(*weight), b.Weight(*bias)}, prefix);
      SetInt(norm, "axis", -1);
      SetFloat(norm, "epsilon", kNormEpsilon);
      return norm->output(0);
    }
    case LayerType::kEmbedding: {
      AIAAS_ASSIGN_OR_RETURN(const ExportTensor* table,
                             RequireTensor(source, prefix + ".embedding.weight"));
      // Token ids arrive as floats: rounded (halves to even, like torch) to int64.
      const std::string rounded = b.Op("Round", {x}, prefix + "/ids");
      onnx::NodeProto* cast = b.Node("Cast", {rounded}, prefix + "/ids");
      SetInt(cast, "to", onnx::TensorProto::INT64);
      onnx::NodeProto* gather = b.Node("Gather", {b.Weight(*table), cast->output(0)}, prefix);
      SetInt(gather, "axis", 0);
      return gather->output(0);
    }
    case LayerType::kRnn:
    case LayerType::kLstm:
    case LayerType::kGru:
      return EmitRecurrent(b, source, layer, prefix, x);
    case LayerType::kActivation:
      return EmitActivation(b, spec.activation, x, prefix);
    case LayerType::kReshape:
      return b.Op("Reshape", {x, KeepBatchShape(b, layer.output_shape, prefix)}, prefix);
  }
  return absl::InvalidArgumentError(absl::StrCat(layer.where, ": not exportable to ONNX"));
}

}  // namespace aiaas::training
