// Builds a TrainableModel from a model spec and the data's shapes: the zoo's entry
// point for the trainer and the native serving runtime.
//
//   AIAAS_ASSIGN_OR_RETURN(ModelSpec spec, ParseModelSpec(job_json["model"]));
//   BuildOptions options;
//   options.input_shape = {64};
//   options.num_outputs = 10;  // classes; task defaults to classification
//   options.seed = 42;
//   AIAAS_ASSIGN_OR_RETURN(std::shared_ptr<TrainableModel> model, BuildModel(spec, options));
//   ModelOutput out = model->Forward(batch);  // batch [N, 64] -> logits [N, 10]
//
// Determinism: initial weights come from a torch::Generator local to the call, seeded
// with options.seed, filling parameters in registration order. Same spec + options
// give bit-identical weights, whatever other threads do with the global generator,
// and no lock is needed. (Torch's module constructors still draw their throwaway
// defaults from the global generator; those values are overwritten.)
//
// Thread-safety: BuildModel may be called concurrently. The returned model is owned
// by the caller (shared_ptr because torch modules are held that way); see
// architectures.h for Forward's contract.
#ifndef AIAAS_TRAINING_MODEL_MODEL_BUILDER_H_
#define AIAAS_TRAINING_MODEL_MODEL_BUILDER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "training/model/model_plan.h"
#include "training/model/model_spec.h"
#include "training/model/trainable_model.h"

namespace aiaas::training {

// Plans (model_plan.h: InvalidArgument naming the layer that does not fit), builds
// and initializes the model in training mode. Init schemes for weights of 2+ axes:
//   xavier   Xavier/Glorot uniform, bound sqrt(6 / (fan_in + fan_out))
//   kaiming  Kaiming/He normal, std sqrt(2 / fan_in)
//   normal   N(0, 0.05)            uniform  U(-0.05, 0.05)        zeros  all zero
//   default  per layer: kaiming for dense/conv followed by relu/gelu, xavier for other
//            weights, N(0, 1) for embeddings, N(0, 0.02) for positional embeddings.
// Under every scheme biases start at zero and norm scales at one.
// ResourceExhausted if LibTorch cannot allocate the model; Internal for other
// LibTorch failures (a bug).
[[nodiscard]] absl::StatusOr<std::shared_ptr<TrainableModel>> BuildModel(
    const ModelSpec& spec, const BuildOptions& options);

// The same from an already checked plan (PlanModel).
[[nodiscard]] absl::StatusOr<std::shared_ptr<TrainableModel>> BuildModelFromPlan(
    const ModelPlan& plan);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_MODEL_BUILDER_H_
