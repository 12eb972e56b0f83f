// Layer modules against the planner's shapes, the builder's seeding and init schemes.
#include "training/model/layers.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/model/model_builder.h"
#include "training/model/weights_io.h"

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

std::vector<int64_t> Batched(int64_t batch, const Shape& sample) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return shape;
}

// Builds each layer on its own and checks the tensor it produces has exactly the
// planned per-sample shape, for a batch of one and of several.
void ExpectLayerMatchesPlan(const std::string& layer_json, const Shape& input) {
  SCOPED_TRACE(layer_json);
  absl::StatusOr<ModelPlan> plan = PlanModel(SpecOf(R"({"layers": [)" + layer_json + "]}"),
                                             Options(input, Task::kRegression, 1));
  ASSERT_TRUE(plan.ok()) << plan.status();
  std::shared_ptr<Layer> layer = MakeLayer(plan->layers[0]);
  ASSERT_NE(layer, nullptr);
  for (bool training : {true, false}) {
    layer->train(training);
    for (int64_t batch : {1, 5}) {
      if (training && batch == 1 && plan->layers[0].spec.type == LayerType::kBatchNorm) continue;
      at::Tensor x = plan->layers[0].spec.type == LayerType::kEmbedding
                         ? torch::randint(0, plan->layers[0].spec.vocab, Batched(batch, input))
                         : torch::randn(Batched(batch, input));
      at::Tensor y = layer->Forward(x);
      EXPECT_EQ(y.sizes().vec(), Batched(batch, plan->layers[0].output_shape))
          << "batch " << batch << " training " << training;
    }
  }
}

TEST(LayersTest, EveryLayerProducesThePlannedShape) {
  ExpectLayerMatchesPlan(R"({"type": "dense", "units": 32, "activation": "gelu"})", {64});
  ExpectLayerMatchesPlan(R"({"type": "conv1d", "filters": 8, "kernel": 3})", {3, 10});
  ExpectLayerMatchesPlan(R"({"type": "conv1d", "filters": 8, "kernel": 4, "stride": 3,
      "padding": "same"})",
                         {3, 10});
  ExpectLayerMatchesPlan(R"({"type": "conv2d", "filters": 16, "kernel": 3, "padding": "same",
      "activation": "relu"})",
                         {1, 8, 8});
  ExpectLayerMatchesPlan(R"({"type": "conv2d", "filters": 4, "kernel": 3, "padding": 1,
      "stride": 2})",
                         {2, 9, 7});
  ExpectLayerMatchesPlan(R"({"type": "conv2d", "filters": 4, "kernel": 2, "stride": 2,
      "padding": "same"})",
                         {2, 9, 7});
  ExpectLayerMatchesPlan(R"({"type": "maxpool2d", "pool": 2})", {4, 8, 7});
  ExpectLayerMatchesPlan(R"({"type": "avgpool2d", "pool": 3, "stride": 1})", {4, 8, 8});
  ExpectLayerMatchesPlan(R"({"type": "flatten"})", {4, 4, 4});
  ExpectLayerMatchesPlan(R"({"type": "dropout", "rate": 0.5})", {4, 5});
  ExpectLayerMatchesPlan(R"({"type": "batchnorm"})", {6});
  ExpectLayerMatchesPlan(R"({"type": "batchnorm"})", {4, 6});
  ExpectLayerMatchesPlan(R"({"type": "batchnorm"})", {4, 5, 5});
  ExpectLayerMatchesPlan(R"({"type": "layernorm"})", {7, 5});
  ExpectLayerMatchesPlan(R"({"type": "embedding", "vocab": 50, "dim": 8})", {10});
  ExpectLayerMatchesPlan(R"({"type": "lstm", "units": 6})", {10, 4});
  ExpectLayerMatchesPlan(R"({"type": "lstm", "units": 6, "return_sequences": true,
      "bidirectional": true, "layers": 2})",
                         {10, 4});
  ExpectLayerMatchesPlan(R"({"type": "gru", "units": 6, "bidirectional": true, "layers": 2})",
                         {10, 4});
  ExpectLayerMatchesPlan(R"({"type": "rnn", "units": 5, "return_sequences": true})", {3, 4});
  ExpectLayerMatchesPlan(R"({"type": "activation", "activation": "softmax"})", {3, 4});
  ExpectLayerMatchesPlan(R"({"type": "reshape", "shape": [4, -1]})", {64});
}

// "same" and explicit padding compute what zero-padding the input by hand and running an
// unpadded convolution with the layer's own weights computes, whether the layer pads
// inside the convolution (symmetric) or before it (one more zero after than before).
TEST(LayersTest, ConvPaddingEqualsPaddingTheInputByHand) {
  struct Case {
    std::string json;
    Shape input;
    std::vector<int64_t> pad;  // constant_pad_nd order: last axis first, before then after
    int64_t stride;
  };
  const std::vector<Case> cases = {
      {R"({"type": "conv2d", "filters": 5, "kernel": 3, "padding": "same"})",
       {2, 8, 7},
       {1, 1, 1, 1},
       1},
      {R"({"type": "conv2d", "filters": 4, "kernel": 3, "padding": 1, "stride": 2})",
       {2, 9, 7},
       {1, 1, 1, 1},
       2},
      {R"({"type": "conv2d", "filters": 4, "kernel": 2, "padding": "same"})",
       {2, 6, 6},
       {0, 1, 0, 1},
       1},
      {R"({"type": "conv1d", "filters": 3, "kernel": 5, "padding": "same"})", {2, 11}, {2, 2}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    absl::StatusOr<ModelPlan> plan = PlanModel(SpecOf(R"({"layers": [)" + c.json + "]}"),
                                               Options(c.input, Task::kRegression, 1));
    ASSERT_TRUE(plan.ok()) << plan.status();
    std::shared_ptr<Layer> layer = MakeLayer(plan->layers[0]);
    at::Tensor weight = layer->named_parameters()["conv.weight"];
    at::Tensor bias = layer->named_parameters()["conv.bias"];
    at::Tensor x = torch::randn(Batched(3, c.input));
    at::Tensor padded = at::constant_pad_nd(x, c.pad, 0);
    at::Tensor expected = c.input.size() == 3 ? at::conv2d(padded, weight, bias, c.stride)
                                              : at::conv1d(padded, weight, bias, c.stride);
    at::Tensor y = layer->Forward(x);
    ASSERT_EQ(y.sizes(), expected.sizes());
    EXPECT_TRUE(at::allclose(y, expected, 1e-5, 1e-5));
  }
}

TEST(LayersTest, ActivationsAndDropoutModes) {
  at::Tensor x = torch::tensor({-1.0f, 0.0f, 2.0f}).reshape({1, 3});
  EXPECT_TRUE(ApplyActivation(Activation::kRelu, x)
                  .equal(torch::tensor({0.0f, 0.0f, 2.0f}).reshape({1, 3})));
  EXPECT_NEAR(ApplyActivation(Activation::kSoftmax, x).sum().item<float>(), 1.0f, 1e-6);
  EXPECT_TRUE(ApplyActivation(Activation::kNone, x).equal(x));

  absl::StatusOr<ModelPlan> plan =
      PlanModel(SpecOf(R"({"layers": [{"type": "dropout", "rate": 0.5}]})"), Options({1000}));
  ASSERT_TRUE(plan.ok());
  std::shared_ptr<Layer> dropout = MakeLayer(plan->layers[0]);
  at::Tensor ones = torch::ones({2, 1000});
  dropout->eval();
  EXPECT_TRUE(dropout->Forward(ones).equal(ones));
  dropout->train();
  EXPECT_GT((dropout->Forward(ones) == 0).sum().item<int64_t>(), 500);
}

TEST(ModelBuilderTest, SameSeedSameWeightsDifferentSeedDifferent) {
  ModelSpec spec = SpecOf(R"({"layers": [{"type": "conv2d", "filters": 4, "kernel": 3},
      {"type": "batchnorm"}, {"type": "flatten"}, {"type": "dense", "units": 8,
      "activation": "relu"}, {"type": "layernorm"}]})");
  BuildOptions options = Options({1, 6, 6});
  options.seed = 7;
  auto a = BuildModel(spec, options);
  torch::manual_seed(12345);  // the global generator must not matter
  auto b = BuildModel(spec, options);
  options.seed = 8;
  auto c = BuildModel(spec, options);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  std::vector<NamedParameter> pa = NamedParameters(**a);
  std::vector<NamedParameter> pb = NamedParameters(**b);
  std::vector<NamedParameter> pc = NamedParameters(**c);
  ASSERT_EQ(pa.size(), pb.size());
  bool any_different = false;
  for (size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].first, pb[i].first);
    EXPECT_TRUE(pa[i].second.equal(pb[i].second)) << pa[i].first;
    if (pa[i].second.dim() >= 2 && !pa[i].second.equal(pc[i].second)) any_different = true;
  }
  EXPECT_TRUE(any_different);
  EXPECT_EQ(pa.front().first, "layers.0.conv.weight");
}

TEST(ModelBuilderTest, InitSchemes) {
  ModelSpec spec = SpecOf(R"({"layers": [{"type": "dense", "units": 200,
      "activation": "relu"}, {"type": "layernorm"}, {"type": "dense", "units": 300}]})");
  BuildOptions options = Options({100});
  auto defaults = BuildModel(spec, options);
  ASSERT_TRUE(defaults.ok());
  for (const auto& [name, tensor] : NamedParameters(**defaults)) {
    if (name.find("bias") != std::string::npos) {
      EXPECT_EQ(tensor.abs().sum().item<float>(), 0.0f) << name;
    }
  }
  std::vector<NamedParameter> params = NamedParameters(**defaults);
  // Kaiming normal for the relu layer: std sqrt(2 / 100).
  EXPECT_NEAR(params[0].second.std().item<float>(), std::sqrt(2.0 / 100), 0.01);
  EXPECT_EQ(params[2].first, "layers.1.norm.weight");
  EXPECT_TRUE(params[2].second.equal(torch::ones({200})));
  // Xavier uniform for the linear head: bound sqrt(6 / (200 + 300)).
  EXPECT_LE(params[4].second.abs().max().item<float>(), std::sqrt(6.0 / 500) + 1e-6);

  options.init = InitScheme::kZeros;
  auto zeros = BuildModel(spec, options);
  ASSERT_TRUE(zeros.ok());
  EXPECT_EQ(NamedParameters(**zeros)[0].second.abs().sum().item<float>(), 0.0f);
  options.init = InitScheme::kUniform;
  auto uniform = BuildModel(spec, options);
  ASSERT_TRUE(uniform.ok());
  EXPECT_LE(NamedParameters(**uniform)[0].second.abs().max().item<float>(), 0.05f);
}

TEST(ModelBuilderTest, ForwardRejectsAWrongInputShape) {
  auto model = BuildModel(SpecOf(R"({"architecture": "mlp"})"), Options({4}));
  ASSERT_TRUE(model.ok());
  try {
    (*model)->Forward(torch::zeros({2, 5}));
    FAIL() << "expected a throw";
  } catch (const c10::Error& e) {
    EXPECT_THAT(e.what_without_backtrace(), HasSubstr("model input must be [N, 4], got [2, 5]"));
  }
  // Doubles are accepted and computed in float32.
  EXPECT_EQ((*model)->Forward(torch::zeros({2, 4}, torch::kDouble)).output.scalar_type(),
            torch::kFloat);
}

TEST(ModelBuilderTest, ATokenIdOutsideTheVocabularyThrowsInsteadOfCrashing) {
  auto model = BuildModel(SpecOf(R"({"layers": [{"type": "embedding", "vocab": 10, "dim": 4},
      {"type": "flatten"}]})"),
                          Options({3}));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->Forward(torch::tensor({{0.0f, 4.0f, 9.0f}})).output.sizes().vec(),
            (std::vector<int64_t>{1, 3}));
  EXPECT_THROW((*model)->Forward(torch::tensor({{0.0f, 10.0f, 1.0f}})), c10::Error);
  EXPECT_THROW((*model)->Forward(torch::tensor({{-1.0f, 1.0f, 1.0f}})), c10::Error);
}

TEST(ModelBuilderTest, BuildReportsPlanErrors) {
  auto model = BuildModel(SpecOf(R"({"layers": [{"type": "lstm", "units": 4}]})"), Options({8}));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), HasSubstr("model.layers[0] (lstm): input [8]"));
}

}  // namespace
}  // namespace aiaas::training
