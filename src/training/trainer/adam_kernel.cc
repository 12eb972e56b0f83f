#include "training/trainer/adam_kernel.h"

#include <cmath>

namespace aiaas::training {
namespace {

template <bool kWeightDecay>
void Update(float* __restrict param, const float* __restrict grad, float* __restrict exp_avg,
            float* __restrict exp_avg_sq, int64_t n, const AdamStepConstants& c) {
  const float beta1 = c.beta1;
  const float one_minus_beta1 = c.one_minus_beta1;
  const float beta2 = c.beta2;
  const float one_minus_beta2 = c.one_minus_beta2;
  const float bias_correction2_sqrt = c.bias_correction2_sqrt;
  const float eps = c.eps;
  const float neg_step_size = c.neg_step_size;
  const float weight_decay = c.weight_decay;
  for (int64_t i = 0; i < n; ++i) {
    float g = grad[i];
    if constexpr (kWeightDecay) g = g + weight_decay * param[i];
    const float m = exp_avg[i] * beta1 + one_minus_beta1 * g;
    const float v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    const float denom = std::sqrt(v) / bias_correction2_sqrt + eps;
    param[i] = param[i] + neg_step_size * m / denom;
  }
}

}  // namespace

void AdamUpdate(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n,
                const AdamStepConstants& c) {
  if (c.weight_decay != 0.0f) {
    Update<true>(param, grad, exp_avg, exp_avg_sq, n, c);
  } else {
    Update<false>(param, grad, exp_avg, exp_avg_sq, n, c);
  }
}

}  // namespace aiaas::training
