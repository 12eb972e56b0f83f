// Convolution: Conv and ConvTranspose, 1-D to 3-D, on ATen's at::convolution.
// ONNX pads may be asymmetric (and auto_pad SAME_* produces odd totals): those are
// applied by padding (Conv) or cropping (ConvTranspose) around a pad-free convolution.
// FLOAT16 is computed in float32.

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tensor.h"
#include "runtime/onnx/op_registry.h"
#include "runtime/onnx/op_util.h"
#include "runtime/onnx/spatial_geometry.h"

namespace aiaas::runtime::onnxrt {
namespace {

using Outputs = absl::StatusOr<std::vector<at::Tensor>>;

at::Tensor Widen(const at::Tensor& t) {
  if (!t.defined()) return t;
  return t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16 ? t.to(at::kFloat) : t;
}

std::vector<int64_t> SpatialSizes(const at::Tensor& t) {
  std::vector<int64_t> sizes = t.sizes().vec();
  return std::vector<int64_t>(sizes.begin() + std::min<int64_t>(2, t.dim()), sizes.end());
}

absl::Status CheckRanks(const at::Tensor& x, const at::Tensor& w, const char* op) {
  if (x.dim() < 3 || x.dim() > 5 || w.dim() != x.dim()) {
    return absl::InvalidArgumentError(absl::StrCat(
        op, ": input (", x.dim(), "-D) and weights (", w.dim(),
        "-D) must both be 3-D to 5-D (N, C, and 1 to 3 spatial dims)"));
  }
  return absl::OkStatus();
}

Outputs Conv(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  const at::Tensor& w = context.input(1);
  AIAAS_RETURN_IF_ERROR(CheckRanks(x, w, "Conv"));
  const int64_t group = context.attributes().GetInt("group", 1);
  if (group < 1 || x.size(1) != w.size(1) * group || w.size(0) % group != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "Conv: input channels ", x.size(1), ", weights ", ShapeToString(w.sizes().vec()),
        " and group ", group, " do not agree"));
  }
  AIAAS_ASSIGN_OR_RETURN(SpatialGeometry g, ResolveGeometry(context.attributes(), SpatialSizes(x),
                                                            SpatialSizes(w), GeometryOptions{}));
  if (g.kernel != SpatialSizes(w)) {
    return absl::InvalidArgumentError(absl::StrCat("Conv: kernel_shape ", ShapeToString(g.kernel),
                                                   " differs from the weights' ",
                                                   ShapeToString(SpatialSizes(w))));
  }
  at::Tensor input = Widen(x);
  at::Tensor weights = Widen(w);
  // 2-D float convolutions run channels-last: for plain NCHW input ATen's oneDNN path picks
  // slow kernels (20x slower with one input channel at batch 32 on this build). The weights
  // say so too (with one input channel the input's layout is ambiguous); the plan stores
  // constant weights channels-last already. The result stays channels-last (same values,
  // other strides; kernels accept any strides), so a following Relu or MaxPool runs on the
  // fast channels-last kernels as well.
  if (input.dim() == 4 && input.scalar_type() == at::kFloat &&
      weights.scalar_type() == at::kFloat) {
    input = input.contiguous(at::MemoryFormat::ChannelsLast);
    weights = weights.contiguous(at::MemoryFormat::ChannelsLast);
  }
  std::vector<int64_t> padding(g.input.size(), 0);
  if (g.SymmetricPads()) {
    padding = g.pad_begin;
  } else {
    input = at::constant_pad_nd(input, g.PadList(false), 0);
  }
  at::Tensor bias = context.has_input(2) ? Widen(context.input(2)) : at::Tensor();
  at::Tensor y = at::convolution(input, weights, bias, g.strides, padding, g.dilations,
                                 /*transposed=*/false,
                                 std::vector<int64_t>(g.input.size(), 0), group);
  return Single(y.to(x.scalar_type()));
}

Outputs ConvTranspose(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  const at::Tensor& w = context.input(1);
  AIAAS_RETURN_IF_ERROR(CheckRanks(x, w, "ConvTranspose"));
  const NodeAttributes& attributes = context.attributes();
  const int64_t group = attributes.GetInt("group", 1);
  if (group < 1 || x.size(1) != w.size(0) || w.size(0) % group != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ConvTranspose: input channels ", x.size(1), ", weights ",
        ShapeToString(w.sizes().vec()), " and group ", group, " do not agree"));
  }
  const size_t rank = static_cast<size_t>(x.dim() - 2);
  std::vector<int64_t> kernel = attributes.GetInts("kernel_shape", SpatialSizes(w));
  if (kernel != SpatialSizes(w)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ConvTranspose: kernel_shape ", ShapeToString(kernel),
                     " differs from the weights' ", ShapeToString(SpatialSizes(w))));
  }
  std::vector<int64_t> strides = attributes.GetInts("strides", std::vector<int64_t>(rank, 1));
  std::vector<int64_t> dilations = attributes.GetInts("dilations", std::vector<int64_t>(rank, 1));
  std::vector<int64_t> output_padding =
      attributes.GetInts("output_padding", std::vector<int64_t>(rank, 0));
  std::vector<int64_t> pads = attributes.GetInts("pads", std::vector<int64_t>(2 * rank, 0));
  if (strides.size() != rank || dilations.size() != rank || output_padding.size() != rank ||
      pads.size() != 2 * rank) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ConvTranspose: strides, dilations, output_padding and pads must have ", rank, ", ",
        rank, ", ", rank, " and ", 2 * rank, " values"));
  }
  for (size_t i = 0; i < rank; ++i) {
    if (strides[i] < 1 || dilations[i] < 1) {
      return absl::InvalidArgumentError("ConvTranspose: strides and dilations must be positive");
    }
  }
  const std::string auto_pad = attributes.GetString("auto_pad", "NOTSET");
  std::vector<int64_t> output_shape = attributes.GetInts("output_shape");
  if (output_shape.size() == rank + 2) output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  if (!output_shape.empty() && output_shape.size() != rank) {
    return absl::InvalidArgumentError(absl::StrCat("ConvTranspose: output_shape ",
                                                   ShapeToString(output_shape), " must have ",
                                                   rank, " values"));
  }
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (output_shape.empty() && same) {
    for (size_t i = 0; i < rank; ++i) output_shape.push_back(x.size(2 + i) * strides[i]);
  }
  std::vector<int64_t> begin(rank), end(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t full = strides[i] * (x.size(2 + i) - 1) + output_padding[i] +
                         (kernel[i] - 1) * dilations[i] + 1;
    if (!output_shape.empty()) {
      const int64_t total = full - output_shape[i];
      if (total < 0) {  // a longer output than the natural one: zeros at the end
        begin[i] = 0;
        end[i] = total;
      } else if (auto_pad == "SAME_UPPER") {
        begin[i] = total / 2;
        end[i] = total - begin[i];
      } else {
        end[i] = total / 2;
        begin[i] = total - end[i];
      }
    } else if (auto_pad == "VALID") {
      begin[i] = end[i] = 0;
    } else {
      begin[i] = pads[i];
      end[i] = pads[i + rank];
    }
    if (full - begin[i] - end[i] < 1) {
      return absl::InvalidArgumentError("ConvTranspose: the output would be empty");
    }
  }
  // Full-size transposed convolution, then output_padding (zeros past the end) and the
  // crop by pads, in one constant_pad_nd with negative (cropping) amounts.
  at::Tensor y = at::convolution(Widen(x), Widen(w), at::Tensor(), strides,
                                 std::vector<int64_t>(rank, 0), dilations, /*transposed=*/true,
                                 std::vector<int64_t>(rank, 0), group);
  std::vector<int64_t> crop;
  for (size_t j = rank; j-- > 0;) {
    crop.push_back(-begin[j]);
    crop.push_back(output_padding[j] - end[j]);
  }
  y = at::constant_pad_nd(y, crop, 0);
  if (context.has_input(2)) {
    std::vector<int64_t> shape(rank + 2, 1);
    shape[1] = -1;
    y = y + Widen(context.input(2)).reshape(shape);
  }
  return Single(y.to(x.scalar_type()));
}

}  // namespace

void RegisterConvOps(OpRegistry& registry) {
  registry.Add("Conv", {1, kMaxOpset}, Conv);
  registry.Add("ConvTranspose", {1, kMaxOpset}, ConvTranspose);
}

}  // namespace aiaas::runtime::onnxrt
