// A JSON description of a built model for the job's record and the model's page:
//
//   {"architecture": "cnn", "task": "classification",
//    "input_shape": [1, 8, 8], "output_shape": [10],
//    "parameters": 5258, "trainable_parameters": 5258,
//    "layers": [{"name": "model (cnn) layer 0 (conv2d)", "type": "conv2d",
//                "output_shape": [16, 8, 8], "parameters": 160, "from_task": false}, ...]}
//
// Shapes are per sample (no batch axis). A TrainableModel not built by the zoo gets
// no "architecture", "task" or "layers".
#ifndef AIAAS_TRAINING_MODEL_MODEL_SUMMARY_H_
#define AIAAS_TRAINING_MODEL_MODEL_SUMMARY_H_

#include "absl/strings/string_view.h"
#include "nlohmann/json_fwd.hpp"
#include "training/model/task.h"
#include "training/model/trainable_model.h"

namespace aiaas::training {

absl::string_view TaskName(Task task);  // "classification" | "regression" | "reconstruction"

// Reads the model's structure and parameter counts; does not change it.
nlohmann::json ModelSummary(TrainableModel& model);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_MODEL_MODEL_SUMMARY_H_
