// Resizing and sampling: Resize, Upsample, GridSample. Resize is a separable
// interpolation written out here (per axis: input taps and weights for every output
// position, then a gather and weighted sum), because ATen's upsample kernels cannot
// express all of ONNX's coordinate modes, nearest roundings, cubic_coeff_a,
// exclude_outside and tf_crop_and_resize's extrapolation.

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "runtime/onnx/op_registry.h"
#include "runtime/onnx/op_util.h"

namespace aiaas::runtime::onnxrt {
namespace {

// The output size comes from attributes and inputs, not from data the caller sent: beyond
// this many elements (1 GiB of floats) a model or request is refused.
constexpr int64_t kMaxResizeElements = int64_t{1} << 28;

using Outputs = absl::StatusOr<std::vector<at::Tensor>>;


// How an output coordinate maps back to the input (coordinate_transformation_mode).
enum class CoordinateMode {
  kHalfPixel,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize,
};

enum class InterpolationMode { kNearest, kLinear, kCubic };

enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

struct ResizeOptions {
  InterpolationMode mode = InterpolationMode::kNearest;
  CoordinateMode coordinates = CoordinateMode::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_coeff_a = -0.75;
  bool exclude_outside = false;
  double extrapolation_value = 0.0;
};

// Per output position along one axis: `taps` input indices and weights, flattened
// [out * taps]; `outside` marks positions that take extrapolation_value.
struct AxisPlan {
  int64_t taps = 1;
  std::vector<int64_t> indices;
  std::vector<double> weights;
  std::vector<bool> outside;
};

// `out` is the resized length as a real number, in * scale: with scales given, ONNX
// maps coordinates by the unrounded length (align_corners of 4 by 0.6 divides by 1.4).
double SourceCoordinate(const ResizeOptions& o, int64_t x, double scale, int64_t in, double out,
                        double roi_start, double roi_end) {
  switch (o.coordinates) {
    case CoordinateMode::kHalfPixel: return (x + 0.5) / scale - 0.5;
    case CoordinateMode::kPytorchHalfPixel: return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case CoordinateMode::kAlignCorners:
      return out == 1 ? 0.0 : static_cast<double>(x) * (in - 1) / (out - 1);
    case CoordinateMode::kAsymmetric: return x / scale;
    case CoordinateMode::kTfHalfPixelForNn: return (x + 0.5) / scale;
    case CoordinateMode::kTfCropAndResize:
      return out > 1 ? roi_start * (in - 1) + x * (roi_end - roi_start) * (in - 1) / (out - 1)
                     : 0.5 * (roi_start + roi_end) * (in - 1);
  }
  return 0.0;
}

int64_t NearestIndex(NearestMode mode, double c) {
  const double fl = std::floor(c);
  switch (mode) {
    case NearestMode::kRoundPreferFloor:
      return static_cast<int64_t>(c - fl == 0.5 ? fl : std::round(c));
    case NearestMode::kRoundPreferCeil:
      return static_cast<int64_t>(c - fl == 0.5 ? fl + 1 : std::round(c));
    case NearestMode::kFloor: return static_cast<int64_t>(fl);
    case NearestMode::kCeil: return static_cast<int64_t>(std::ceil(c));
  }
  return 0;
}

std::array<double, 4> CubicWeights(double a, double t) {
  auto far = [a](double d) { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a; };
  auto near = [a](double d) { return ((a + 2) * d - (a + 3)) * d * d + 1; };
  return {far(t + 1), near(t), near(1 - t), far(2 - t)};
}

AxisPlan PlanAxis(const ResizeOptions& o, int64_t in, int64_t out, double scale, double roi_start,
                  double roi_end) {
  AxisPlan plan;
  plan.taps = o.mode == InterpolationMode::kNearest ? 1 : o.mode == InterpolationMode::kLinear ? 2 : 4;
  auto clamp = [in](int64_t i) { return std::clamp<int64_t>(i, 0, in - 1); };
  for (int64_t x = 0; x < out; ++x) {
    const double exact = SourceCoordinate(o, x, scale, in, in * scale, roi_start, roi_end);
    plan.outside.push_back(o.coordinates == CoordinateMode::kTfCropAndResize &&
                           (exact < 0 || exact > in - 1));
    // Every tap of a coordinate more than 4 outside [0, in - 1] clamps to the same edge
    // element, so clamping it there changes no result and keeps the casts below in range
    // (the kernel refuses a non-finite roi; NaN cannot come from finite inputs here, but
    // would read element 0 rather than cast).
    const double c = std::isnan(exact) ? 0.0 : std::clamp(exact, -4.0, in + 3.0);
    if (o.mode == InterpolationMode::kNearest) {
      plan.indices.push_back(clamp(NearestIndex(o.nearest, c)));
      plan.weights.push_back(1.0);
      continue;
    }
    const double base = std::floor(c);
    const double t = c - base;
    const int64_t i0 = static_cast<int64_t>(base);
    if (o.mode == InterpolationMode::kLinear) {
      plan.indices.push_back(clamp(i0));
      plan.indices.push_back(clamp(i0 + 1));
      plan.weights.push_back(1 - t);
      plan.weights.push_back(t);
      continue;
    }
    std::array<double, 4> w = CubicWeights(o.cubic_coeff_a, t);
    double total = 0;
    for (int k = 0; k < 4; ++k) {
      const int64_t i = i0 - 1 + k;
      if (o.exclude_outside && (i < 0 || i >= in)) w[k] = 0;
      total += w[k];
    }
    for (int k = 0; k < 4; ++k) {
      plan.indices.push_back(clamp(i0 - 1 + k));
      plan.weights.push_back(o.exclude_outside && total != 0 ? w[k] / total : w[k]);
    }
  }
  return plan;
}

// Resizes `x` (float or double) along every axis whose size changes or whose
// coordinate mapping is not the identity, one axis at a time.
at::Tensor Interpolate(at::Tensor x, const std::vector<int64_t>& out_sizes,
                       const std::vector<double>& scales, const std::vector<double>& roi,
                       const ResizeOptions& o) {
  const int64_t rank = x.dim();
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t in = x.size(d);
    const int64_t out = out_sizes[d];
    const double roi_start = roi.empty() ? 0.0 : roi[d];
    const double roi_end = roi.empty() ? 1.0 : roi[d + rank];
    const bool identity = in == out && scales[d] == 1.0 &&
                          o.coordinates != CoordinateMode::kTfCropAndResize &&
                          o.coordinates != CoordinateMode::kTfHalfPixelForNn;
    if (identity) continue;
    if (in == 0 || out == 0) {
      std::vector<int64_t> shape = x.sizes().vec();
      shape[d] = out;
      x = at::zeros(shape, x.options());
      continue;
    }
    AxisPlan plan = PlanAxis(o, in, out, scales[d], roi_start, roi_end);
    at::Tensor index = at::tensor(plan.indices, at::kLong).reshape({out, plan.taps});
    at::Tensor weight =
        at::tensor(plan.weights, at::TensorOptions().dtype(at::kDouble)).to(x.scalar_type())
            .reshape({out, plan.taps});
    std::vector<int64_t> wshape(rank, 1);
    wshape[d] = out;
    at::Tensor y;
    for (int64_t k = 0; k < plan.taps; ++k) {
      at::Tensor term = x.index_select(d, index.select(1, k).contiguous()) *
                        weight.select(1, k).contiguous().reshape(wshape);
      y = k == 0 ? term : y + term;
    }
    if (std::find(plan.outside.begin(), plan.outside.end(), true) != plan.outside.end()) {
      std::vector<uint8_t> flags(plan.outside.begin(), plan.outside.end());
      at::Tensor mask = at::tensor(flags, at::kByte).to(at::kBool).reshape(wshape);
      y = at::where(mask, at::scalar_tensor(o.extrapolation_value, y.options()), y);
    }
    x = y;
  }
  return x;
}

absl::StatusOr<ResizeOptions> ParseResizeOptions(const KernelContext& context) {
  const NodeAttributes& a = context.attributes();
  ResizeOptions o;
  const std::string mode = a.GetString("mode", "nearest");
  if (mode == "linear" || mode == "bilinear" || mode == "trilinear") {
    o.mode = InterpolationMode::kLinear;
  } else if (mode == "cubic" && context.op_type() == "Resize" && context.opset() >= 11) {
    o.mode = InterpolationMode::kCubic;
  } else if (mode != "nearest") {
    return absl::InvalidArgumentError(absl::StrCat("unknown mode '", mode, "'"));
  }
  if (context.op_type() != "Resize" || context.opset() < 11) {
    // Upsample and Resize-10: asymmetric coordinates, nearest rounds down.
    o.coordinates = CoordinateMode::kAsymmetric;
    o.nearest = NearestMode::kFloor;
    return o;
  }
  const std::string coordinates = a.GetString("coordinate_transformation_mode", "half_pixel");
  if (coordinates == "half_pixel") {
    o.coordinates = CoordinateMode::kHalfPixel;
  } else if (coordinates == "pytorch_half_pixel") {
    o.coordinates = CoordinateMode::kPytorchHalfPixel;
  } else if (coordinates == "align_corners") {
    o.coordinates = CoordinateMode::kAlignCorners;
  } else if (coordinates == "asymmetric") {
    o.coordinates = CoordinateMode::kAsymmetric;
  } else if (coordinates == "tf_half_pixel_for_nn") {
    o.coordinates = CoordinateMode::kTfHalfPixelForNn;
  } else if (coordinates == "tf_crop_and_resize") {
    o.coordinates = CoordinateMode::kTfCropAndResize;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown coordinate_transformation_mode '", coordinates, "'"));
  }
  const std::string nearest = a.GetString("nearest_mode", "round_prefer_floor");
  if (nearest == "round_prefer_floor") {
    o.nearest = NearestMode::kRoundPreferFloor;
  } else if (nearest == "round_prefer_ceil") {
    o.nearest = NearestMode::kRoundPreferCeil;
  } else if (nearest == "floor") {
    o.nearest = NearestMode::kFloor;
  } else if (nearest == "ceil") {
    o.nearest = NearestMode::kCeil;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown nearest_mode '", nearest, "'"));
  }
  o.cubic_coeff_a = a.GetFloat("cubic_coeff_a", -0.75F);
  o.exclude_outside = a.GetInt("exclude_outside", 0) != 0;
  o.extrapolation_value = a.GetFloat("extrapolation_value", 0.0F);
  return o;
}

absl::StatusOr<std::vector<double>> FloatValues(const at::Tensor& t, const char* what) {
  if (!at::isFloatingType(t.scalar_type()) || t.dim() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be a 1-D float tensor"));
  }
  at::Tensor values = t.to(at::kDouble).contiguous();
  return std::vector<double>(values.data_ptr<double>(), values.data_ptr<double>() + values.numel());
}

// Shared tail of Resize and Upsample: `scales` or `sizes` (exactly one non-empty).
Outputs ResizeWith(const KernelContext& context, const at::Tensor& x, std::vector<double> scales,
                   std::vector<int64_t> sizes, std::vector<double> roi) {
  AIAAS_ASSIGN_OR_RETURN(ResizeOptions options, ParseResizeOptions(context));
  const size_t rank = static_cast<size_t>(x.dim());
  std::vector<int64_t> out(rank);
  if (!sizes.empty()) {
    if (sizes.size() != rank) {
      return absl::InvalidArgumentError(
          absl::StrCat(context.op_type(), ": sizes must have ", rank, " values"));
    }
    scales.assign(rank, 1.0);
    for (size_t d = 0; d < rank; ++d) {
      if (sizes[d] < 0) return absl::InvalidArgumentError("sizes must not be negative");
      out[d] = sizes[d];
      scales[d] = x.size(d) == 0 ? 1.0 : static_cast<double>(sizes[d]) / x.size(d);
    }
  } else {
    if (scales.size() != rank) {
      return absl::InvalidArgumentError(
          absl::StrCat(context.op_type(), ": scales must have ", rank, " values"));
    }
    for (size_t d = 0; d < rank; ++d) {
      if (!(scales[d] > 0)) return absl::InvalidArgumentError("scales must be positive");
      const double size = std::floor(x.size(d) * scales[d]);
      if (!(size <= static_cast<double>(kMaxResizeElements))) {
        return absl::InvalidArgumentError(absl::StrCat(
            context.op_type(), ": the output would have more than ", kMaxResizeElements,
            " elements"));
      }
      out[d] = static_cast<int64_t>(size);
    }
  }
  int64_t total = 1;
  for (int64_t dim : out) {
    if (__builtin_mul_overflow(total, dim, &total) || total > kMaxResizeElements) {
      return absl::InvalidArgumentError(absl::StrCat(
          context.op_type(), ": the output would have more than ", kMaxResizeElements,
          " elements"));
    }
  }
  if (options.coordinates == CoordinateMode::kTfCropAndResize && roi.size() != 2 * rank) {
    return absl::InvalidArgumentError(
        absl::StrCat(context.op_type(), ": tf_crop_and_resize needs a roi of ", 2 * rank,
                     " values"));
  }
  if (options.coordinates != CoordinateMode::kTfCropAndResize) roi.clear();
  for (double value : roi) {
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(context.op_type(), ": the roi must hold finite values"));
    }
  }
  const at::ScalarType type = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  at::Tensor y = Interpolate(x.to(type), out, scales, roi, options);
  if (at::isIntegralType(x.scalar_type(), /*includeBool=*/false)) y = at::round(y);
  return Single(y.to(x.scalar_type()));
}

Outputs ResizeV10(const KernelContext& context) {
  AIAAS_ASSIGN_OR_RETURN(std::vector<double> scales, FloatValues(context.input(1), "scales"));
  return ResizeWith(context, context.input(0), std::move(scales), {}, {});
}

// Opset 11-13: X, roi, scales, sizes; one of scales and sizes is given (non-empty).
Outputs ResizeV11(const KernelContext& context) {
  std::vector<double> roi, scales;
  std::vector<int64_t> sizes;
  if (context.has_input(1) && context.input(1).numel() > 0) {
    AIAAS_ASSIGN_OR_RETURN(roi, FloatValues(context.input(1), "roi"));
  }
  if (context.has_input(2) && context.input(2).numel() > 0) {
    AIAAS_ASSIGN_OR_RETURN(scales, FloatValues(context.input(2), "scales"));
  }
  if (context.has_input(3) && context.input(3).numel() > 0) {
    AIAAS_ASSIGN_OR_RETURN(sizes, ToInt64Vector(context.input(3), "sizes"));
  }
  if (scales.empty() == sizes.empty()) {
    return absl::InvalidArgumentError("Resize: exactly one of scales and sizes must be given");
  }
  return ResizeWith(context, context.input(0), std::move(scales), std::move(sizes),
                    std::move(roi));
}

Outputs UpsampleV7(const KernelContext& context) {
  std::vector<float> attr = context.attributes().GetFloats("scales");
  return ResizeWith(context, context.input(0), std::vector<double>(attr.begin(), attr.end()), {},
                    {});
}

Outputs UpsampleV9(const KernelContext& context) {
  AIAAS_ASSIGN_OR_RETURN(std::vector<double> scales, FloatValues(context.input(1), "scales"));
  return ResizeWith(context, context.input(0), std::move(scales), {}, {});
}

// Opset 16: ATen's grid_sampler has ONNX's modes (bilinear 0, nearest 1, bicubic 2),
// padding modes (zeros 0, border 1, reflection 2) and align_corners.
Outputs GridSample(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  const at::Tensor& grid = context.input(1);
  if (x.dim() != 4 || grid.dim() != 4 || grid.size(3) != 2 || grid.size(0) != x.size(0)) {
    return absl::InvalidArgumentError(
        "GridSample: X must be N x C x H x W and grid N x H_out x W_out x 2");
  }
  const std::string mode = context.attributes().GetString("mode", "bilinear");
  const std::string padding = context.attributes().GetString("padding_mode", "zeros");
  int64_t mode_code = 0;
  if (mode == "nearest") {
    mode_code = 1;
  } else if (mode == "bicubic") {
    mode_code = 2;
  } else if (mode != "bilinear") {
    return absl::InvalidArgumentError(absl::StrCat("GridSample: unknown mode '", mode, "'"));
  }
  int64_t padding_code = 0;
  if (padding == "border") {
    padding_code = 1;
  } else if (padding == "reflection") {
    padding_code = 2;
  } else if (padding != "zeros") {
    return absl::InvalidArgumentError(
        absl::StrCat("GridSample: unknown padding_mode '", padding, "'"));
  }
  const bool align_corners = context.attributes().GetInt("align_corners", 0) != 0;
  const at::ScalarType type = x.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  at::Tensor y = at::grid_sampler(x.to(type), grid.to(type), mode_code, padding_code,
                                  align_corners);
  return Single(y.to(x.scalar_type()));
}

}  // namespace

void RegisterResizeOps(OpRegistry& registry) {
  registry.Add("Resize", {10, 10}, ResizeV10);
  registry.Add("Resize", {11, kMaxOpset}, ResizeV11);
  registry.Add("Upsample", {7, 8}, UpsampleV7);
  registry.Add("Upsample", {9, 9}, UpsampleV9);
  registry.Add("GridSample", {16, kMaxOpset}, GridSample);
}

}  // namespace aiaas::runtime::onnxrt
