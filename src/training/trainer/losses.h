// Loss functions over a model's forward output, and which loss fits which task.
//
// What each loss expects (N = batch size, C = output width):
//   mse, mae, huber  regression: output [N, 1] (or [N, k]) against float targets of the
//                    same shape ([N] is accepted for [N, 1]); reconstruction: output
//                    against the input itself. Mean over all elements.
//   cross_entropy    classification: logits [N, C] against int64 class indices [N] in
//                    [0, C). Mean over the batch.
//   bce              binary cross-entropy on logits (sigmoid applied inside):
//                    C == 1 with targets 0/1 (int64 [N] or float [N] / [N, 1]), or
//                    multi-label with float targets [N, C] in [0, 1]; on reconstruction
//                    the input (which must lie in [0, 1]) is the target. Mean over all
//                    elements.
//   kl_div           classification against target distributions: KL(target || model)
//                    = sum_c t_c * (log t_c - log_softmax(logits)_c), summed over classes,
//                    mean over the batch ("batchmean"). Targets are float [N, C] rows
//                    that each sum to 1 (soft labels, e.g. a teacher's probabilities for
//                    distillation) or int64 indices [N], taken as one-hot, in which case
//                    kl_div equals cross_entropy. The model outputs logits, not
//                    log-probabilities.
//   elbo             VAE on reconstruction: reconstruction error sum((output - input)^2)
//                    over the features, plus KL(q(z|x) || N(0, I)) =
//                    -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) over the latent, both
//                    averaged over the batch. Needs ModelOutput.mu and .logvar.
//
// Thread-safety: the functions are pure (they read their arguments only).
#ifndef AIAAS_TRAINING_TRAINER_LOSSES_H_
#define AIAAS_TRAINING_TRAINER_LOSSES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "training/model/trainable_model.h"
#include "training/trainer/optimization_spec.h"

namespace aiaas::training {

// OK when `loss` can train a model of `task`; else InvalidArgument naming the
// combination and what to use instead:
//   classification: cross_entropy, bce, kl_div (mse/mae/huber are rejected: regressing
//                   on class indices treats classes as ordered numbers)
//   regression:     mse, mae, huber
//   reconstruction: mse, mae, huber, bce (inputs in [0, 1]); elbo only when is_vae
//   elbo on anything but a VAE is rejected.
[[nodiscard]] absl::Status CheckLossFitsTask(LossKind loss, Task task, bool is_vae);

// The scalar (0-dim, differentiable) loss of one batch. `input` is the batch the model
// saw (the target for reconstruction losses); `target` is undefined for reconstruction.
// InvalidArgument when the shapes or dtypes do not fit the loss (see the table above),
// e.g. a class index out of range, float targets for cross_entropy, no mu for elbo.
//
// The checks of the target *values* (class indices in range, bce references in [0, 1],
// kl_div probabilities >= 0) read the whole batch and wait for the result: a caller that
// has checked a whole split once with CheckLossTargetValues may pass check_values = false
// for that split's batches (the shape and dtype checks stay).
[[nodiscard]] absl::StatusOr<at::Tensor> ComputeLoss(const LossSpec& spec, const ModelOutput& out,
                                                     const at::Tensor& input,
                                                     const at::Tensor& target,
                                                     bool check_values = true);

// The value checks of ComputeLoss over a whole split at once: `inputs` and `targets` are
// the split's (targets undefined for reconstruction), `sample_output` the model's output
// for any batch of it (only its width is read). Same InvalidArgument messages as
// ComputeLoss.
[[nodiscard]] absl::Status CheckLossTargetValues(const LossSpec& spec,
                                                 const at::Tensor& sample_output,
                                                 const at::Tensor& inputs,
                                                 const at::Tensor& targets);

// Correct predictions in one batch, for validation accuracy: argmax(logits) against the
// class (or the argmax of a target distribution) for cross_entropy/kl_div, one per
// sample; logit > 0 against target > 0.5 for bce, one per element. `count` is the
// number of predictions judged. Call only for the classification task.
struct CorrectCount {
  int64_t correct = 0;
  int64_t count = 0;
};
[[nodiscard]] absl::StatusOr<CorrectCount> CountCorrect(const LossSpec& spec,
                                                        const at::Tensor& output,
                                                        const at::Tensor& target);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_TRAINER_LOSSES_H_
