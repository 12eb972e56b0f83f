// What a model is trained to do. Torch-free so the spec parser and shape planner
// (model_spec.h, model_plan.h) can use it without LibTorch headers.
#ifndef AIAAS_TRAINING_MODEL_TASK_H_
#define AIAAS_TRAINING_MODEL_TASK_H_

namespace aiaas::training {

// `reconstruction` (autoencoder, vae) has no target column: the model reproduces its input.
enum class Task { kClassification, kRegression, kReconstruction };

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_TASK_H_
