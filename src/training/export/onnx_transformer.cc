#include "training/export/onnx_transformer.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "training/export/onnx_layers.h"

namespace aiaas::training {
namespace {

constexpr float kNormEpsilon = 1e-5f;  // LibTorch's LayerNorm default

// Rows [begin, begin + rows) of a [R, C] (or [R]) tensor, as a new tensor.
ExportTensor Rows(const ExportTensor& tensor, int64_t begin, int64_t rows,
                  const std::string& name) {
  const int64_t row_size = tensor.shape.size() > 1 ? tensor.shape[1] : 1;
  ExportTensor out;
  out.name = name;
  out.shape = tensor.shape;
  out.shape[0] = rows;
  out.bytes = tensor.bytes.substr(static_cast<size_t>(begin * row_size) * sizeof(float),
                                  static_cast<size_t>(rows * row_size) * sizeof(float));
  return out;
}

// x [N, T, in] @ weight^T + bias, for a [out, in] weight.
std::string Project(OnnxGraphBuilder& b, const ExportTensor& weight, const ExportTensor& bias,
                    const std::string& x, const std::string& hint) {
  const std::vector<float> w = weight.Floats();
  const int64_t out = weight.shape[0];
  const int64_t in = weight.shape[1];
  std::vector<float> transposed(w.size());
  for (int64_t o = 0; o < out; ++o) {
    for (int64_t i = 0; i < in; ++i) transposed[i * out + o] = w[o * in + i];
  }
  const std::string product =
      b.Op("MatMul", {x, b.Floats(weight.name + "_transposed", {in, out}, transposed)}, hint);
  return b.Op("Add", {product, b.Floats(bias.name, {out}, bias.Floats())}, hint);
}

std::string Shape(OnnxGraphBuilder& b, const std::vector<int64_t>& dims, const std::string& hint) {
  return b.Int64s(hint + "_shape", {static_cast<int64_t>(dims.size())}, dims);
}

std::string Transpose(OnnxGraphBuilder& b, const std::string& x, const std::vector<int64_t>& perm,
                      const std::string& hint) {
  onnx::NodeProto* node = b.Node("Transpose", {x}, hint);
  SetInts(node, "perm", perm);
  return node->output(0);
}

absl::StatusOr<std::string> LayerNorm(OnnxGraphBuilder& b, const ExportSource& source,
                                      const std::string& prefix, const std::string& x) {
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* weight, RequireTensor(source, prefix + ".weight"));
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* bias, RequireTensor(source, prefix + ".bias"));
  onnx::NodeProto* norm =
      b.Node("LayerNormalization", {x, b.Weight(*weight), b.Weight(*bias)}, prefix);
  SetInt(norm, "axis", -1);
  SetFloat(norm, "epsilon", kNormEpsilon);
  return norm->output(0);
}

absl::StatusOr<std::string> Attention(OnnxGraphBuilder& b, const ExportSource& source,
                                      const std::string& prefix, int64_t d_model, int64_t heads,
                                      const std::string& x) {
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* in_w,
                         RequireTensor(source, prefix + ".in_proj_weight"));
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* in_b, RequireTensor(source, prefix + ".in_proj_bias"));
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* out_w,
                         RequireTensor(source, prefix + ".out_proj.weight"));
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* out_b,
                         RequireTensor(source, prefix + ".out_proj.bias"));
  const int64_t head_dim = d_model / heads;
  std::vector<std::string> qkv;
  const char* names[] = {"q", "k", "v"};
  for (int64_t part = 0; part < 3; ++part) {
    const std::string name = absl::StrCat(prefix, ".", names[part]);
    const std::string projected =
        Project(b, Rows(*in_w, part * d_model, d_model, name + "_proj_weight"),
                Rows(*in_b, part * d_model, d_model, name + "_proj_bias"), x, name);
    // [N, T, d] -> [N, T, heads, head_dim] -> [N, heads, T, head_dim] (k: [N, heads, hd, T])
    const std::string split =
        b.Op("Reshape", {projected, Shape(b, {0, 0, heads, head_dim}, name)}, name);
    qkv.push_back(Transpose(
        b, split, part == 1 ? std::vector<int64_t>{0, 2, 3, 1} : std::vector<int64_t>{0, 2, 1, 3},
        name));
  }
  const std::string scaled =
      b.Op("Mul",
           {qkv[0], b.Floats(prefix + ".scaling", {},
                             {static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)))})},
           prefix + "/q_scaled");
  const std::string scores = b.Op("MatMul", {scaled, qkv[1]}, prefix + "/scores");
  onnx::NodeProto* softmax = b.Node("Softmax", {scores}, prefix + "/weights");
  SetInt(softmax, "axis", -1);
  const std::string mixed = b.Op("MatMul", {softmax->output(0), qkv[2]}, prefix + "/mixed");
  const std::string merged = b.Op(
      "Reshape",
      {Transpose(b, mixed, {0, 2, 1, 3}, prefix + "/merged"), Shape(b, {0, 0, d_model}, prefix)},
      prefix + "/merged");
  return Project(b, *out_w, *out_b, merged, prefix + ".out_proj");
}

}  // namespace

absl::StatusOr<std::string> EmitTransformerClassifier(OnnxGraphBuilder& b,
                                                      const ExportSource& source,
                                                      const std::string& input) {
  const ArchitectureOptions& o = source.plan.options;
  std::string x;
  if (o.vocab > 0) {
    AIAAS_ASSIGN_OR_RETURN(const ExportTensor* table,
                           RequireTensor(source, "input.embedding.weight"));
    const std::string rounded = b.Op("Round", {input}, "input/ids");
    onnx::NodeProto* cast = b.Node("Cast", {rounded}, "input/ids");
    SetInt(cast, "to", onnx::TensorProto::INT64);
    onnx::NodeProto* gather = b.Node("Gather", {b.Weight(*table), cast->output(0)}, "input");
    SetInt(gather, "axis", 0);
    x = gather->output(0);
  } else {
    AIAAS_ASSIGN_OR_RETURN(x, EmitLinear(b, source, "input.linear", input,
                                         /*two_dimensional=*/false));
  }
  AIAAS_ASSIGN_OR_RETURN(const ExportTensor* positions, RequireTensor(source, "positions.weight"));
  x = b.Op("Add", {x, b.Weight(*positions)}, "positions");
  for (int64_t i = 0; i < o.num_layers; ++i) {
    const std::string block = absl::StrCat("blocks.", i);
    AIAAS_ASSIGN_OR_RETURN(std::string attended,
                           Attention(b, source, block + ".self_attn", o.d_model, o.heads, x));
    AIAAS_ASSIGN_OR_RETURN(x, LayerNorm(b, source, block + ".norm1",
                                        b.Op("Add", {x, attended}, block + "/residual1")));
    AIAAS_ASSIGN_OR_RETURN(std::string hidden, EmitLinear(b, source, block + ".linear1", x, false));
    hidden = EmitActivation(b, Activation::kGelu, hidden, block + "/gelu");
    AIAAS_ASSIGN_OR_RETURN(std::string ff,
                           EmitLinear(b, source, block + ".linear2", hidden, false));
    AIAAS_ASSIGN_OR_RETURN(
        x, LayerNorm(b, source, block + ".norm2", b.Op("Add", {x, ff}, block + "/residual2")));
  }
  onnx::NodeProto* mean = b.Node("ReduceMean", {x}, "time_mean");
  SetInts(mean, "axes", {1});
  SetInt(mean, "keepdims", 0);
  return EmitLinear(b, source, "head.linear", mean->output(0), /*two_dimensional=*/true);
}

}  // namespace aiaas::training
