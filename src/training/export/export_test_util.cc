#include "training/export/export_test_util.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>
#include <torch/utils.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>

#include "training/job/native_bundle.h"
#include "training/model/model_builder.h"
#include "training/model/weights_io.h"

namespace aiaas::training::testing {

using nlohmann::json;

namespace {

json PreprocessorJson(const BundleOptions& o) {
  json features = json::array();
  for (int64_t i = 0; i < o.features; ++i) {
    const double mean = 0.1 * static_cast<double>(i) - 0.2;
    features.push_back({{"name", "f" + std::to_string(i)},
                        {"kind", "numeric"},
                        {"missing", i % 2 == 0 ? "mean" : "median"},
                        {"impute", mean + 0.05},
                        {"mean", mean},
                        {"std", 0.5 + 0.25 * static_cast<double>(i % 3)},
                        {"min", -2.0 + 0.01 * static_cast<double>(i)},
                        {"max", 2.0 + 0.5 * static_cast<double>(i % 2)}});
  }
  if (o.categorical) {
    features.push_back({{"name", "color"},
                        {"kind", "categorical"},
                        {"missing", "most_frequent"},
                        {"impute", "blue"},
                        {"categories", {"blue", "red"}}});
  }
  std::vector<int64_t> shape = o.sample_shape;
  if (shape.empty()) shape = {o.features + (o.categorical ? 2 : 0)};
  json prep = {{"format", 1}, {"scale", o.scale}, {"features", features}, {"sample_shape", shape}};
  if (o.task == "classification") {
    prep["target"] = {{"column", "y"}, {"kind", "class_label"}, {"drop_missing", false}};
    json classes = json::array();
    for (int64_t c = 0; c < o.num_outputs; ++c) {
      if (o.string_labels) {
        classes.push_back(std::string(1, static_cast<char>('a' + c)));
      } else {
        classes.push_back(10 * (c + 1));
      }
    }
    prep["labels"] = {{"kind", o.string_labels ? "string" : "integer"}, {"classes", classes}};
  } else if (o.task == "regression") {
    prep["target"] = {{"column", "y"}, {"kind", "real_value"}, {"drop_missing", false}};
  } else {
    prep["target"] = {{"column", ""}, {"kind", "none"}, {"drop_missing", false}};
  }
  return prep;
}

}  // namespace

std::string RandomBundle(const BundleOptions& o) {
  std::vector<int64_t> shape = o.sample_shape;
  if (shape.empty()) shape = {o.features + (o.categorical ? 2 : 0)};
  BuildOptions build;
  build.input_shape = shape;
  build.num_outputs = o.num_outputs;
  build.seed = o.seed;
  build.task = o.task == "classification" ? Task::kClassification
               : o.task == "regression"   ? Task::kRegression
                                          : Task::kReconstruction;
  absl::StatusOr<ModelSpec> spec = ParseModelSpec(o.model);
  if (!spec.ok()) std::abort();
  absl::StatusOr<std::shared_ptr<TrainableModel>> model = BuildModel(*spec, build);
  if (!model.ok()) {
    fprintf(stderr, "BuildModel: %s\n", model.status().ToString().c_str());
    std::abort();
  }
  {
    // Random weights and batchnorm statistics, so that every tensor matters.
    torch::NoGradGuard no_grad;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
    for (auto& [name, tensor] : NamedState(**model)) {
      if (!tensor.is_floating_point()) continue;
      if (name.find("running_var") != std::string::npos) {
        tensor.uniform_(0.5, 1.5, gen);
      } else {
        tensor.uniform_(-0.6, 0.6, gen);
      }
    }
  }
  absl::StatusOr<std::string> weights = SaveWeights(**model);
  if (!weights.ok()) std::abort();
  NativeBundle bundle;
  bundle.header = {{"format", kNativeBundleFormat},
                   {"task", o.task},
                   {"model", o.model},
                   {"build",
                    {{"input_shape", shape},
                     {"num_outputs", o.num_outputs},
                     {"init", "default"},
                     {"seed", o.seed}}},
                   {"preprocessor", PreprocessorJson(o)}};
  if (o.task == "regression") bundle.header["target_scale"] = {{"mean", 150.25}, {"std", 70.5}};
  bundle.weights = *weights;
  return EncodeNativeBundle(bundle);
}

std::string WriteTemp(const std::string& bytes, const std::string& suffix) {
  std::string name = "/tmp/export_test_XXXXXX" + suffix;
  int fd = mkstemps(name.data(), static_cast<int>(suffix.size()));
  if (fd < 0) std::abort();
  close(fd);
  std::ofstream(name, std::ios::binary) << bytes;
  return name;
}

Tensor RandomRows(int64_t rows, int64_t features, bool with_missing, int64_t vocab, uint64_t seed) {
  std::mt19937 random(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> uniform(-2.0f, 2.0f);
  std::uniform_int_distribution<int64_t> ids(0, vocab > 0 ? vocab - 1 : 0);
  std::vector<float> values;
  for (int64_t i = 0; i < rows * features; ++i) {
    if (vocab > 0) {
      values.push_back(static_cast<float>(ids(random)));
    } else if (with_missing && i % 7 == 3) {
      values.push_back(std::nanf(""));
    } else {
      values.push_back(uniform(random));
    }
  }
  Tensor t;
  t.dtype = DataType::kFp32;
  t.shape = {rows, features};
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

std::vector<float> FloatValues(const Tensor& tensor) {
  std::vector<float> values(tensor.data.size() / sizeof(float));
  std::memcpy(values.data(), tensor.data.data(), values.size() * sizeof(float));
  return values;
}

std::vector<int64_t> Int64Values(const Tensor& tensor) {
  std::vector<int64_t> values(tensor.data.size() / sizeof(int64_t));
  std::memcpy(values.data(), tensor.data.data(), values.size() * sizeof(int64_t));
  return values;
}

}  // namespace aiaas::training::testing
