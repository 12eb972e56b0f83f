// The elementwise Adam update of one float32 parameter, in a single pass over its
// elements (torch::optim::Adam spends about eight tensor operations per parameter, each
// with its own dispatch and temporaries; on the small models trained here that overhead
// was about 40% of a training step). Torch-free, so that its file can be compiled for
// vectorization (see CMakeLists.txt); optimizers.h decides when it applies.
#ifndef AIAAS_TRAINING_TRAINER_ADAM_KERNEL_H_
#define AIAAS_TRAINING_TRAINER_ADAM_KERNEL_H_

#include <cstdint>

namespace aiaas::training {

// The step's constants, as torch::optim::Adam (no amsgrad) derives them for step t:
// bias_correction2_sqrt = sqrt(1 - beta2^t), neg_step_size = -lr / (1 - beta1^t).
struct AdamStepConstants {
  float beta1 = 0.9f;
  float one_minus_beta1 = 0.1f;
  float beta2 = 0.999f;
  float one_minus_beta2 = 0.001f;
  float bias_correction2_sqrt = 1.0f;
  float eps = 1e-8f;
  float neg_step_size = 0.0f;
  float weight_decay = 0.0f;  // L2: added to the gradient as weight_decay * param
};

// For each i < n (the arrays must not overlap):
//   g = grad[i] (+ weight_decay * param[i])
//   exp_avg[i]    = exp_avg[i] * beta1 + (1 - beta1) * g
//   exp_avg_sq[i] = exp_avg_sq[i] * beta2 + (1 - beta2) * g * g
//   param[i]     += neg_step_size * exp_avg[i] / (sqrt(exp_avg_sq[i]) / bias_correction2_sqrt +
//   eps)
// The same formulas as torch::optim::Adam in float32; results may differ from it in the
// last bits (operation grouping and fused multiply-adds), never in what is computed.
void AdamUpdate(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, int64_t n,
                const AdamStepConstants& c);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_TRAINER_ADAM_KERNEL_H_
