// The seam between the model zoo (which builds networks from a JSON spec) and the
// trainer (losses, optimizers, the loop, checkpoints) and the native serving runtime.
#ifndef AIAAS_TRAINING_MODEL_TRAINABLE_MODEL_H_
#define AIAAS_TRAINING_MODEL_TRAINABLE_MODEL_H_

#include <torch/nn/module.h>

#include <cstdint>
#include <string>
#include <vector>

#include "training/model/task.h"

namespace aiaas::training {

// Task (classification | regression | reconstruction) lives in task.h so torch-free
// code (spec parsing, shape planning) can name it.

// A forward pass: the prediction and, for a VAE, the latent distribution the ELBO
// loss needs (undefined tensors otherwise).
//  - classification: logits [N, C]
//  - regression: [N, 1]
//  - reconstruction: the input's shape [N, ...]
struct ModelOutput {
  at::Tensor output;
  at::Tensor mu;
  at::Tensor logvar;
};

// A network built by the model zoo. Train/eval mode, parameters, named state and
// serialization come from torch::nn::Module.
class TrainableModel : public torch::nn::Module {
 public:
  virtual ModelOutput Forward(const at::Tensor& input) = 0;
  // Per-sample input shape it was built for, e.g. {64} or {1, 8, 8}.
  virtual std::vector<int64_t> InputShape() const = 0;
  // Per-sample output shape, e.g. {10}, {1}, or the input shape.
  virtual std::vector<int64_t> OutputShape() const = 0;
};

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_TRAINABLE_MODEL_H_
