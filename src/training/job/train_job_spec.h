// The whole spec of a training job ("type": "train"), parsed and checked for form:
//
//   {"type": "train", "dataset": "iris", "dataset_version": 2,   // version: 0/absent = newest
//    "target": "species",
//    "task": "classification",          // | "regression" | "reconstruction"
//    "preprocess": {...},               // preprocess_spec.h
//    "model": {...},                    // model_spec.h
//    "loss": ..., "optimizer": ..., "gradient_clip": ..., "lr_schedule": ...,
//    "epochs": 30, "batch_size": 64, "seed": 7, "early_stopping": {...},
//                                       // optimization_spec.h
//    "split": {"validation": 0.1, "test": 0.2},   // defaults shown
//    "init": "kaiming",                 // overrides model.init
//    "output_model": "iris-mlp", "description": "..."}
//
// Unknown top-level keys are rejected with every one named (they are usually typos).
// Without "loss" the task's usual loss is used: cross_entropy for classification, mse
// for regression and reconstruction, elbo for a vae. "seed" seeds the split, the
// initial weights and the shuffle order.
//
// Whether the dataset, its columns, the layer shapes and the loss fit together is
// checked later, with the data at hand (train_pipeline.h). Torch-free.
#ifndef AIAAS_TRAINING_JOB_TRAIN_JOB_SPEC_H_
#define AIAAS_TRAINING_JOB_TRAIN_JOB_SPEC_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "training/model/model_spec.h"
#include "training/model/task.h"
#include "training/preprocess/preprocess_spec.h"
#include "training/trainer/optimization_spec.h"

namespace aiaas::training {

struct TrainJobSpec {
  std::string dataset;
  int64_t dataset_version = 0;  // 0 = the newest (the job service pins it at submit)
  std::string target;           // empty only for reconstruction
  Task task = Task::kClassification;
  PreprocessSpec preprocess;
  ModelSpec model;
  nlohmann::json model_json;  // "model" as given: stored in the native bundle
  OptimizationSpec optimization;
  double validation_fraction = 0.1;
  double test_fraction = 0.2;
  InitScheme init = InitScheme::kDefault;
  std::string output_model;
  std::string description;
};

// Parses a job spec. InvalidArgument naming the field (or every unknown key) for a
// spec that is not an object, misses a required field (dataset, task, output_model,
// target unless reconstruction), or has a value of the wrong type or range.
[[nodiscard]] absl::StatusOr<TrainJobSpec> ParseTrainJobSpec(const nlohmann::json& spec);

// "classification" | "regression" | "reconstruction"; InvalidArgument otherwise.
[[nodiscard]] absl::StatusOr<Task> ParseTask(const std::string& name);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_JOB_TRAIN_JOB_SPEC_H_
