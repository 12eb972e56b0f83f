// Behaviour of the recurrent, control-flow and random kernels that the ONNX node test
// data does not cover: reverse direction with sequence_lens, Loop without a condition,
// random shapes and seeds, and rejected attributes.

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "onnx/onnx_pb.h"
#include "runtime/onnx/test_models.h"

namespace aiaas::runtime::onnxrt {
namespace {

using ::testing::HasSubstr;
using testing::AddValue;
using testing::ModelBuilder;
using testing::SetFloat;
using testing::SetGraph;
using testing::SetInt;
using testing::SetInts;
using testing::SetString;

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;
constexpr int32_t kInt32 = onnx::TensorProto::INT32;
constexpr int32_t kInt64 = onnx::TensorProto::INT64;
constexpr int32_t kBool = onnx::TensorProto::BOOL;

// A reverse LSTM over [seq=3, batch=2, input=1] with lengths {3, 1}.
ModelBuilder ReverseLstm(const std::string& direction) {
  ModelBuilder builder(14);
  builder.Input("x", kFloat, {3, 2, 1});
  builder.Initializer("w", at::full({1, 8, 1}, 0.5f));
  builder.Initializer("r", at::full({1, 8, 2}, 0.25f));
  builder.Initializer("lens", at::tensor({3, 1}, at::kInt));
  auto& node = builder.Node("LSTM", {"x", "w", "r", "", "lens"}, {"y", "y_h"}, "lstm");
  SetInt(node, "hidden_size", 2);
  SetString(node, "direction", direction);
  builder.Output("y", kFloat, {3, 1, 2, 2});
  builder.Output("y_h", kFloat, {1, 2, 2});
  return builder;
}

TEST(RecurrentOpsTest, ReverseLstmStartsAtEachEntrysLastValidStep) {
  at::Tensor x = at::arange(1, 7, at::kFloat).reshape({3, 2, 1});
  auto outputs = testing::CompileAndRun(ReverseLstm("reverse"), {x});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  const at::Tensor& y = (*outputs)[0];
  const at::Tensor& y_h = (*outputs)[1];
  // Padded steps of entry 1 are zero; the final state of a reverse pass is step 0's.
  EXPECT_TRUE(at::equal(y.select(2, 1).slice(0, 1), at::zeros({2, 1, 2})));
  EXPECT_TRUE(at::allclose(y_h, y[0]));
  // Entry 1 (length 1) saw only x[0][1]: the same as a one-step forward run on it.
  auto single = testing::CompileAndRun(ReverseLstm("forward"), {x});
  ASSERT_TRUE(single.ok()) << single.status();
  EXPECT_TRUE(at::allclose(y[0].select(1, 1), (*single)[0][0].select(1, 1)));
}

TEST(RecurrentOpsTest, HiddenSizeThatDoesNotMatchRIsInvalidBeforeAnyArithmetic) {
  // fuzz/regressions/onnx_loader/lstm_hidden_size_int64_min: gates * hidden_size overflowed.
  for (int64_t hidden : {std::numeric_limits<int64_t>::min(), int64_t{0}, int64_t{-2},
                         std::numeric_limits<int64_t>::max()}) {
    ModelBuilder builder(14);
    builder.Input("x", kFloat, {3, 2, 1});
    builder.Initializer("w", at::full({1, 8, 1}, 0.5f));
    builder.Initializer("r", at::full({1, 8, 2}, 0.25f));
    SetInt(builder.Node("LSTM", {"x", "w", "r"}, {"y"}, "lstm"), "hidden_size", hidden);
    builder.Output("y", kFloat,
                   {testing::kDynamic, testing::kDynamic, testing::kDynamic, testing::kDynamic});
    auto outputs = testing::CompileAndRun(builder, {at::zeros({3, 2, 1})});
    EXPECT_EQ(outputs.status().code(), absl::StatusCode::kInvalidArgument)
        << hidden << ": " << outputs.status();
  }
}

TEST(RecurrentOpsTest, UnknownDirectionIsInvalidArgument) {
  auto outputs = testing::CompileAndRun(ReverseLstm("sideways"), {at::zeros({3, 2, 1})});
  ASSERT_FALSE(outputs.ok());
  EXPECT_EQ(outputs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outputs.status().message(), HasSubstr("direction"));
}

// Loop with M and no condition: runs M times, doubling x and scanning its value.
TEST(ControlOpsTest, LoopWithoutConditionRunsMTimes) {
  ModelBuilder builder(13);
  builder.Input("x", kFloat, {2});
  builder.Initializer("m", at::scalar_tensor(3, at::kLong));
  auto& node = builder.Node("Loop", {"m", "", "x"}, {"x_final", "trace"}, "loop");
  onnx::GraphProto& body = SetGraph(node, "body");
  body.set_name("body");
  AddValue(body, true, "i", kInt64, {});
  AddValue(body, true, "cond", kBool, {});
  AddValue(body, true, "x_in", kFloat, {2});
  auto* keep = body.add_node();
  keep->set_op_type("Identity");
  keep->add_input("cond");
  keep->add_output("cond_out");
  auto* twice = body.add_node();
  twice->set_op_type("Add");
  twice->add_input("x_in");
  twice->add_input("x_in");
  twice->add_output("x_out");
  auto* trace = body.add_node();
  trace->set_op_type("Identity");
  trace->add_input("x_in");
  trace->add_output("seen");
  AddValue(body, false, "cond_out", kBool, {});
  AddValue(body, false, "x_out", kFloat, {2});
  AddValue(body, false, "seen", kFloat, {2});
  builder.Output("x_final", kFloat, {2});
  builder.Output("trace", kFloat, {3, 2});
  auto outputs = testing::CompileAndRun(builder, {at::tensor({1.0f, 2.0f})});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  EXPECT_TRUE(at::equal((*outputs)[0], at::tensor({8.0f, 16.0f})));
  EXPECT_TRUE(at::equal((*outputs)[1], at::tensor({1.0f, 2.0f, 2.0f, 4.0f, 4.0f, 8.0f}).reshape({3, 2})));
}

ModelBuilder SeededNormal(float seed) {
  ModelBuilder builder(13);
  auto& node = builder.Node("RandomNormal", {}, {"y"}, "normal");
  SetInts(node, "shape", {4, 3});
  SetInt(node, "dtype", onnx::TensorProto::DOUBLE);
  SetFloat(node, "seed", seed);
  builder.Output("y", onnx::TensorProto::DOUBLE, {4, 3});
  return builder;
}

TEST(RandomOpsTest, SeededRandomNormalHasShapeTypeAndRepeats) {
  auto first = testing::CompileAndRun(SeededNormal(7), {});
  auto second = testing::CompileAndRun(SeededNormal(7), {});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*first)[0].sizes().vec(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ((*first)[0].scalar_type(), at::kDouble);
  EXPECT_TRUE(at::equal((*first)[0], (*second)[0]));
}

TEST(RandomOpsTest, MultinomialDrawsInt32IndicesInRange) {
  ModelBuilder builder(13);
  builder.Input("x", kFloat, {2, 3});
  auto& node = builder.Node("Multinomial", {"x"}, {"y"}, "draw");
  SetInt(node, "sample_size", 5);
  builder.Output("y", kInt32, {2, 5});
  auto outputs = testing::CompileAndRun(builder, {at::zeros({2, 3})});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  const at::Tensor& y = (*outputs)[0];
  EXPECT_EQ(y.scalar_type(), at::kInt);
  EXPECT_EQ(y.sizes().vec(), (std::vector<int64_t>{2, 5}));
  EXPECT_TRUE(((y >= 0) & (y < 3)).all().item<bool>());
}

}  // namespace
}  // namespace aiaas::runtime::onnxrt
