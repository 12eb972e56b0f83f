#include "runtime/native_runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "training/job/train_job_spec.h"
#include "training/job/train_pipeline.h"
#include "training/job/training_plan.h"

namespace aiaas::runtime {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using training::Column;
using training::ColumnKind;
using training::DataTable;

// x in [-2, 2], a color that shifts the class, and a string label; or y = 2 x + 1.
DataTable Table(bool regression) {
  std::mt19937 random(9);
  std::uniform_real_distribution<double> uniform(-2.0, 2.0);
  Column x{"x", ColumnKind::kNumeric, {}, {}, {}};
  Column color{"color", ColumnKind::kCategorical, {}, {}, {}};
  Column label{"label", regression ? ColumnKind::kNumeric : ColumnKind::kCategorical, {}, {}, {}};
  for (int i = 0; i < 240; ++i) {
    const double v = uniform(random);
    const bool red = i % 3 == 0;
    x.numbers.push_back(v);
    color.strings.push_back(red ? "red" : "blue");
    if (regression) {
      label.numbers.push_back(2.0 * v + 1.0);
    } else {
      label.strings.push_back(v + (red ? 1.0 : 0.0) > 0.5 ? "high" : "low");
    }
  }
  for (Column* c : {&x, &color, &label}) c->missing.assign(240, 0);
  DataTable table;
  table.columns = {x, color, label};
  table.rows = 240;
  return table;
}

std::string TrainedBundle(bool regression) {
  json j = {{"dataset", "t"}, {"target", "label"},
            {"task", regression ? "regression" : "classification"},
            {"preprocess", {{"scale", "standard"}}},
            {"model", {{"architecture", "mlp"}, {"hidden", {8}}}},
            {"optimizer", {{"name", "adam"}, {"lr", 0.02}}},
            {"epochs", 25}, {"batch_size", 16}, {"seed", 1}, {"output_model", "t"}};
  absl::StatusOr<training::TrainJobSpec> spec = training::ParseTrainJobSpec(j);
  EXPECT_TRUE(spec.ok()) << spec.status();
  DataTable table = Table(regression);
  absl::StatusOr<training::TrainingPlan> plan = training::PlanTraining(*spec, table);
  EXPECT_TRUE(plan.ok()) << plan.status();
  training::TrainingCallbacks callbacks;
  training::TrainingRunResult result =
      training::RunTraining(*plan, table, training::TrainingRunOptions{}, callbacks);
  EXPECT_EQ(result.outcome, training::TrainingRunResult::Outcome::kSucceeded) << result.error;
  return result.bundle;
}

std::string WriteTemp(const std::string& bytes) {
  char name[] = "/tmp/native_runtime_test_XXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(name, std::ios::binary) << bytes;
  return name;
}

Tensor Floats(const std::vector<float>& values, std::vector<int64_t> shape) {
  Tensor t;
  t.dtype = DataType::kFp32;
  t.shape = std::move(shape);
  t.data.resize(values.size() * sizeof(float));
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

Tensor Strings(const std::vector<std::string>& values, std::vector<int64_t> shape) {
  Tensor t;
  t.dtype = DataType::kBytes;
  t.shape = std::move(shape);
  for (const std::string& v : values) {
    uint32_t n = static_cast<uint32_t>(v.size());
    size_t at = t.data.size();
    t.data.resize(at + 4 + n);
    std::memcpy(t.data.data() + at, &n, 4);
    std::memcpy(t.data.data() + at + 4, v.data(), n);
  }
  return t;
}

std::vector<std::string> ReadStrings(const Tensor& t) {
  std::vector<std::string> out;
  size_t offset = 0;
  while (offset < t.data.size()) {
    uint32_t n;
    std::memcpy(&n, t.data.data() + offset, 4);
    out.emplace_back(reinterpret_cast<const char*>(t.data.data()) + offset + 4, n);
    offset += 4 + n;
  }
  return out;
}

TEST(NativeRuntimeTest, ServesAClassifierOnRawRows) {
  const std::string path = WriteTemp(TrainedBundle(/*regression=*/false));
  NativeRuntime runtime(NativeOptions{});
  absl::StatusOr<std::unique_ptr<Servable>> servable = runtime.Load(path, std::nullopt);
  ASSERT_TRUE(servable.ok()) << servable.status();
  const Signature& sig = (*servable)->signature();
  ASSERT_EQ(sig.inputs.size(), 2u);
  EXPECT_EQ(sig.inputs[0].name, "features");
  EXPECT_EQ(*sig.inputs[0].shape, (std::vector<int64_t>{-1, 1}));
  EXPECT_EQ(sig.inputs[1].name, "categorical");
  EXPECT_EQ(*sig.inputs[1].dtype, DataType::kBytes);
  ASSERT_EQ(sig.outputs.size(), 2u);
  EXPECT_EQ(sig.outputs[0].name, "probabilities");
  EXPECT_EQ(*sig.outputs[0].shape, (std::vector<int64_t>{-1, 2}));
  EXPECT_EQ(*sig.outputs[1].dtype, DataType::kBytes);

  TensorMap inputs;
  inputs["features"] = Floats({1.8f, -1.8f, -0.2f}, {3, 1});
  inputs["categorical"] = Strings({"blue", "blue", "red"}, {3, 1});
  absl::StatusOr<NamedTensors> out = (*servable)->Infer(inputs);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].second.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(ReadStrings((*out)[1].second), (std::vector<std::string>{"high", "low", "high"}));

  inputs["features"] = Floats({1.0f, 2.0f}, {1, 2});
  EXPECT_THAT((*servable)->Infer(inputs).status().message(), HasSubstr("features"));
  std::remove(path.c_str());
}

TEST(NativeRuntimeTest, ServesARegressorInTheTargetsUnits) {
  const std::string path = WriteTemp(TrainedBundle(/*regression=*/true));
  NativeRuntime runtime(NativeOptions{});
  absl::StatusOr<std::unique_ptr<Servable>> servable = runtime.Load(path, std::nullopt);
  ASSERT_TRUE(servable.ok()) << servable.status();
  TensorMap inputs;
  inputs["features"] = Floats({1.0f, -1.0f}, {2, 1});
  inputs["categorical"] = Strings({"red", "blue"}, {2, 1});
  absl::StatusOr<NamedTensors> out = (*servable)->Infer(inputs);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ((*out)[0].first, "prediction");
  const float* p = reinterpret_cast<const float*>((*out)[0].second.data.data());
  EXPECT_NEAR(p[0], 3.0f, 0.3f);
  EXPECT_NEAR(p[1], -1.0f, 0.3f);
  std::remove(path.c_str());
}

TEST(NativeRuntimeTest, RejectsFilesThatAreNotBundles) {
  const std::string path = WriteTemp("PK\x03\x04 something else");
  NativeRuntime runtime(NativeOptions{});
  absl::Status status = runtime.Load(path, std::nullopt).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a native model bundle"));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace aiaas::runtime
