// The TrainableModel implementations of the zoo, built from a checked ModelPlan:
//  - SequentialModel: the planned layer list (sequential specs and every named
//    architecture except vae and transformer_encoder_classifier).
//  - VaeModel: encoder -> mu, logvar (dense latent each) -> z -> decoder.
//    Training mode: z = mu + eps * exp(logvar / 2), eps ~ N(0, 1) drawn from the
//    model's own generator, seeded from plan.seed (the same seed and spec give the
//    same samples); eval mode: z = mu. Forward fills ModelOutput.mu and .logvar. The
//    mu and logvar heads start small (N(0, 0.02) unless the spec names an init), so
//    training starts with every posterior near the prior.
//  - TransformerEncoderClassifier: [T, F] -> linear to d_model (or token embedding
//    when vocab > 0) + learned positional embedding -> dropout -> num_layers post-norm
//    encoder blocks (multi-head self-attention, LayerNorm, GELU feed-forward of ff_dim,
//    dropout) -> mean over time -> dense head (logits / regression outputs).
//
// Forward takes [N, <input shape>] for any N >= 1 (any floating dtype; it computes in
// float32) and throws c10::Error naming the expected shape when the input does not
// match; the caller (the trainer, the serving runtime) is the adapter that catches.
// Not thread-safe for concurrent Forward in training mode (dropout, batchnorm stats);
// concurrent eval-mode Forward under torch::NoGradGuard is fine.
#ifndef AIAAS_TRAINING_MODEL_ARCHITECTURES_H_
#define AIAAS_TRAINING_MODEL_ARCHITECTURES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "training/model/layers.h"
#include "training/model/model_plan.h"
#include "training/model/trainable_model.h"

namespace aiaas::training {

// One part of a model: a layer or block with its per-sample output shape. It is the
// unit of ModelSummary's rows and of weight initialization. Every parameter of a zoo
// model belongs to exactly one part's module.
struct ModelPart {
  std::string name;  // "model.layers[2] (conv2d)", "mu (dense)", "encoder block 1"
  std::string type;  // "conv2d", "transformer_encoder_block", ...
  std::vector<int64_t> output_shape;
  bool from_task = false;               // the output head appended for the task
  torch::nn::Module* module = nullptr;  // owned by the model; never null
  DefaultFill fill = DefaultFill::kXavier;
};

// A model built by the zoo: keeps its plan and can list its parts.
class ZooModel : public TrainableModel {
 public:
  explicit ZooModel(ModelPlan plan) : plan_(std::move(plan)) {}
  std::vector<int64_t> InputShape() const override { return plan_.input_shape; }
  std::vector<int64_t> OutputShape() const override { return plan_.output_shape; }
  const ModelPlan& plan() const { return plan_; }
  // In forward order. Pointers live as long as the model.
  virtual std::vector<ModelPart> Parts() = 0;

 protected:
  // Throws c10::Error unless `input` is [N, <input shape>] with N >= 1; returns it as float32.
  at::Tensor CheckedInput(const at::Tensor& input) const;

 private:
  ModelPlan plan_;
};

// Builds the model for `plan` with torch's default initial weights (BuildModel
// re-initializes them from its seed). May throw c10::Error / std::bad_alloc.
std::shared_ptr<ZooModel> InstantiateModel(const ModelPlan& plan);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_ARCHITECTURES_H_
