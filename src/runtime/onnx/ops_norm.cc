// Normalization: BatchNormalization, InstanceNormalization, LayerNormalization, LRN.
// Written as plain tensor arithmetic (FLOAT16/BFLOAT16 widened to float32) so that the
// ONNX formulas, their broadcasting and their extra outputs hold exactly.

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tensor.h"
#include "runtime/onnx/op_registry.h"
#include "runtime/onnx/op_util.h"

namespace aiaas::runtime::onnxrt {
namespace {

using Outputs = absl::StatusOr<std::vector<at::Tensor>>;

at::Tensor Widen(const at::Tensor& t) {
  return t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16 ? t.to(at::kFloat) : t;
}

// Per-channel parameter [C] (or [C, D1, ...] with spatial=0) shaped to broadcast over
// [N, C, D1, ...].
at::Tensor ChannelShaped(const at::Tensor& p, int64_t rank) {
  std::vector<int64_t> shape = p.sizes().vec();
  shape.insert(shape.begin(), 1);
  while (static_cast<int64_t>(shape.size()) < rank) shape.push_back(1);
  return Widen(p).reshape(shape);
}

Outputs BatchNormalization(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  if (x.dim() < 2) {
    return absl::InvalidArgumentError("BatchNormalization: input must be N x C x ...");
  }
  const int64_t rank = x.dim();
  const double epsilon = context.attributes().GetFloat("epsilon", 1e-5F);
  const double momentum = context.attributes().GetFloat("momentum", 0.9F);
  const bool training = context.opset() >= 14
                            ? context.attributes().GetInt("training_mode", 0) != 0
                            : context.output_wanted(1);
  at::Tensor wide = Widen(x);
  at::Tensor scale = ChannelShaped(context.input(1), rank);
  at::Tensor bias = ChannelShaped(context.input(2), rank);
  at::Tensor mean = ChannelShaped(context.input(3), rank);
  at::Tensor var = ChannelShaped(context.input(4), rank);
  std::vector<at::Tensor> outputs(1);
  if (training) {
    std::vector<int64_t> dims = {0};
    for (int64_t d = 2; d < rank; ++d) dims.push_back(d);
    at::Tensor current_mean = at::mean(wide, dims, /*keepdim=*/true);
    at::Tensor current_var = at::mean(at::square(wide - current_mean), dims, true);
    outputs[0] = (wide - current_mean) / at::sqrt(current_var + epsilon) * scale + bias;
    const at::ScalarType stat_type = context.input(3).scalar_type();
    outputs.push_back((mean * momentum + current_mean * (1 - momentum))
                          .reshape(context.input(3).sizes())
                          .to(stat_type));
    outputs.push_back((var * momentum + current_var * (1 - momentum))
                          .reshape(context.input(4).sizes())
                          .to(context.input(4).scalar_type()));
    if (context.opset() < 14) {  // saved_mean, saved_var
      outputs.push_back(current_mean.reshape(context.input(3).sizes()).to(stat_type));
      outputs.push_back(current_var.reshape(context.input(4).sizes()).to(stat_type));
    }
  } else {
    outputs[0] = (wide - mean) / at::sqrt(var + epsilon) * scale + bias;
  }
  outputs[0] = outputs[0].to(x.scalar_type());
  return outputs;
}

Outputs InstanceNormalization(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  if (x.dim() < 3) {
    return absl::InvalidArgumentError("InstanceNormalization: input must be N x C x D1 ...");
  }
  std::vector<int64_t> dims;
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  const double epsilon = context.attributes().GetFloat("epsilon", 1e-5F);
  at::Tensor wide = Widen(x);
  at::Tensor mean = at::mean(wide, dims, true);
  at::Tensor var = at::mean(at::square(wide - mean), dims, true);
  at::Tensor y = (wide - mean) / at::sqrt(var + epsilon) * ChannelShaped(context.input(1), x.dim()) +
                 ChannelShaped(context.input(2), x.dim());
  return Single(y.to(x.scalar_type()));
}

// Opset 17. Normalizes over dims [axis, rank); Mean and InvStdDev keep the leading dims
// and have 1s for the normalized ones, in stash_type (float32 unless said otherwise).
Outputs LayerNormalization(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  AIAAS_ASSIGN_OR_RETURN(int64_t axis,
                         NormalizeAxis(context.attributes().GetInt("axis", -1), x.dim()));
  const double epsilon = context.attributes().GetFloat("epsilon", 1e-5F);
  const int64_t stash = context.attributes().GetInt("stash_type", 1);
  at::ScalarType stash_type;
  switch (stash) {
    case 1: stash_type = at::kFloat; break;
    case 10: stash_type = at::kHalf; break;
    case 11: stash_type = at::kDouble; break;
    case 16: stash_type = at::kBFloat16; break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("LayerNormalization: stash_type ", stash,
                                                     " is not a floating-point type"));
  }
  const at::Tensor& scale = context.input(1);
  const std::vector<int64_t> normalized(x.sizes().begin() + axis, x.sizes().end());
  const bool bias_fits = !context.has_input(2) || (context.input(2).sizes().vec() == normalized &&
                                                   context.input(2).scalar_type() == stash_type);
  if ((stash_type == at::kFloat || stash_type == at::kDouble) && x.scalar_type() == stash_type &&
      scale.scalar_type() == stash_type && scale.sizes().vec() == normalized && bias_fits) {
    // Same formula in ATen's fused kernel (one pass instead of eight tensor operations);
    // its mean and rstd have the shape and meaning of Mean and InvStdDev.
    auto [y, mean, inv_std] = at::native_layer_norm(
        x, normalized, scale, context.has_input(2) ? context.input(2) : at::Tensor(), epsilon);
    return std::vector<at::Tensor>{y, mean, inv_std};
  }
  std::vector<int64_t> dims;
  for (int64_t d = axis; d < x.dim(); ++d) dims.push_back(d);
  at::Tensor wide = x.to(stash_type);
  at::Tensor mean = at::mean(wide, dims, true);
  at::Tensor centered = wide - mean;
  at::Tensor inv_std = at::rsqrt(at::mean(at::square(centered), dims, true) + epsilon);
  at::Tensor y = (centered * inv_std).to(x.scalar_type()) * context.input(1);
  if (context.has_input(2)) y = y + context.input(2);
  std::vector<at::Tensor> outputs;
  outputs.push_back(y.to(x.scalar_type()));
  outputs.push_back(mean);
  outputs.push_back(inv_std);
  return outputs;
}

// square_sum over channels [c - floor((size-1)/2), c + ceil((size-1)/2)], as a window
// sum along a padded channel axis.
Outputs Lrn(const KernelContext& context) {
  const at::Tensor& x = context.input(0);
  if (x.dim() < 3) return absl::InvalidArgumentError("LRN: input must be N x C x D1 ...");
  const int64_t size = context.attributes().GetInt("size", 0);
  if (size < 1) return absl::InvalidArgumentError("LRN: size must be positive");
  const double alpha = context.attributes().GetFloat("alpha", 1e-4F);
  const double beta = context.attributes().GetFloat("beta", 0.75F);
  const double bias = context.attributes().GetFloat("bias", 1.0F);
  at::Tensor wide = Widen(x);
  const int64_t n = x.size(0);
  const int64_t c = x.size(1);
  at::Tensor squares = at::square(wide).reshape({n, 1, c, -1});
  squares = at::constant_pad_nd(squares, {0, 0, (size - 1) / 2, size / 2}, 0);
  at::Tensor sums = at::avg_pool2d(squares, {size, 1}, {1, 1}) * static_cast<double>(size);
  at::Tensor y = wide / at::pow(bias + alpha / size * sums.reshape(x.sizes()), beta);
  return Single(y.to(x.scalar_type()));
}

}  // namespace

void RegisterNormOps(OpRegistry& registry) {
  registry.Add("BatchNormalization", {1, kMaxOpset}, BatchNormalization);
  registry.Add("InstanceNormalization", {1, kMaxOpset}, InstanceNormalization);
  registry.Add("LayerNormalization", {17, kMaxOpset}, LayerNormalization);
  registry.Add("LRN", {1, kMaxOpset}, Lrn);
}

}  // namespace aiaas::runtime::onnxrt
