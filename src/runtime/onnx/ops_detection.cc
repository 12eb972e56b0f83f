// Detection post-processing: NonMaxSuppression (10+) and RoiAlign (10, 16).

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "runtime/onnx/op_registry.h"
#include "runtime/onnx/op_util.h"

namespace aiaas::runtime::onnxrt {
namespace {

using Outputs = absl::StatusOr<std::vector<at::Tensor>>;

// A box as (y1, x1, y2, x2) with y1 <= y2 and x1 <= x2.
using Corners = std::array<double, 4>;

Corners ToCorners(const double* box, bool center_point) {
  if (center_point) {  // [x_center, y_center, width, height]
    return {box[1] - box[3] / 2, box[0] - box[2] / 2, box[1] + box[3] / 2,
            box[0] + box[2] / 2};
  }
  return {std::min(box[0], box[2]), std::min(box[1], box[3]), std::max(box[0], box[2]),
          std::max(box[1], box[3])};
}

double IntersectionOverUnion(const Corners& a, const Corners& b) {
  const double area_a = (a[2] - a[0]) * (a[3] - a[1]);
  const double area_b = (b[2] - b[0]) * (b[3] - b[1]);
  if (area_a <= 0 || area_b <= 0) return 0;
  const double h = std::max(0.0, std::min(a[2], b[2]) - std::max(a[0], b[0]));
  const double w = std::max(0.0, std::min(a[3], b[3]) - std::max(a[1], b[1]));
  const double inter = h * w;
  return inter / (area_a + area_b - inter);
}

absl::StatusOr<double> OptionalScalar(const KernelContext& context, size_t index,
                                      double fallback, const char* what) {
  if (!context.has_input(index)) return fallback;
  const at::Tensor& t = context.input(index);
  if (t.numel() == 0) return fallback;
  if (t.numel() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must hold one value"));
  }
  return t.reshape({}).to(at::kDouble).item<double>();
}

Outputs NonMaxSuppression(const KernelContext& context) {
  const at::Tensor boxes = context.input(0).to(at::kDouble).contiguous();
  const at::Tensor scores = context.input(1).to(at::kDouble).contiguous();
  if (boxes.dim() != 3 || boxes.size(2) != 4 || scores.dim() != 3 ||
      scores.size(0) != boxes.size(0) || scores.size(2) != boxes.size(1)) {
    return absl::InvalidArgumentError(
        "boxes must be [batches, boxes, 4] and scores [batches, classes, boxes]");
  }
  AIAAS_ASSIGN_OR_RETURN(double max_per_class_value,
                         OptionalScalar(context, 2, 0, "max_output_boxes_per_class"));
  AIAAS_ASSIGN_OR_RETURN(double iou_threshold, OptionalScalar(context, 3, 0, "iou_threshold"));
  const bool has_score_threshold = context.has_input(4) && context.input(4).numel() > 0;
  AIAAS_ASSIGN_OR_RETURN(double score_threshold,
                         OptionalScalar(context, 4, 0, "score_threshold"));
  const int64_t max_per_class = static_cast<int64_t>(max_per_class_value);
  const bool center_point = context.attributes().GetInt("center_point_box", 0) != 0;

  const int64_t batches = boxes.size(0), count = boxes.size(1), classes = scores.size(1);
  const double* box_data = boxes.data_ptr<double>();
  const double* score_data = scores.data_ptr<double>();
  std::vector<int64_t> selected;  // triples (batch, class, box)
  for (int64_t b = 0; b < batches && max_per_class > 0; ++b) {
    std::vector<Corners> corners(count);
    for (int64_t i = 0; i < count; ++i) {
      corners[i] = ToCorners(box_data + (b * count + i) * 4, center_point);
    }
    for (int64_t c = 0; c < classes; ++c) {
      const double* s = score_data + (b * classes + c) * count;
      std::vector<int64_t> order;
      for (int64_t i = 0; i < count; ++i) {
        if (!has_score_threshold || s[i] > score_threshold) order.push_back(i);
      }
      std::stable_sort(order.begin(), order.end(),
                       [s](int64_t x, int64_t y) { return s[x] > s[y]; });
      std::vector<int64_t> kept;
      for (int64_t i : order) {
        if (static_cast<int64_t>(kept.size()) >= max_per_class) break;
        bool suppressed = false;
        for (int64_t k : kept) {
          if (IntersectionOverUnion(corners[i], corners[k]) > iou_threshold) {
            suppressed = true;
            break;
          }
        }
        if (suppressed) continue;
        kept.push_back(i);
        selected.insert(selected.end(), {b, c, i});
      }
    }
  }
  const int64_t n = static_cast<int64_t>(selected.size() / 3);
  at::Tensor result = at::empty({n, 3}, at::kLong);
  std::copy(selected.begin(), selected.end(), result.data_ptr<int64_t>());
  return Single(result);
}

// Bounds that keep a RoiAlign node's work reasonable: a model or request beyond them is
// refused rather than left to allocate or loop for hours.
constexpr int64_t kMaxSamplingRatio = 64;
constexpr int64_t kMaxOutputSide = 1 << 14;
constexpr int64_t kMaxSamples = int64_t{1} << 28;  // bilinear samples of one node, in all

// Bilinear sample of one [H, W] plane at (y, x), zero outside [-1, H] x [-1, W].
double Bilinear(const double* plane, int64_t height, int64_t width, double y, double x) {
  // Written so that a NaN coordinate counts as outside too.
  if (!(y >= -1.0 && y <= height && x >= -1.0 && x <= width)) return 0;
  y = std::max(y, 0.0);
  x = std::max(x, 0.0);
  int64_t y0 = static_cast<int64_t>(y), x0 = static_cast<int64_t>(x);
  int64_t y1, x1;
  if (y0 >= height - 1) {
    y0 = y1 = height - 1;
    y = static_cast<double>(y0);
  } else {
    y1 = y0 + 1;
  }
  if (x0 >= width - 1) {
    x0 = x1 = width - 1;
    x = static_cast<double>(x0);
  } else {
    x1 = x0 + 1;
  }
  const double ly = y - y0, lx = x - x0, hy = 1 - ly, hx = 1 - lx;
  return hy * hx * plane[y0 * width + x0] + hy * lx * plane[y0 * width + x1] +
         ly * hx * plane[y1 * width + x0] + ly * lx * plane[y1 * width + x1];
}

// X [N, C, H, W], rois [R, 4] as (x1, y1, x2, y2), batch_indices [R] ->
// [R, C, output_height, output_width]. `half_pixel` is coordinate_transformation_mode
// "half_pixel" (opset 16's default); opset 10 behaves as "output_half_pixel".
Outputs RoiAlign(const KernelContext& context, bool default_half_pixel) {
  const NodeAttributes& attrs = context.attributes();
  const at::Tensor& input = context.input(0);
  const at::Tensor x = input.to(at::kDouble).contiguous();
  const at::Tensor rois = context.input(1).to(at::kDouble).contiguous();
  const at::Tensor indices = context.input(2).to(at::kLong).contiguous();
  if (x.dim() != 4 || rois.dim() != 2 || rois.size(1) != 4 || indices.dim() != 1 ||
      indices.size(0) != rois.size(0)) {
    return absl::InvalidArgumentError("RoiAlign expects X [N,C,H,W], rois [R,4], indices [R]");
  }
  const std::string mode = attrs.GetString("mode", "avg");
  if (mode != "avg" && mode != "max") {
    return absl::InvalidArgumentError(absl::StrCat("unknown mode ", mode));
  }
  const bool half_pixel =
      attrs.GetString("coordinate_transformation_mode",
                      default_half_pixel ? "half_pixel" : "output_half_pixel") == "half_pixel";
  const int64_t out_h = attrs.GetInt("output_height", 1), out_w = attrs.GetInt("output_width", 1);
  const int64_t ratio = attrs.GetInt("sampling_ratio", 0);
  const double scale = attrs.GetFloat("spatial_scale", 1.0f);
  if (out_h < 1 || out_w < 1 || out_h > kMaxOutputSide || out_w > kMaxOutputSide) {
    return absl::InvalidArgumentError(absl::StrCat("RoiAlign: output_height and output_width ",
                                                   "must be between 1 and ", kMaxOutputSide));
  }
  if (ratio < 0 || ratio > kMaxSamplingRatio) {
    return absl::InvalidArgumentError(absl::StrCat("RoiAlign: sampling_ratio ", ratio,
                                                   " is not between 0 and ", kMaxSamplingRatio));
  }
  if (!std::isfinite(scale)) {
    return absl::InvalidArgumentError("RoiAlign: spatial_scale must be finite");
  }
  const int64_t channels = x.size(1), height = x.size(2), width = x.size(3);
  const int64_t count = rois.size(0);
  if (!at::isfinite(rois).all().item<bool>()) {
    return absl::InvalidArgumentError("RoiAlign: rois must be finite");
  }
  // Samples per bin: the fixed sampling_ratio, or adaptive ceil(roi side / bins), counted
  // in double so that a huge roi is refused instead of overflowing the cast.
  const double bins_per_roi = static_cast<double>(channels) * out_h * out_w;
  if (bins_per_roi * count > kMaxSamples) {
    return absl::InvalidArgumentError(
        absl::StrCat("RoiAlign: the output would have more than ", kMaxSamples, " elements"));
  }
  auto grid = [ratio](double side, int64_t bins_along) {
    return ratio > 0 ? static_cast<double>(ratio) : std::ceil(side / bins_along);
  };
  at::Tensor out = at::zeros({count, channels, out_h, out_w}, at::kDouble);
  const double* xd = x.data_ptr<double>();
  const double* rd = rois.data_ptr<double>();
  const int64_t* id = indices.data_ptr<int64_t>();
  double* od = out.data_ptr<double>();
  const double offset = half_pixel ? 0.5 : 0.0;
  double total_samples = 0;
  for (int64_t r = 0; r < count; ++r) {
    if (id[r] < 0 || id[r] >= x.size(0)) {
      return absl::InvalidArgumentError("batch_indices out of range");
    }
    const double x1 = rd[r * 4] * scale - offset, y1 = rd[r * 4 + 1] * scale - offset;
    const double x2 = rd[r * 4 + 2] * scale - offset, y2 = rd[r * 4 + 3] * scale - offset;
    double roi_w = x2 - x1, roi_h = y2 - y1;
    if (!half_pixel) {
      roi_w = std::max(roi_w, 1.0);
      roi_h = std::max(roi_h, 1.0);
    }
    const double bin_h = roi_h / out_h, bin_w = roi_w / out_w;
    const double grid_h_real = grid(roi_h, out_h), grid_w_real = grid(roi_w, out_w);
    total_samples += bins_per_roi * std::max(grid_h_real, 1.0) * std::max(grid_w_real, 1.0);
    if (!std::isfinite(bin_h) || !std::isfinite(bin_w) || total_samples > kMaxSamples) {
      return absl::InvalidArgumentError(absl::StrCat(
          "RoiAlign: the rois up to ", r, " need more than ", kMaxSamples, " samples"));
    }
    // Negative for an inverted roi: then no samples, as before.
    const int64_t grid_h = static_cast<int64_t>(std::max(grid_h_real, -1.0));
    const int64_t grid_w = static_cast<int64_t>(std::max(grid_w_real, -1.0));
    const double samples = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
    for (int64_t c = 0; c < channels; ++c) {
      const double* plane = xd + (id[r] * channels + c) * height * width;
      for (int64_t ph = 0; ph < out_h; ++ph) {
        for (int64_t pw = 0; pw < out_w; ++pw) {
          double acc = 0;
          bool first = true;
          for (int64_t iy = 0; iy < grid_h; ++iy) {
            const double yy = y1 + ph * bin_h + (iy + 0.5) * bin_h / grid_h;
            for (int64_t ix = 0; ix < grid_w; ++ix) {
              const double xx = x1 + pw * bin_w + (ix + 0.5) * bin_w / grid_w;
              const double v = Bilinear(plane, height, width, yy, xx);
              if (mode == "avg") {
                acc += v;
              } else {
                acc = first ? v : std::max(acc, v);
              }
              first = false;
            }
          }
          od[((r * channels + c) * out_h + ph) * out_w + pw] = mode == "avg" ? acc / samples : acc;
        }
      }
    }
  }
  return Single(out.to(input.scalar_type()));
}

Outputs RoiAlignV10(const KernelContext& c) { return RoiAlign(c, false); }
Outputs RoiAlignV16(const KernelContext& c) { return RoiAlign(c, true); }

}  // namespace

void RegisterDetectionOps(OpRegistry& registry) {
  registry.Add("NonMaxSuppression", {10, kMaxOpset}, NonMaxSuppression);
  registry.Add("RoiAlign", {10, 15}, RoiAlignV10);
  registry.Add("RoiAlign", {16, kMaxOpset}, RoiAlignV16);
}

}  // namespace aiaas::runtime::onnxrt
