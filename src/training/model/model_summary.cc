#include "training/model/model_summary.h"

#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"
#include "training/model/architectures.h"

namespace aiaas::training {
namespace {

int64_t CountParameters(const torch::nn::Module& module, bool trainable_only) {
  int64_t count = 0;
  for (const at::Tensor& parameter : module.parameters(/*recurse=*/true)) {
    if (!trainable_only || parameter.requires_grad()) count += parameter.numel();
  }
  return count;
}

}  // namespace

absl::string_view TaskName(Task task) {
  switch (task) {
    case Task::kClassification:
      return "classification";
    case Task::kRegression:
      return "regression";
    case Task::kReconstruction:
      return "reconstruction";
  }
  return "unknown";
}

nlohmann::json ModelSummary(TrainableModel& model) {
  nlohmann::json summary = nlohmann::json::object();
  auto* zoo = dynamic_cast<ZooModel*>(&model);
  if (zoo != nullptr) {
    summary["architecture"] = std::string(ArchitectureName(zoo->plan().architecture));
    summary["task"] = std::string(TaskName(zoo->plan().task));
  }
  summary["input_shape"] = model.InputShape();
  summary["output_shape"] = model.OutputShape();
  summary["parameters"] = CountParameters(model, false);
  summary["trainable_parameters"] = CountParameters(model, true);
  if (zoo != nullptr) {
    nlohmann::json layers = nlohmann::json::array();
    for (const ModelPart& part : zoo->Parts()) {
      layers.push_back({{"name", part.name},
                        {"type", part.type},
                        {"output_shape", part.output_shape},
                        {"parameters", CountParameters(*part.module, false)},
                        {"from_task", part.from_task}});
    }
    summary["layers"] = std::move(layers);
  }
  return summary;
}

}  // namespace aiaas::training
