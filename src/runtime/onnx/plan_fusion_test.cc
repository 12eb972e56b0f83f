#include "runtime/onnx/plan_fusion.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "onnx/onnx_pb.h"
#include "runtime/onnx/test_models.h"

namespace aiaas::runtime::onnxrt {
namespace {

using testing::Compile;
using testing::kDynamic;
using testing::ModelBuilder;

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;

// What torch.onnx.export writes for nn.GELU() (opset 13-17).
ModelBuilder GeluModel(bool intermediate_is_output) {
  ModelBuilder builder(13);
  builder.Input("x", kFloat, {kDynamic, 8}).Output("y", kFloat, {kDynamic, 8});
  builder.Initializer("sqrt2", at::scalar_tensor(std::sqrt(2.0), at::kFloat))
      .Initializer("one", at::scalar_tensor(1.0, at::kFloat))
      .Initializer("half", at::scalar_tensor(0.5, at::kFloat));
  builder.Node("Div", {"x", "sqrt2"}, {"d"});
  builder.Node("Erf", {"d"}, {"e"});
  builder.Node("Add", {"e", "one"}, {"a"});
  builder.Node("Mul", {"x", "a"}, {"m"});
  builder.Node("Mul", {"m", "half"}, {"y"});
  if (intermediate_is_output) builder.Output("e", kFloat, {kDynamic, 8});
  return builder;
}

TEST(PlanFusionTest, ExportedGeluBecomesOneNodeWithTheSameResult) {
  auto fused = Compile(GeluModel(false).Bytes());
  PlanOptions unfused_options;
  unfused_options.fuse_chains = false;
  auto unfused = Compile(GeluModel(false).Bytes(), testing::AllOps(), unfused_options);
  ASSERT_TRUE(fused.ok()) << fused.status();
  ASSERT_TRUE(unfused.ok()) << unfused.status();
  EXPECT_EQ((*fused)->node_count(), 1);
  EXPECT_EQ((*fused)->plan().nodes[0].fused_as, "Gelu");
  EXPECT_EQ((*unfused)->node_count(), 5);
  const at::Tensor x = at::randn({4, 8}) * 3;
  auto a = (*fused)->Run({x});
  auto b = (*unfused)->Run({x});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(at::allclose((*a)[0], (*b)[0], 1e-6, 1e-6));
}

TEST(PlanFusionTest, ChainsWhoseIntermediatesAreReadElsewhereStayApart) {
  auto interpreter = Compile(GeluModel(true).Bytes());
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  EXPECT_EQ((*interpreter)->node_count(), 5);
}

ModelBuilder LinearModel(std::vector<int64_t> input_dims, std::vector<int64_t> output_dims) {
  ModelBuilder builder(13);
  builder.Input("x", kFloat, input_dims).Output("y", kFloat, output_dims);
  builder.Initializer("w", at::randn({4, 5})).Initializer("b", at::randn({5}));
  builder.Node("MatMul", {"x", "w"}, {"xw"});
  builder.Node("Add", {"b", "xw"}, {"y"});
  return builder;
}

TEST(PlanFusionTest, MatMulWithBiasUsesAddmmAndFallsBackForVectors) {
  ModelBuilder batched = LinearModel({kDynamic, 3, 4}, {kDynamic, 3, 5});
  auto interpreter = Compile(batched.Bytes());
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  EXPECT_EQ((*interpreter)->node_count(), 1);
  const at::Tensor x = at::randn({2, 3, 4});
  auto y = (*interpreter)->Run({x});
  ASSERT_TRUE(y.ok()) << y.status();
  PlanOptions unfused_options;
  unfused_options.fuse_chains = false;
  auto reference = Compile(batched.Bytes(), testing::AllOps(), unfused_options);
  ASSERT_TRUE(reference.ok());
  auto expected = (*reference)->Run({x});
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ((*y)[0].sizes(), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_TRUE(at::allclose((*y)[0], (*expected)[0], 1e-5, 1e-5));

  // A vector input is outside the fused call: the original kernels run.
  ModelBuilder vector = LinearModel({4}, {5});
  auto vector_interpreter = Compile(vector.Bytes());
  auto vector_reference = Compile(vector.Bytes(), testing::AllOps(), unfused_options);
  ASSERT_TRUE(vector_interpreter.ok() && vector_reference.ok());
  EXPECT_EQ((*vector_interpreter)->node_count(), 1);
  const at::Tensor v = at::randn({4});
  auto got = (*vector_interpreter)->Run({v});
  auto want = (*vector_reference)->Run({v});
  ASSERT_TRUE(got.ok() && want.ok()) << got.status();
  EXPECT_TRUE(at::allclose((*got)[0], (*want)[0], 1e-6, 1e-6));
}

TEST(PlanFusionTest, ConvReluRunsReluInPlaceOnTheConvolutionOutput) {
  ModelBuilder builder(13);
  builder.Input("x", kFloat, {kDynamic, 1, 5, 5}).Output("y", kFloat, {kDynamic, 2, 3, 3});
  const at::Tensor w = at::randn({2, 1, 3, 3});
  builder.Initializer("w", w);
  auto& conv = builder.Node("Conv", {"x", "w"}, {"c"});
  testing::SetInts(conv, "kernel_shape", {3, 3});
  builder.Node("Relu", {"c"}, {"y"});
  auto interpreter = Compile(builder.Bytes());
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  EXPECT_EQ((*interpreter)->node_count(), 1);
  EXPECT_EQ((*interpreter)->plan().nodes[0].fused_as, "Conv+Relu");
  const at::Tensor x = at::randn({2, 1, 5, 5});
  const at::Tensor x_copy = x.clone();
  auto y = (*interpreter)->Run({x});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_TRUE(at::allclose((*y)[0], at::relu(at::conv2d(x, w)), 1e-5, 1e-5));
  EXPECT_TRUE(at::equal(x, x_copy));  // the input is untouched
}

TEST(PlanFusionTest, ConvReluMaxPoolMatchesTheSeparateKernels) {
  ModelBuilder builder(13);
  builder.Input("x", kFloat, {kDynamic, 3, 9, 9}).Output("y", kFloat, {kDynamic, 4, 4, 4});
  builder.Initializer("w", at::randn({4, 3, 3, 3})).Initializer("b", at::randn({4}));
  auto& conv = builder.Node("Conv", {"x", "w", "b"}, {"c"});
  testing::SetInts(conv, "pads", {1, 1, 1, 1});
  builder.Node("Relu", {"c"}, {"r"});
  auto& pool = builder.Node("MaxPool", {"r"}, {"y"});
  testing::SetInts(pool, "kernel_shape", {3, 3});
  testing::SetInts(pool, "strides", {2, 2});
  auto fused = Compile(builder.Bytes());
  PlanOptions unfused_options;
  unfused_options.fuse_chains = false;
  auto unfused = Compile(builder.Bytes(), testing::AllOps(), unfused_options);
  ASSERT_TRUE(fused.ok()) << fused.status();
  ASSERT_TRUE(unfused.ok()) << unfused.status();
  EXPECT_EQ((*fused)->node_count(), 1);
  EXPECT_EQ((*fused)->plan().nodes[0].fused_as, "Conv+Relu+MaxPool");
  for (int64_t batch : {1, 5}) {
    const at::Tensor x = at::randn({batch, 3, 9, 9});
    auto a = (*fused)->Run({x});
    auto b = (*unfused)->Run({x});
    ASSERT_TRUE(a.ok() && b.ok()) << a.status();
    EXPECT_EQ((*a)[0].sizes(), (*b)[0].sizes());
    EXPECT_TRUE(at::allclose((*a)[0], (*b)[0], 1e-5, 1e-5));
  }
}

TEST(PlanFusionTest, ConsecutiveConvStagesBecomeOneChain) {
  ModelBuilder builder(13);
  builder.Input("x", kFloat, {kDynamic, 1, 12, 12}).Output("y", kFloat, {kDynamic, 6, 3, 3});
  builder.Initializer("w1", at::randn({4, 1, 3, 3})).Initializer("b1", at::randn({4}));
  builder.Initializer("w2", at::randn({6, 4, 3, 3})).Initializer("b2", at::randn({6}));
  auto& conv1 = builder.Node("Conv", {"x", "w1", "b1"}, {"c1"});
  testing::SetInts(conv1, "pads", {1, 1, 1, 1});
  builder.Node("Relu", {"c1"}, {"r1"});
  auto& pool1 = builder.Node("MaxPool", {"r1"}, {"p1"});
  testing::SetInts(pool1, "kernel_shape", {2, 2});
  testing::SetInts(pool1, "strides", {2, 2});
  auto& conv2 = builder.Node("Conv", {"p1", "w2", "b2"}, {"c2"});
  testing::SetInts(conv2, "pads", {1, 1, 1, 1});
  builder.Node("Relu", {"c2"}, {"r2"});
  auto& pool2 = builder.Node("MaxPool", {"r2"}, {"y"});
  testing::SetInts(pool2, "kernel_shape", {2, 2});
  testing::SetInts(pool2, "strides", {2, 2});
  auto fused = Compile(builder.Bytes());
  PlanOptions unfused_options;
  unfused_options.fuse_chains = false;
  auto unfused = Compile(builder.Bytes(), testing::AllOps(), unfused_options);
  ASSERT_TRUE(fused.ok()) << fused.status();
  ASSERT_TRUE(unfused.ok()) << unfused.status();
  EXPECT_EQ((*fused)->node_count(), 1);
  EXPECT_EQ((*fused)->plan().nodes[0].fused_as, "Conv+Relu+MaxPool+Conv+Relu+MaxPool");
  for (int64_t batch : {1, 6}) {
    const at::Tensor x = at::randn({batch, 1, 12, 12});
    auto a = (*fused)->Run({x});
    auto b = (*unfused)->Run({x});
    ASSERT_TRUE(a.ok() && b.ok()) << a.status();
    EXPECT_TRUE(at::allclose((*a)[0], (*b)[0], 1e-5, 1e-5));
  }
}

TEST(PlanFusionTest, RememberedShapeArithmeticFollowsTheInputShape) {
  // y = reshape(x, [batch, -1]) with batch computed from Shape(x): the integer nodes are
  // remembered per input shape and must follow a changing batch size.
  ModelBuilder builder(13);
  builder.Input("x", kFloat, {kDynamic, 2, 3}).Output("y", kFloat, {kDynamic, 6});
  builder.Initializer("zero", at::scalar_tensor(0, at::kLong))
      .Initializer("axes", at::tensor(std::vector<int64_t>{0}, at::kLong))
      .Initializer("rest", at::tensor(std::vector<int64_t>{-1}, at::kLong));
  builder.Node("Shape", {"x"}, {"shape"});
  builder.Node("Gather", {"shape", "zero"}, {"batch"});
  builder.Node("Unsqueeze", {"batch", "axes"}, {"batch1"});
  auto& concat = builder.Node("Concat", {"batch1", "rest"}, {"target"});
  testing::SetInt(concat, "axis", 0);
  builder.Node("Reshape", {"x", "target"}, {"y"});
  auto interpreter = Compile(builder.Bytes());
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  for (int64_t batch : {2, 3, 3, 1, 2}) {
    const at::Tensor x = at::randn({batch, 2, 3});
    auto y = (*interpreter)->Run({x});
    ASSERT_TRUE(y.ok()) << y.status();
    EXPECT_EQ((*y)[0].sizes(), (std::vector<int64_t>{batch, 6}));
    EXPECT_TRUE(at::equal((*y)[0], x.reshape({batch, 6})));
  }
}

}  // namespace
}  // namespace aiaas::runtime::onnxrt
