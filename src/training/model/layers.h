// Internal to the model zoo: one torch::nn::Module per planned layer. Each layer was
// shape-checked by PlanModel, so constructing one cannot meet a shape it cannot handle.
// Tensors are batched: [N, <per-sample shape>].
#ifndef AIAAS_TRAINING_MODEL_LAYERS_H_
#define AIAAS_TRAINING_MODEL_LAYERS_H_

#include <torch/nn/module.h>

#include <memory>

#include "training/model/model_plan.h"

namespace aiaas::training {

// How a weight tensor (2+ axes) is filled when the spec does not choose a scheme.
enum class DefaultFill {
  kXavier,      // Xavier/Glorot uniform
  kKaiming,     // Kaiming/He normal, fan-in (for relu/gelu)
  kUnitNormal,  // N(0, 1): embeddings
  kSmallNormal  // N(0, 0.02): learned positional embeddings, a VAE's mu/logvar heads
};

class Layer : public torch::nn::Module {
 public:
  virtual at::Tensor Forward(const at::Tensor& input) = 0;
  virtual DefaultFill DefaultWeightFill() const { return DefaultFill::kXavier; }
};

// A module for `layer`, with torch's own initial weights (the builder re-fills them
// from its seeded generator).
std::shared_ptr<Layer> MakeLayer(const PlannedLayer& layer);

// relu, tanh, sigmoid, gelu, softmax over the last axis; kNone returns `input`.
at::Tensor ApplyActivation(Activation activation, const at::Tensor& input);

// The fill a dense/conv layer followed by `activation` gets by default.
DefaultFill FillFor(Activation activation);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_LAYERS_H_
