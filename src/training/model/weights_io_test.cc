#include "training/model/weights_io.h"

#include <torch/types.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "training/model/model_builder.h"
#include "training/model/model_summary.h"

namespace aiaas::training {
namespace {

using ::testing::HasSubstr;

std::shared_ptr<TrainableModel> Build(const std::string& spec_json, Shape input, uint64_t seed,
                                      Task task = Task::kClassification, int64_t outputs = 3) {
  absl::StatusOr<ModelSpec> spec = ParseModelSpecText(spec_json);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return nullptr;
  BuildOptions options;
  options.input_shape = std::move(input);
  options.task = task;
  options.num_outputs = outputs;
  options.seed = seed;
  auto model = BuildModel(*spec, options);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

constexpr char kCnnWithBatchNorm[] = R"({"layers": [
    {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "activation": "relu"},
    {"type": "batchnorm"}, {"type": "maxpool2d", "pool": 2}, {"type": "flatten"},
    {"type": "dense", "units": 8, "activation": "relu"}]})";

TEST(WeightsIoTest, RoundTripGivesIdenticalOutputs) {
  std::shared_ptr<TrainableModel> trained = Build(kCnnWithBatchNorm, {1, 6, 6}, 1);
  ASSERT_NE(trained, nullptr);
  // Move the batchnorm running statistics away from their initial values.
  trained->train();
  trained->Forward(torch::randn({8, 1, 6, 6}) * 3 + 1);
  trained->eval();

  absl::StatusOr<std::string> bytes = SaveWeights(*trained);
  ASSERT_TRUE(bytes.ok()) << bytes.status();

  std::shared_ptr<TrainableModel> restored = Build(kCnnWithBatchNorm, {1, 6, 6}, 2);
  ASSERT_NE(restored, nullptr);
  restored->eval();
  at::Tensor x = torch::randn({5, 1, 6, 6});
  EXPECT_FALSE(restored->Forward(x).output.equal(trained->Forward(x).output));
  ASSERT_TRUE(LoadWeights(*restored, *bytes).ok());
  EXPECT_TRUE(restored->Forward(x).output.equal(trained->Forward(x).output));

  std::vector<NamedParameter> state = NamedState(*restored);
  bool has_running_mean = false;
  for (const auto& [name, tensor] : state) {
    has_running_mean = has_running_mean || name == "layers.1.bn.running_mean";
  }
  EXPECT_TRUE(has_running_mean);
  EXPECT_GT(state.size(), NamedParameters(*restored).size());
}

TEST(WeightsIoTest, MismatchedOrBrokenBlobsAreErrorsAndLeaveTheModelAlone) {
  std::shared_ptr<TrainableModel> small =
      Build(R"({"architecture": "mlp", "hidden": [8]})", {4}, 1);
  std::shared_ptr<TrainableModel> wider =
      Build(R"({"architecture": "mlp", "hidden": [9]})", {4}, 1);
  std::shared_ptr<TrainableModel> deeper =
      Build(R"({"architecture": "mlp", "hidden": [8, 8]})", {4}, 1);
  ASSERT_TRUE(small && wider && deeper);
  absl::StatusOr<std::string> bytes = SaveWeights(*small);
  ASSERT_TRUE(bytes.ok());

  at::Tensor before = NamedParameters(*wider)[0].second.clone();
  absl::Status status = LoadWeights(*wider, *bytes);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("weights: \"layers.0.linear.weight\" is [8, 4] Float in the archive, "
                        "[9, 4] Float in the model"));
  EXPECT_TRUE(NamedParameters(*wider)[0].second.equal(before));

  status = LoadWeights(*deeper, *bytes);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("the archive holds 4 tensors, the model has 6"));

  for (const std::string& junk :
       {std::string(), std::string("not a zip"), bytes->substr(0, bytes->size() / 2)}) {
    status = LoadWeights(*small, junk);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  }
}

TEST(WeightsIoTest, NamedParametersAreStable) {
  const char* spec = R"({"architecture": "transformer_encoder_classifier", "d_model": 8,
      "heads": 2, "num_layers": 1, "ff_dim": 16})";
  std::shared_ptr<TrainableModel> a = Build(spec, {5, 3}, 1);
  std::shared_ptr<TrainableModel> b = Build(spec, {5, 3}, 9);
  ASSERT_TRUE(a && b);
  std::vector<NamedParameter> pa = NamedParameters(*a);
  std::vector<NamedParameter> pb = NamedParameters(*b);
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_EQ(pa[i].first, pb[i].first);
  EXPECT_EQ(pa.front().first, "input.linear.weight");
  EXPECT_EQ(pa[2].first, "positions.weight");
  EXPECT_EQ(pa.back().first, "head.linear.bias");
}

TEST(ModelSummaryTest, DescribesLayersShapesAndCounts) {
  std::shared_ptr<TrainableModel> model = Build(R"({"architecture": "cnn", "filters": [4],
      "dense": [8]})",
                                                {1, 8, 8}, 1, Task::kClassification, 10);
  ASSERT_NE(model, nullptr);
  nlohmann::json summary = ModelSummary(*model);
  EXPECT_EQ(summary["architecture"], "cnn");
  EXPECT_EQ(summary["task"], "classification");
  EXPECT_EQ(summary["input_shape"], nlohmann::json({1, 8, 8}));
  EXPECT_EQ(summary["output_shape"], nlohmann::json({10}));
  const int64_t conv = 4 * 9 + 4;
  const int64_t dense = 64 * 8 + 8;
  const int64_t head = 8 * 10 + 10;
  EXPECT_EQ(summary["parameters"], conv + dense + head);
  EXPECT_EQ(summary["trainable_parameters"], conv + dense + head);
  ASSERT_EQ(summary["layers"].size(), 5u);  // conv, pool, flatten, dense, head
  EXPECT_EQ(summary["layers"][0]["name"], "model (cnn) layer 0 (conv2d)");
  EXPECT_EQ(summary["layers"][0]["output_shape"], nlohmann::json({4, 8, 8}));
  EXPECT_EQ(summary["layers"][0]["parameters"], conv);
  EXPECT_EQ(summary["layers"][1]["output_shape"], nlohmann::json({4, 4, 4}));
  EXPECT_EQ(summary["layers"][4]["name"], "output head (dense)");
  EXPECT_EQ(summary["layers"][4]["from_task"], true);
}

}  // namespace
}  // namespace aiaas::training
