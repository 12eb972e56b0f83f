#include "runtime/native_runtime.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "runtime/aten_tensor.h"
#include "training/job/native_bundle.h"
#include "training/model/model_builder.h"
#include "training/model/model_spec.h"
#include "training/model/weights_io.h"
#include "training/preprocess/preprocessor.h"

namespace aiaas::runtime {
namespace {

using nlohmann::json;
using training::FittedPreprocessor;
using training::Task;

constexpr char kFeatures[] = "features";
constexpr char kCategorical[] = "categorical";

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("native model bundle: ", why));
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot open ", path));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) return absl::InternalError(absl::StrCat("cannot read ", path));
  return std::move(bytes).str();
}

absl::StatusOr<Task> TaskOf(const json& header) {
  const std::string task = header.value("task", std::string());
  if (task == "classification") return Task::kClassification;
  if (task == "regression") return Task::kRegression;
  if (task == "reconstruction") return Task::kReconstruction;
  return Invalid(absl::StrCat("unknown task '", task, "'"));
}

absl::StatusOr<training::BuildOptions> BuildOptionsOf(const json& header, Task task) {
  const json build = header.value("build", json::object());
  training::BuildOptions options;
  try {
    options.input_shape = build.at("input_shape").get<std::vector<int64_t>>();
    options.num_outputs = build.at("num_outputs").get<int64_t>();
    options.seed = build.value("seed", uint64_t{0});
    AIAAS_ASSIGN_OR_RETURN(options.init,
                           training::ParseInitScheme(build.value("init", std::string("default"))));
  } catch (const json::exception& e) {
    return Invalid(absl::StrCat("bad \"build\" object: ", e.what()));
  }
  options.task = task;
  return options;
}

// BYTES elements: each a 4-byte little-endian length, then that many bytes.
absl::StatusOr<std::vector<std::string>> DecodeBytes(const Tensor& tensor, int64_t count) {
  std::vector<std::string> values;
  values.reserve(static_cast<size_t>(count));
  size_t offset = 0;
  const size_t size = tensor.data.size();
  for (int64_t i = 0; i < count; ++i) {
    uint32_t length = 0;
    if (size - offset < sizeof(length)) {
      return absl::InvalidArgumentError("input 'categorical': BYTES data ends early");
    }
    std::memcpy(&length, tensor.data.data() + offset, sizeof(length));
    offset += sizeof(length);
    if (length > size - offset) {
      return absl::InvalidArgumentError("input 'categorical': BYTES element overruns the data");
    }
    values.emplace_back(reinterpret_cast<const char*>(tensor.data.data()) + offset, length);
    offset += length;
  }
  return values;
}

Tensor EncodeBytes(const std::vector<std::string>& values) {
  Tensor tensor;
  tensor.dtype = DataType::kBytes;
  tensor.shape = {static_cast<int64_t>(values.size())};
  for (const std::string& value : values) {
    const uint32_t length = static_cast<uint32_t>(value.size());
    const size_t at = tensor.data.size();
    tensor.data.resize(at + sizeof(length) + value.size());
    std::memcpy(tensor.data.data() + at, &length, sizeof(length));
    std::memcpy(tensor.data.data() + at + sizeof(length), value.data(), value.size());
  }
  return tensor;
}

Tensor EncodeInt64(const std::vector<int64_t>& values) {
  Tensor tensor;
  tensor.dtype = DataType::kInt64;
  tensor.shape = {static_cast<int64_t>(values.size())};
  tensor.data.resize(values.size() * sizeof(int64_t));
  std::memcpy(tensor.data.data(), values.data(), tensor.data.size());
  return tensor;
}

TensorSpec Spec(std::string name, DataType dtype, std::vector<int64_t> shape) {
  return TensorSpec{std::move(name), dtype, std::move(shape)};
}

Signature DerivedSignature(const FittedPreprocessor& prep, Task task, int64_t num_outputs,
                           const std::vector<int64_t>& output_shape) {
  Signature signature;
  const int64_t numeric = static_cast<int64_t>(prep.NumericFeatureNames().size());
  const int64_t categorical = static_cast<int64_t>(prep.CategoricalFeatureNames().size());
  if (numeric > 0 || categorical == 0) {
    signature.inputs.push_back(Spec(kFeatures, DataType::kFp32, {-1, numeric}));
  }
  if (categorical > 0) {
    signature.inputs.push_back(Spec(kCategorical, DataType::kBytes, {-1, categorical}));
  }
  switch (task) {
    case Task::kClassification:
      signature.outputs.push_back(Spec("probabilities", DataType::kFp32, {-1, num_outputs}));
      signature.outputs.push_back(
          Spec("label", prep.labels()->IntegerLabels() ? DataType::kInt64 : DataType::kBytes, {-1}));
      break;
    case Task::kRegression:
      signature.outputs.push_back(Spec("prediction", DataType::kFp32, {-1, 1}));
      break;
    case Task::kReconstruction: {
      std::vector<int64_t> shape = {-1};
      shape.insert(shape.end(), output_shape.begin(), output_shape.end());
      signature.outputs.push_back(Spec("reconstruction", DataType::kFp32, shape));
      break;
    }
  }
  return signature;
}

absl::Status CheckDeclared(const Signature& derived, const std::optional<Signature>& declared) {
  if (!declared.has_value()) return absl::OkStatus();
  std::vector<std::string> want, got;
  for (const TensorSpec& spec : derived.inputs) want.push_back(spec.name);
  for (const TensorSpec& spec : declared->inputs) got.push_back(spec.name);
  std::sort(got.begin(), got.end());
  std::vector<std::string> sorted_want = want;
  std::sort(sorted_want.begin(), sorted_want.end());
  if (got != sorted_want) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the declared signature's inputs (", absl::StrJoin(got, ", "),
        ") differ from the native model's (", absl::StrJoin(want, ", "), ")"));
  }
  return absl::OkStatus();
}

class NativeServable final : public Servable {
 public:
  NativeServable(std::shared_ptr<training::TrainableModel> model, FittedPreprocessor prep,
                 Task task, Signature signature, double target_mean, double target_std,
                 int intra_op_threads, int64_t memory_bytes)
      : model_(std::move(model)),
        prep_(std::move(prep)),
        task_(task),
        signature_(std::move(signature)),
        target_mean_(target_mean),
        target_std_(target_std),
        intra_op_threads_(intra_op_threads),
        memory_bytes_(memory_bytes) {}

  const Signature& signature() const override { return signature_; }
  int64_t memory_bytes() const override { return memory_bytes_; }

  absl::StatusOr<NamedTensors> Infer(const TensorMap& inputs) override {
    ApplyThreadSettings();
    AIAAS_ASSIGN_OR_RETURN(training::Matrix x, Encode(inputs));
    try {
      c10::InferenceMode guard;
      std::vector<int64_t> shape = {static_cast<int64_t>(x.rows)};
      const std::vector<int64_t>& sample = prep_.SampleShape();
      shape.insert(shape.end(), sample.begin(), sample.end());
      at::Tensor batch = at::from_blob(x.values.data(), shape, at::kFloat);
      // Forward only reads the model (eval mode, no autograd): safe from many threads.
      at::Tensor output = model_->Forward(batch).output;
      return Outputs(output);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("model rejected the input: ", e.what()));
    }
  }

 private:
  void ApplyThreadSettings() const {
    thread_local int configured = -1;
    if (configured != intra_op_threads_) {
      at::set_num_threads(intra_op_threads_);
      configured = intra_op_threads_;
    }
  }

  absl::StatusOr<training::Matrix> Encode(const TensorMap& inputs) const {
    const size_t numeric = prep_.NumericFeatureNames().size();
    const size_t categorical = prep_.CategoricalFeatureNames().size();
    int64_t rows = -1;
    const float* numbers = nullptr;
    if (auto it = inputs.find(kFeatures); it != inputs.end()) {
      const Tensor& t = it->second;
      if (t.dtype != DataType::kFp32 || t.shape.size() != 2 ||
          t.shape[1] != static_cast<int64_t>(numeric)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "input 'features' must be FP32 [rows, ", numeric, "] (columns ",
            absl::StrJoin(prep_.NumericFeatureNames(), ", "), "), got ",
            std::string(DataTypeName(t.dtype)), " ", ShapeToString(t.shape)));
      }
      rows = t.shape[0];
      numbers = reinterpret_cast<const float*>(t.data.data());
    } else if (numeric > 0) {
      return absl::InvalidArgumentError("missing input 'features'");
    }
    std::vector<std::string> strings;
    if (categorical > 0) {
      auto it = inputs.find(kCategorical);
      if (it == inputs.end()) return absl::InvalidArgumentError("missing input 'categorical'");
      const Tensor& t = it->second;
      if (t.dtype != DataType::kBytes || t.shape.size() != 2 ||
          t.shape[1] != static_cast<int64_t>(categorical) || (rows >= 0 && t.shape[0] != rows)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "input 'categorical' must be BYTES [rows, ", categorical, "] (columns ",
            absl::StrJoin(prep_.CategoricalFeatureNames(), ", "),
            ") with as many rows as 'features', got ", ShapeToString(t.shape)));
      }
      rows = t.shape[0];
      AIAAS_ASSIGN_OR_RETURN(strings, DecodeBytes(t, rows * static_cast<int64_t>(categorical)));
    }
    if (rows < 0) rows = 0;
    return prep_.TransformRaw(numbers, static_cast<size_t>(rows),
                              categorical > 0 ? &strings : nullptr);
  }

  absl::StatusOr<NamedTensors> Outputs(const at::Tensor& output) const {
    NamedTensors outputs;
    switch (task_) {
      case Task::kClassification: {
        const at::Tensor probabilities = output.softmax(1).contiguous();
        AIAAS_ASSIGN_OR_RETURN(Tensor p, FromAten(probabilities));
        outputs.emplace_back("probabilities", std::move(p));
        const at::Tensor best = probabilities.argmax(1).contiguous();
        const training::LabelEncoder& labels = *prep_.labels();
        std::vector<int64_t> integers;
        std::vector<std::string> strings;
        for (int64_t i = 0; i < best.numel(); ++i) {
          const int64_t index = best.data_ptr<int64_t>()[i];
          if (labels.IntegerLabels()) {
            AIAAS_ASSIGN_OR_RETURN(int64_t label, labels.DecodeInteger(index));
            integers.push_back(label);
          } else {
            AIAAS_ASSIGN_OR_RETURN(std::string label, labels.DecodeString(index));
            strings.push_back(std::move(label));
          }
        }
        outputs.emplace_back("label",
                             labels.IntegerLabels() ? EncodeInt64(integers) : EncodeBytes(strings));
        break;
      }
      case Task::kRegression: {
        const at::Tensor scaled =
            (output.reshape({-1, 1}).to(at::kDouble) * target_std_ + target_mean_).to(at::kFloat);
        AIAAS_ASSIGN_OR_RETURN(Tensor prediction, FromAten(scaled.contiguous()));
        outputs.emplace_back("prediction", std::move(prediction));
        break;
      }
      case Task::kReconstruction: {
        AIAAS_ASSIGN_OR_RETURN(Tensor reconstruction, FromAten(output.contiguous()));
        outputs.emplace_back("reconstruction", std::move(reconstruction));
        break;
      }
    }
    return outputs;
  }

  const std::shared_ptr<training::TrainableModel> model_;
  const FittedPreprocessor prep_;
  const Task task_;
  const Signature signature_;
  const double target_mean_;
  const double target_std_;
  const int intra_op_threads_;
  const int64_t memory_bytes_;
};

int64_t ModelBytes(training::TrainableModel& model) {
  int64_t bytes = 0;
  for (const at::Tensor& p : model.parameters()) bytes += p.numel() * p.element_size();
  for (const at::Tensor& b : model.buffers()) bytes += b.numel() * b.element_size();
  return bytes;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Servable>> NativeRuntime::Load(
    const std::string& path, const std::optional<Signature>& declared) {
  AIAAS_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  AIAAS_ASSIGN_OR_RETURN(training::NativeBundle bundle, training::DecodeNativeBundle(bytes));
  bytes.clear();
  const json& header = bundle.header;
  AIAAS_ASSIGN_OR_RETURN(Task task, TaskOf(header));
  AIAAS_ASSIGN_OR_RETURN(training::BuildOptions build, BuildOptionsOf(header, task));
  AIAAS_ASSIGN_OR_RETURN(FittedPreprocessor prep,
                         FittedPreprocessor::FromJson(header.value("preprocessor", json())));
  if (task == Task::kClassification && prep.labels() == nullptr) {
    return Invalid("a classifier without class labels");
  }
  if (prep.SampleShape() != build.input_shape) {
    return Invalid("the preprocessing's sample shape differs from the model's input shape");
  }
  AIAAS_ASSIGN_OR_RETURN(training::ModelSpec spec,
                         training::ParseModelSpec(header.value("model", json())));
  double target_mean = 0.0;
  double target_std = 1.0;
  if (task == Task::kRegression) {
    const json scale = header.value("target_scale", json::object());
    target_mean = scale.value("mean", 0.0);
    target_std = scale.value("std", 1.0);
  }

  std::shared_ptr<training::TrainableModel> model;
  int64_t memory_bytes = 0;
  std::vector<int64_t> output_shape;
  try {
    AIAAS_ASSIGN_OR_RETURN(model, training::BuildModel(spec, build));
    AIAAS_RETURN_IF_ERROR(training::LoadWeights(*model, bundle.weights));
    model->eval();
    memory_bytes = ModelBytes(*model);
    output_shape = model->OutputShape();
  } catch (const std::exception& e) {
    return Invalid(absl::StrCat("cannot rebuild the model: ", e.what()));
  }
  Signature signature = DerivedSignature(prep, task, build.num_outputs, output_shape);
  AIAAS_RETURN_IF_ERROR(CheckDeclared(signature, declared));
  return std::make_unique<NativeServable>(std::move(model), std::move(prep), task,
                                          std::move(signature), target_mean, target_std,
                                          std::max(1, options_.intra_op_threads), memory_bytes);
}

}  // namespace aiaas::runtime
