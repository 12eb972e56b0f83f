#include "training/model/model_plan.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::training {
namespace {

using ::testing::HasSubstr;

ModelSpec SpecOf(const std::string& text) {
  absl::StatusOr<ModelSpec> spec = ParseModelSpecText(text);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return spec.ok() ? *spec : ModelSpec{};
}

BuildOptions Options(Shape input, Task task = Task::kClassification, int64_t outputs = 3) {
  BuildOptions options;
  options.input_shape = std::move(input);
  options.task = task;
  options.num_outputs = outputs;
  return options;
}

// The output shape of the single layer in `layer_json` applied to `input`.
Shape OneLayer(const std::string& layer_json, Shape input) {
  absl::StatusOr<ModelPlan> plan =
      PlanModel(SpecOf(R"({"layers": [)" + layer_json + "]}"), Options(std::move(input)));
  EXPECT_TRUE(plan.ok()) << plan.status();
  if (!plan.ok() || plan->layers.empty()) return {};
  return plan->layers[0].output_shape;
}

std::string PlanError(const std::string& spec_json, Shape input,
                      Task task = Task::kClassification) {
  absl::StatusOr<ModelPlan> plan = PlanModel(SpecOf(spec_json), Options(std::move(input), task));
  EXPECT_FALSE(plan.ok());
  if (plan.ok()) return "";
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(plan.status().message());
}

TEST(ModelPlanTest, EveryLayerTypesOutputShape) {
  EXPECT_EQ(OneLayer(R"({"type": "dense", "units": 32})", {64}), (Shape{32}));
  EXPECT_EQ(OneLayer(R"({"type": "conv1d", "filters": 8, "kernel": 3})", {3, 10}), (Shape{8, 8}));
  EXPECT_EQ(OneLayer(R"({"type": "conv1d", "filters": 8, "kernel": 3, "stride": 2,
      "padding": "same"})",
                     {3, 10}),
            (Shape{8, 5}));
  EXPECT_EQ(
      OneLayer(R"({"type": "conv2d", "filters": 16, "kernel": 3, "padding": "same"})", {1, 8, 8}),
      (Shape{16, 8, 8}));
  EXPECT_EQ(OneLayer(R"({"type": "conv2d", "filters": 4, "kernel": 3, "padding": 1,
      "stride": 2})",
                     {2, 9, 7}),
            (Shape{4, 5, 4}));
  EXPECT_EQ(OneLayer(R"({"type": "conv2d", "filters": 4, "kernel": 3, "stride": 2,
      "padding": "same"})",
                     {2, 9, 7}),
            (Shape{4, 5, 4}));
  EXPECT_EQ(OneLayer(R"({"type": "maxpool2d", "pool": 2})", {4, 8, 7}), (Shape{4, 4, 3}));
  EXPECT_EQ(OneLayer(R"({"type": "avgpool2d", "pool": 3, "stride": 1})", {4, 8, 8}),
            (Shape{4, 6, 6}));
  EXPECT_EQ(OneLayer(R"({"type": "flatten"})", {4, 4, 4}), (Shape{64}));
  EXPECT_EQ(OneLayer(R"({"type": "dropout", "rate": 0.5})", {4, 5}), (Shape{4, 5}));
  EXPECT_EQ(OneLayer(R"({"type": "batchnorm"})", {4, 5, 5}), (Shape{4, 5, 5}));
  EXPECT_EQ(OneLayer(R"({"type": "layernorm"})", {7, 5}), (Shape{7, 5}));
  EXPECT_EQ(OneLayer(R"({"type": "embedding", "vocab": 50, "dim": 8})", {10}), (Shape{10, 8}));
  EXPECT_EQ(OneLayer(R"({"type": "lstm", "units": 6})", {10, 4}), (Shape{6}));
  EXPECT_EQ(OneLayer(R"({"type": "lstm", "units": 6, "return_sequences": true})", {10, 4}),
            (Shape{10, 6}));
  EXPECT_EQ(OneLayer(R"({"type": "gru", "units": 6, "bidirectional": true, "layers": 2})", {10, 4}),
            (Shape{12}));
  EXPECT_EQ(OneLayer(R"({"type": "rnn", "units": 5, "return_sequences": true,
      "bidirectional": true})",
                     {3, 4}),
            (Shape{3, 10}));
  EXPECT_EQ(OneLayer(R"({"type": "activation", "activation": "tanh"})", {3}), (Shape{3}));
  EXPECT_EQ(OneLayer(R"({"type": "reshape", "shape": [4, -1]})", {64}), (Shape{4, 16}));
  EXPECT_EQ(OneLayer(R"({"type": "reshape", "shape": [1, 8, 8]})", {64}), (Shape{1, 8, 8}));
}

TEST(ModelPlanTest, ShapeErrorsNameLayerInputAndWhy) {
  EXPECT_EQ(PlanError(R"({"layers": [{"type": "conv2d", "filters": 16, "kernel": 3},
      {"type": "conv2d", "filters": 16, "kernel": 3}]})",
                      {1, 4, 4}),
            "model.layers[1] (conv2d): input [16, 2, 2] is smaller than kernel 3 with padding "
            "valid");
  EXPECT_THAT(PlanError(R"({"layers": [{"type": "conv2d", "filters": 4, "kernel": 3},
      {"type": "dense", "units": 10}]})",
                        {1, 8, 8}),
              HasSubstr("model.layers[1] (dense): input [4, 6, 6] has more than one axis; dense "
                        "takes [features]: add {\"type\": \"flatten\"}"));
  EXPECT_EQ(PlanError(R"({"layers": [{"type": "reshape", "shape": [5, 5]}]})", {64}),
            "model.layers[0] (reshape): input [64] (64 values) cannot be reshaped to [5, 5] "
            "(25 values)");
  EXPECT_THAT(PlanError(R"({"layers": [{"type": "reshape", "shape": [5, -1]}]})", {64}),
              HasSubstr("model.layers[0] (reshape): input [64] (64 values) cannot be reshaped"));
  EXPECT_THAT(PlanError(R"({"layers": [{"type": "lstm", "units": 8}]})", {64}),
              HasSubstr("model.layers[0] (lstm): input [64] must be a [time, features] sequence"));
  EXPECT_THAT(PlanError(R"({"layers": [{"type": "conv2d", "filters": 2, "kernel": 2}]})", {64}),
              HasSubstr("model.layers[0] (conv2d): input [64] must be [channels, height, width]"));
  EXPECT_THAT(PlanError(R"({"layers": [{"type": "maxpool2d", "pool": 4}]})", {1, 3, 8}),
              HasSubstr("model.layers[0] (maxpool2d): input [1, 3, 8] is smaller than pool 4"));
  EXPECT_THAT(PlanError(R"({"layers": [{"type": "embedding", "vocab": 5, "dim": 2}]})", {3, 4}),
              HasSubstr("model.layers[0] (embedding): input [3, 4] must be [T] token ids"));
  EXPECT_THAT(PlanError(R"({"architecture": "cnn", "filters": [8, 8, 8]})", {1, 4, 4}),
              HasSubstr("model (cnn) layer 5 (maxpool2d): input [8, 1, 1] is smaller than pool 2"));
  EXPECT_THAT(PlanError(R"({"architecture": "cnn"})", {64}),
              HasSubstr("model (cnn): input [64] must be [channels, height, width]"));
  EXPECT_THAT(PlanError(R"({"architecture": "transformer_encoder_classifier"})", {64}),
              HasSubstr("must be [time, features]"));
}

TEST(ModelPlanTest, OutputHeadFollowsTheTask) {
  absl::StatusOr<ModelPlan> plan =
      PlanModel(SpecOf(R"({"layers": [{"type": "conv2d", "filters": 2, "kernel": 3}]})"),
                Options({1, 5, 5}, Task::kClassification, 4));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->layers.size(), 3u);  // conv, flatten (auto, for the head), dense 4
  EXPECT_EQ(plan->layers[1].spec.type, LayerType::kFlatten);
  EXPECT_TRUE(plan->layers[1].from_task);
  EXPECT_EQ(plan->layers[2].where, "output head (dense)");
  EXPECT_EQ(plan->layers[2].spec.units, 4);
  EXPECT_EQ(plan->layers[2].spec.activation, Activation::kNone);
  EXPECT_EQ(plan->output_shape, (Shape{4}));

  // Already ends in a dense layer of the right width: no head appended.
  plan = PlanModel(SpecOf(R"({"layers": [{"type": "dense", "units": 8, "activation": "relu"},
      {"type": "dense", "units": 4}]})"),
                   Options({6}, Task::kClassification, 4));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->layers.size(), 2u);

  plan = PlanModel(SpecOf(R"({"layers": [{"type": "dense", "units": 8}]})"),
                   Options({6}, Task::kRegression, 1));
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->layers.size(), 2u);
  EXPECT_EQ(plan->output_shape, (Shape{1}));

  plan = PlanModel(SpecOf(R"({"layers": [{"type": "dense", "units": 8}]})"),
                   Options({2, 3}, Task::kReconstruction, 0));
  EXPECT_FALSE(plan.ok());  // dense on [2, 3]
  plan = PlanModel(SpecOf(R"({"layers": [{"type": "flatten"}, {"type": "dense", "units": 4}]})"),
                   Options({2, 3}, Task::kReconstruction, 0));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->output_shape, (Shape{2, 3}));
  EXPECT_EQ(plan->layers.back().spec.type, LayerType::kReshape);

  EXPECT_THAT(
      PlanError(R"({"layers": [{"type": "dense", "units": 3, "activation": "softmax"}]})", {5}),
      HasSubstr("model.layers[0] (dense): a classifier must end in logits"));
}

TEST(ModelPlanTest, ArchitecturesCheckTheTaskAndCountParameters) {
  EXPECT_THAT(PlanError(R"({"architecture": "linear_regression"})", {4}),
              HasSubstr("model (linear_regression): needs task regression"));
  EXPECT_THAT(PlanError(R"({"architecture": "vae"})", {4}, Task::kRegression),
              HasSubstr("model (vae): needs task reconstruction"));
  EXPECT_THAT(PlanError(R"({"architecture": "cnn"})", {1, 8, 8}, Task::kReconstruction),
              HasSubstr("needs task classification or regression"));

  absl::StatusOr<ModelPlan> plan =
      PlanModel(SpecOf(R"({"architecture": "mlp", "hidden": [32], "dropout": 0.1})"),
                Options({1, 8, 8}, Task::kClassification, 10));
  ASSERT_TRUE(plan.ok()) << plan.status();
  // flatten, dense 32, dropout, head dense 10.
  ASSERT_EQ(plan->layers.size(), 4u);
  EXPECT_EQ(plan->layers[1].parameters, 64 * 32 + 32);
  EXPECT_EQ(plan->parameters, 64 * 32 + 32 + 32 * 10 + 10);

  BuildOptions huge = Options({1000000}, Task::kClassification, 10);
  absl::StatusOr<ModelPlan> too_big =
      PlanModel(SpecOf(R"({"architecture": "mlp", "hidden": [4096, 4096]})"), huge);
  ASSERT_FALSE(too_big.ok());
  EXPECT_THAT(too_big.status().message(), HasSubstr("parameters exceed the limit"));
}

TEST(ModelPlanTest, RejectsUnusableOptions) {
  ModelSpec spec = SpecOf(R"({"architecture": "mlp"})");
  EXPECT_FALSE(PlanModel(spec, Options({})).ok());
  EXPECT_FALSE(PlanModel(spec, Options({0, 3})).ok());
  EXPECT_FALSE(PlanModel(spec, Options({4}, Task::kClassification, 0)).ok());
  BuildOptions init = Options({4});
  init.init = InitScheme::kZeros;
  absl::StatusOr<ModelPlan> plan = PlanModel(SpecOf(R"({"architecture": "mlp",
      "init": "normal"})"),
                                             init);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->init, InitScheme::kZeros);  // BuildOptions wins over the spec
}

}  // namespace
}  // namespace aiaas::training
