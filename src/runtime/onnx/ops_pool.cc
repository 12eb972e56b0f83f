// Pooling: MaxPool (with Indices), AveragePool, LpPool, their Global* forms and
// MaxUnpool. ONNX's pads may be asymmetric and ceil_mode may need windows past the
// end, so the input is padded explicitly (with -inf for max, zeros for sums) and ATen
// pools without padding; averages divide window sums by counts computed from a mask,
// which gives count_include_pad exactly (ceil_mode's extra padding never counts).

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tensor.h"
#include "runtime/onnx/op_registry.h"
#include "runtime/onnx/op_util.h"
#include "runtime/onnx/spatial_geometry.h"

namespace aiaas::runtime::onnxrt {
namespace {

using Outputs = absl::StatusOr<std::vector<at::Tensor>>;

absl::Status CheckPoolRank(const at::Tensor& x, const char* op) {
  if (x.dim() < 3 || x.dim() > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat(op, ": input must be 3-D to 5-D (N, C, 1 to 3 spatial dims), not ",
                     x.dim(), "-D"));
  }
  return absl::OkStatus();
}

std::vector<int64_t> Spatial(const at::Tensor& t) {
  std::vector<int64_t> sizes = t.sizes().vec();
  return std::vector<int64_t>(sizes.begin() + 2, sizes.end());
}

// Window sums (no padding, floor mode) over the spatial dims of an already padded input.
at::Tensor WindowSum(const at::Tensor& padded, const SpatialGeometry& g) {
  int64_t volume = 1;
  for (int64_t k : g.kernel) volume *= k;
  const std::vector<int64_t> zeros(g.kernel.size(), 0);
  at::Tensor mean;
  switch (g.kernel.size()) {
    case 1: mean = at::avg_pool1d(padded, g.kernel, g.strides, zeros); break;
    case 2: mean = at::avg_pool2d(padded, g.kernel, g.strides, zeros); break;
    default: mean = at::avg_pool3d(padded, g.kernel, g.strides, zeros); break;
  }
  return mean * static_cast<double>(volume);
}

at::ScalarType ComputeType(at::ScalarType type) {
  if (type == at::kFloat || type == at::kDouble) return type;
  if (type == at::kLong || type == at::kInt) return at::kDouble;
  return at::kFloat;
}

Outputs MaxPool(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  AIAAS_RETURN_IF_ERROR(CheckPoolRank(x, "MaxPool"));
  if (!context.attributes().Has("kernel_shape")) {
    return absl::InvalidArgumentError("MaxPool: kernel_shape is required");
  }
  GeometryOptions options;
  options.ceil_mode = context.attributes().GetInt("ceil_mode", 0) != 0;
  AIAAS_ASSIGN_OR_RETURN(SpatialGeometry g,
                         ResolveGeometry(context.attributes(), Spatial(x), {}, options));
  const size_t rank = g.kernel.size();
  at::Tensor input = x.to(ComputeType(x.scalar_type()));
  if (g.AnyPad()) {
    input = at::constant_pad_nd(input, g.PadList(true), -std::numeric_limits<double>::infinity());
  }
  const std::vector<int64_t> zeros(rank, 0);
  at::Tensor values, indices;
  if (rank == 2 && !context.output_wanted(1) && input.scalar_type() == at::kFloat) {
    // Without indices, 2-D float pooling runs channels-last: ATen's NCHW max-pool kernel is
    // scalar and ~10x slower. The result stays channels-last (kernels accept any strides).
    values = at::max_pool2d(input.contiguous(at::MemoryFormat::ChannelsLast), g.kernel,
                            g.strides, zeros, g.dilations);
    return Single(values.to(x.scalar_type()));
  }
  if (rank == 1) {
    std::tie(values, indices) = at::max_pool2d_with_indices(
        input.unsqueeze(2), {1, g.kernel[0]}, {1, g.strides[0]}, {0, 0}, {1, g.dilations[0]});
    values = values.squeeze(2);
    indices = indices.squeeze(2);
  } else if (rank == 2) {
    std::tie(values, indices) =
        at::max_pool2d_with_indices(input, g.kernel, g.strides, zeros, g.dilations);
  } else {
    std::tie(values, indices) =
        at::max_pool3d_with_indices(input, g.kernel, g.strides, zeros, g.dilations);
  }
  std::vector<at::Tensor> outputs;
  outputs.push_back(values.to(x.scalar_type()));
  if (context.output_wanted(1)) {
    // ATen's indices are flat within one padded plane; ONNX's are flat over the whole
    // unpadded tensor, row-major (storage_order 0) or column-major within the plane.
    const bool column_major = context.attributes().GetInt("storage_order", 0) != 0;
    std::vector<int64_t> padded = Spatial(input);
    at::Tensor remaining = indices;
    std::vector<at::Tensor> coords(rank);
    for (size_t j = rank; j-- > 0;) {
      coords[j] = at::remainder(remaining, padded[j]) - g.pad_begin[j];
      remaining = at::div(remaining, padded[j], "floor");
    }
    at::Tensor flat = at::zeros_like(indices);
    if (column_major) {
      for (size_t j = rank; j-- > 0;) flat = flat * g.input[j] + coords[j];
    } else {
      for (size_t j = 0; j < rank; ++j) flat = flat * g.input[j] + coords[j];
    }
    int64_t plane = 1;
    for (int64_t s : g.input) plane *= s;
    std::vector<int64_t> shape(rank + 2, 1);
    shape[0] = x.size(0);
    shape[1] = x.size(1);
    at::Tensor base = at::arange(x.size(0) * x.size(1), indices.options()).reshape(shape) * plane;
    outputs.push_back(flat + base);
  }
  return outputs;
}

// Sums over windows of zero-padded input, and the matching element counts.
struct WindowTotals {
  at::Tensor sums;
  at::Tensor counts;
};

WindowTotals Totals(const at::Tensor& input, const SpatialGeometry& g, bool count_include_pad) {
  at::Tensor padded = g.AnyPad() ? at::constant_pad_nd(input, g.PadList(true), 0) : input;
  std::vector<int64_t> mask_shape(input.dim(), 1);
  for (size_t i = 0; i < g.input.size(); ++i) mask_shape[2 + i] = g.input[i];
  at::Tensor mask = at::ones(mask_shape, input.options());
  if (count_include_pad) {
    mask = at::constant_pad_nd(mask, g.PadList(false), 1);
    std::vector<int64_t> extra;
    for (size_t j = g.input.size(); j-- > 0;) {
      extra.push_back(0);
      extra.push_back(g.extra_end[j]);
    }
    mask = at::constant_pad_nd(mask, extra, 0);
  } else if (g.AnyPad()) {
    mask = at::constant_pad_nd(mask, g.PadList(true), 0);
  }
  return {WindowSum(padded, g), WindowSum(mask, g)};
}

Outputs AveragePool(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  AIAAS_RETURN_IF_ERROR(CheckPoolRank(x, "AveragePool"));
  if (!context.attributes().Has("kernel_shape")) {
    return absl::InvalidArgumentError("AveragePool: kernel_shape is required");
  }
  GeometryOptions options;
  options.ceil_mode = context.attributes().GetInt("ceil_mode", 0) != 0;
  options.dilations_allowed = false;
  AIAAS_ASSIGN_OR_RETURN(SpatialGeometry g,
                         ResolveGeometry(context.attributes(), Spatial(x), {}, options));
  const bool include_pad = context.attributes().GetInt("count_include_pad", 0) != 0;
  WindowTotals totals = Totals(x.to(ComputeType(x.scalar_type())), g, include_pad);
  return Single((totals.sums / totals.counts).to(x.scalar_type()));
}

Outputs LpPool(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  AIAAS_RETURN_IF_ERROR(CheckPoolRank(x, "LpPool"));
  if (!context.attributes().Has("kernel_shape")) {
    return absl::InvalidArgumentError("LpPool: kernel_shape is required");
  }
  // Opset 1 has a float p, opset 2 an int p; both default to 2.
  const double p = context.opset() < 2 ? context.attributes().GetFloat("p", 2.0F)
                                       : static_cast<double>(context.attributes().GetInt("p", 2));
  GeometryOptions options;
  options.dilations_allowed = false;
  AIAAS_ASSIGN_OR_RETURN(SpatialGeometry g,
                         ResolveGeometry(context.attributes(), Spatial(x), {}, options));
  at::Tensor powered = at::pow(at::abs(x.to(ComputeType(x.scalar_type()))), p);
  WindowTotals totals = Totals(powered, g, false);
  return Single(at::pow(totals.sums, 1.0 / p).to(x.scalar_type()));
}

std::vector<int64_t> SpatialDims(const at::Tensor& x) {
  std::vector<int64_t> dims;
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

Outputs GlobalAveragePool(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  if (x.dim() < 2) return absl::InvalidArgumentError("GlobalAveragePool: input must be N x C x ...");
  if (x.dim() == 2) return Single(x);
  return Single(at::mean(x.to(ComputeType(x.scalar_type())), SpatialDims(x), true)
                    .to(x.scalar_type()));
}

Outputs GlobalMaxPool(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  if (x.dim() < 2) return absl::InvalidArgumentError("GlobalMaxPool: input must be N x C x ...");
  if (x.dim() == 2) return Single(x);
  return Single(at::amax(x, SpatialDims(x), true));
}

Outputs GlobalLpPool(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  if (x.dim() < 2) return absl::InvalidArgumentError("GlobalLpPool: input must be N x C x ...");
  const double p = context.opset() < 2 ? context.attributes().GetFloat("p", 2.0F)
                                       : static_cast<double>(context.attributes().GetInt("p", 2));
  at::Tensor wide = at::abs(x.to(ComputeType(x.scalar_type())));
  at::Tensor sum = at::sum(at::pow(wide, p), SpatialDims(x), true);
  return Single(at::pow(sum, 1.0 / p).to(x.scalar_type()));
}

// Scatters X into zeros at MaxPool's flat indices, which address the tensor of the
// unpooled shape implied by kernel_shape/strides/pads (the shape MaxPool's input had).
// An output_shape input then pads (or crops) that result at the end of each spatial dim.
Outputs MaxUnpool(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  const at::Tensor& indices = context.input(1);
  AIAAS_RETURN_IF_ERROR(CheckPoolRank(x, "MaxUnpool"));
  if (!indices.sizes().equals(x.sizes())) {
    return absl::InvalidArgumentError("MaxUnpool: I must have the shape of X");
  }
  if (!context.attributes().Has("kernel_shape")) {
    return absl::InvalidArgumentError("MaxUnpool: kernel_shape is required");
  }
  const size_t rank = static_cast<size_t>(x.dim() - 2);
  std::vector<int64_t> kernel = context.attributes().GetInts("kernel_shape");
  std::vector<int64_t> strides =
      context.attributes().GetInts("strides", std::vector<int64_t>(rank, 1));
  std::vector<int64_t> pads =
      context.attributes().GetInts("pads", std::vector<int64_t>(2 * rank, 0));
  if (kernel.size() != rank || strides.size() != rank || pads.size() != 2 * rank) {
    return absl::InvalidArgumentError(
        "MaxUnpool: kernel_shape, strides or pads has the wrong length");
  }
  std::vector<int64_t> natural = {x.size(0), x.size(1)};
  for (size_t i = 0; i < rank; ++i) {
    natural.push_back((x.size(2 + i) - 1) * strides[i] + kernel[i] - pads[i] - pads[i + rank]);
  }
  std::vector<int64_t> out_shape = natural;
  if (context.has_input(2)) {
    AIAAS_ASSIGN_OR_RETURN(out_shape,
                           ToInt64Vector(context.input(2), "MaxUnpool's output_shape"));
    if (out_shape.size() != static_cast<size_t>(x.dim()) || out_shape[0] != x.size(0) ||
        out_shape[1] != x.size(1)) {
      return absl::InvalidArgumentError(absl::StrCat("MaxUnpool: output_shape ",
                                                     ShapeToString(out_shape),
                                                     " does not fit X ",
                                                     ShapeToString(x.sizes().vec())));
    }
  }
  int64_t total = 1;
  for (size_t d = 0; d < natural.size(); ++d) {
    if (natural[d] < 0 || out_shape[d] < 0) {
      return absl::InvalidArgumentError("MaxUnpool: negative output dim");
    }
    total *= natural[d];
  }
  at::Tensor flat_indices = indices.reshape({-1}).to(at::kLong);
  if (flat_indices.numel() > 0 &&
      (flat_indices.min().item<int64_t>() < 0 || flat_indices.max().item<int64_t>() >= total)) {
    return absl::InvalidArgumentError("MaxUnpool: an index is outside the output");
  }
  at::Tensor out = at::zeros({total}, x.options());
  out.index_put_({flat_indices}, x.reshape({-1}));
  out = out.reshape(natural);
  std::vector<int64_t> resize;
  for (size_t j = rank; j-- > 0;) {
    resize.push_back(0);
    resize.push_back(out_shape[2 + j] - natural[2 + j]);
  }
  return Single(at::constant_pad_nd(out, resize, 0));
}

}  // namespace

void RegisterPoolOps(OpRegistry& registry) {
  registry.Add("MaxPool", {1, kMaxOpset}, MaxPool);
  registry.Add("AveragePool", {1, kMaxOpset}, AveragePool);
  registry.Add("LpPool", {1, kMaxOpset}, LpPool);
  registry.Add("GlobalAveragePool", {1, kMaxOpset}, GlobalAveragePool);
  registry.Add("GlobalMaxPool", {1, kMaxOpset}, GlobalMaxPool);
  registry.Add("GlobalLpPool", {1, kMaxOpset}, GlobalLpPool);
  registry.Add("MaxUnpool", {9, kMaxOpset}, MaxUnpool);
}

}  // namespace aiaas::runtime::onnxrt
