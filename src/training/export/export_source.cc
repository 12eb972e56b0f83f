#include "training/export/export_source.h"

#include <torch/types.h>

#include <cstring>
#include <exception>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "training/job/native_bundle.h"
#include "training/model/model_builder.h"
#include "training/model/model_spec.h"
#include "training/model/weights_io.h"

namespace aiaas::training {
namespace {

using nlohmann::json;

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("native model bundle: ", why));
}

absl::StatusOr<Task> TaskOf(const json& header) {
  const std::string task = header.value("task", std::string());
  if (task == "classification") return Task::kClassification;
  if (task == "regression") return Task::kRegression;
  if (task == "reconstruction") return Task::kReconstruction;
  return Invalid(absl::StrCat("unknown task '", task, "'"));
}

absl::StatusOr<BuildOptions> BuildOptionsOf(const json& header, Task task) {
  const json build = header.value("build", json::object());
  BuildOptions options;
  try {
    options.input_shape = build.at("input_shape").get<std::vector<int64_t>>();
    options.num_outputs = build.at("num_outputs").get<int64_t>();
    options.seed = build.value("seed", uint64_t{0});
    AIAAS_ASSIGN_OR_RETURN(options.init,
                           ParseInitScheme(build.value("init", std::string("default"))));
  } catch (const json::exception& e) {
    return Invalid(absl::StrCat("bad \"build\" object: ", e.what()));
  }
  options.task = task;
  return options;
}

absl::StatusOr<ExportTensor> ToExportTensor(const std::string& name, const at::Tensor& tensor) {
  ExportTensor out;
  out.name = name;
  at::Tensor contiguous = tensor.detach().contiguous();
  if (contiguous.scalar_type() == at::kFloat) {
    out.dtype = ExportDType::kFloat32;
  } else if (contiguous.scalar_type() == at::kLong) {
    out.dtype = ExportDType::kInt64;
  } else {
    return absl::InternalError(absl::StrCat("weights: tensor \"", name, "\" has type ",
                                            std::string(c10::toString(contiguous.scalar_type()))));
  }
  out.shape.assign(contiguous.sizes().begin(), contiguous.sizes().end());
  const size_t bytes = static_cast<size_t>(contiguous.numel()) * contiguous.element_size();
  out.bytes.assign(static_cast<const char*>(contiguous.data_ptr()), bytes);
  return out;
}

}  // namespace

int64_t ExportTensor::NumElements() const {
  int64_t n = 1;
  for (int64_t dim : shape) n *= dim;
  return n;
}

std::vector<float> ExportTensor::Floats() const {
  std::vector<float> values(bytes.size() / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

const ExportTensor* ExportSource::Find(absl::string_view name) const {
  for (const ExportTensor& tensor : tensors) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

absl::StatusOr<ExportSource> LoadExportSource(absl::string_view bundle_bytes) {
  AIAAS_ASSIGN_OR_RETURN(NativeBundle bundle, DecodeNativeBundle(bundle_bytes));
  ExportSource source;
  source.header = std::move(bundle.header);
  const json& header = source.header;
  AIAAS_ASSIGN_OR_RETURN(source.task, TaskOf(header));
  AIAAS_ASSIGN_OR_RETURN(BuildOptions build, BuildOptionsOf(header, source.task));
  AIAAS_ASSIGN_OR_RETURN(FittedPreprocessor prep,
                         FittedPreprocessor::FromJson(header.value("preprocessor", json())));
  if (source.task == Task::kClassification && prep.labels() == nullptr) {
    return Invalid("a classifier without class labels");
  }
  if (prep.SampleShape() != build.input_shape) {
    return Invalid("the preprocessing's sample shape differs from the model's input shape");
  }
  source.preprocessor = std::move(prep);
  AIAAS_ASSIGN_OR_RETURN(ModelSpec spec, ParseModelSpec(header.value("model", json())));
  AIAAS_ASSIGN_OR_RETURN(source.plan, PlanModel(spec, build));
  if (source.task == Task::kRegression) {
    const json scale = header.value("target_scale", json::object());
    if (!scale.is_object()) return Invalid("\"target_scale\" is not an object");
    source.target_mean = scale.value("mean", 0.0);
    source.target_std = scale.value("std", 1.0);
  }
  try {
    AIAAS_ASSIGN_OR_RETURN(std::shared_ptr<TrainableModel> model, BuildModelFromPlan(source.plan));
    AIAAS_RETURN_IF_ERROR(LoadWeights(*model, bundle.weights));
    for (const auto& [name, tensor] : NamedState(*model)) {
      AIAAS_ASSIGN_OR_RETURN(ExportTensor exported, ToExportTensor(name, tensor));
      source.tensors.push_back(std::move(exported));
    }
  } catch (const std::exception& e) {
    return Invalid(absl::StrCat("cannot rebuild the model: ", e.what()));
  }
  return source;
}

}  // namespace aiaas::training
