// Convolution, pooling, normalization, resize and RoiAlign kernels: behaviour the ONNX
// backend test data does not cover (LpPool, Upsample-7, opset differences, error paths,
// hostile sizes and coordinates found by fuzz/onnx_loader_fuzz.cc).

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <utility>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "runtime/onnx/test_models.h"

namespace aiaas::runtime::onnxrt {
namespace {

using testing::ModelBuilder;
using testing::SetFloat;
using testing::SetInt;
using testing::SetInts;
using testing::SetString;

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;

// A one-node float model over `inputs` (x0, x1, ...) with output y of `output_dims`.
absl::StatusOr<at::Tensor> RunOne(const std::string& op_type, int opset,
                                  const std::vector<at::Tensor>& inputs,
                                  const std::vector<int64_t>& output_dims,
                                  const std::function<void(onnx::NodeProto&)>& configure,
                                  bool dynamic_inputs = false) {
  ModelBuilder builder(opset);
  std::vector<std::string> names;
  for (size_t i = 0; i < inputs.size(); ++i) {
    names.push_back("x" + std::to_string(i));
    std::vector<int64_t> dims = inputs[i].sizes().vec();
    if (dynamic_inputs) dims.assign(dims.size(), testing::kDynamic);
    builder.Input(names.back(),
                  inputs[i].scalar_type() == at::kLong ? onnx::TensorProto::INT64 : kFloat, dims);
  }
  configure(builder.Node(op_type, names, {"y"}, "node"));
  builder.Output("y", kFloat, output_dims);
  auto outputs = testing::CompileAndRun(builder, inputs);
  if (!outputs.ok()) return outputs.status();
  return (*outputs)[0];
}

TEST(NnOpsTest, LpPoolTakesThePNormOfEachWindow) {
  const at::Tensor x = at::tensor({3.0f, -4.0f, 0.0f}).reshape({1, 1, 3});
  auto y = RunOne("LpPool", 11, {x}, {1, 1, 2}, [](onnx::NodeProto& node) {
    SetInts(node, "kernel_shape", {2});
  });
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_TRUE(at::allclose(*y, at::tensor({5.0f, 4.0f}).reshape({1, 1, 2})));
}

TEST(NnOpsTest, GlobalLpPoolReducesAllSpatialDims) {
  const at::Tensor x = at::tensor({3.0f, 4.0f, 0.0f, 0.0f}).reshape({1, 1, 2, 2});
  auto y = RunOne("GlobalLpPool", 2, {x}, {1, 1, 1, 1}, [](onnx::NodeProto&) {});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_TRUE(at::allclose(*y, at::full({1, 1, 1, 1}, 5.0f)));
}

TEST(NnOpsTest, UpsampleV7TakesScalesFromTheAttribute) {
  const at::Tensor x = at::tensor({1.0f, 2.0f}).reshape({1, 1, 1, 2});
  auto y = RunOne("Upsample", 7, {x}, {1, 1, 2, 4}, [](onnx::NodeProto& node) {
    auto* scales = node.add_attribute();
    scales->set_name("scales");
    scales->set_type(onnx::AttributeProto::FLOATS);
    for (float s : {1.0f, 1.0f, 2.0f, 2.0f}) scales->add_floats(s);
  });
  ASSERT_TRUE(y.ok()) << y.status();
  const at::Tensor row = at::tensor({1.0f, 1.0f, 2.0f, 2.0f});
  EXPECT_TRUE(at::equal(*y, at::stack({row, row}).reshape({1, 1, 2, 4})));
}

TEST(NnOpsTest, ResizeLinearAlignCornersUpsamples) {
  const at::Tensor x = at::tensor({0.0f, 3.0f}).reshape({1, 1, 1, 2});
  const at::Tensor scales = at::tensor({1.0f, 1.0f, 1.0f, 2.0f});
  auto y = RunOne("Resize", 13, {x, at::empty({0}), scales}, {1, 1, 1, 4},
                  [](onnx::NodeProto& node) {
                    SetString(node, "mode", "linear");
                    SetString(node, "coordinate_transformation_mode", "align_corners");
                  });
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_TRUE(at::allclose(*y, at::tensor({0.0f, 1.0f, 2.0f, 3.0f}).reshape({1, 1, 1, 4})));
}

TEST(NnOpsTest, BatchNormalizationBeforeOpset14IsInference) {
  const at::Tensor x = at::tensor({1.0f, 3.0f}).reshape({1, 2});
  const at::Tensor ones = at::ones({2});
  const at::Tensor zeros = at::zeros({2});
  auto y = RunOne("BatchNormalization", 9, {x, ones, zeros, at::tensor({1.0f, 1.0f}), ones},
                  {1, 2}, [](onnx::NodeProto& node) { SetFloat(node, "epsilon", 0.0f); });
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_TRUE(at::allclose(*y, at::tensor({0.0f, 2.0f}).reshape({1, 2})));
}

TEST(NnOpsTest, PoolingKernelLargerThanTheInputIsInvalid) {
  const at::Tensor x = at::zeros({1, 1, 2, 2});
  auto y = RunOne(
      "MaxPool", 12, {x}, {testing::kDynamic, testing::kDynamic, testing::kDynamic,
                           testing::kDynamic},
      [](onnx::NodeProto& node) { SetInts(node, "kernel_shape", {3, 3}); },
      /*dynamic_inputs=*/true);
  EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument) << y.status();
}

TEST(NnOpsTest, ConvGroupMismatchIsInvalid) {
  const at::Tensor x = at::zeros({1, 3, 4, 4});
  const at::Tensor w = at::zeros({2, 2, 1, 1});
  auto y = RunOne(
      "Conv", 11, {x, w}, {testing::kDynamic, testing::kDynamic, testing::kDynamic,
                           testing::kDynamic},
      [](onnx::NodeProto& node) { SetInt(node, "group", 1); }, /*dynamic_inputs=*/true);
  EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument) << y.status();
}

const std::vector<int64_t> kDynamic4 = {testing::kDynamic, testing::kDynamic,
                                        testing::kDynamic, testing::kDynamic};

// RoiAlign-16 over X [1, 1, 4, 4] with the given rois (inputs, so checked at run time).
absl::StatusOr<at::Tensor> RunRoiAlign(const at::Tensor& rois,
                                       const std::function<void(onnx::NodeProto&)>& configure) {
  const at::Tensor x = at::arange(16, at::kFloat).reshape({1, 1, 4, 4});
  return RunOne("RoiAlign", 16, {x, rois, at::zeros({rois.size(0)}, at::kLong)}, kDynamic4,
                configure, /*dynamic_inputs=*/true);
}

TEST(NnOpsTest, RoiAlignRefusesNonFiniteRoisAndAbsurdSampling) {
  auto none = [](onnx::NodeProto&) {};
  auto valid = RunRoiAlign(at::tensor({0.0f, 0.0f, 3.0f, 3.0f}).reshape({1, 4}), none);
  ASSERT_TRUE(valid.ok()) << valid.status();
  EXPECT_TRUE(at::isfinite(*valid).all().item<bool>());
  // fuzz/regressions/onnx_loader/roialign_*: a NaN coordinate was cast to an index and
  // read far outside X; a huge roi or sampling_ratio overflowed or looped for hours.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  for (const at::Tensor& rois : {at::tensor({0.0f, 0.0f, nan, 3.0f}).reshape({1, 4}),
                                 at::tensor({0.0f, -inf, 3.0f, 3.0f}).reshape({1, 4}),
                                 at::tensor({0.0f, 0.0f, 6e37f, 6e37f}).reshape({1, 4})}) {
    auto y = RunRoiAlign(rois, none);
    EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument) << rois << y.status();
  }
  const at::Tensor rois = at::tensor({0.0f, 0.0f, 3.0f, 3.0f}).reshape({1, 4});
  for (int64_t ratio : {int64_t{-1}, int64_t{1} << 30, std::numeric_limits<int64_t>::max()}) {
    auto y = RunRoiAlign(rois, [ratio](onnx::NodeProto& node) {
      SetInt(node, "sampling_ratio", ratio);
    });
    EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument) << ratio << y.status();
  }
  auto y = RunRoiAlign(rois, [inf](onnx::NodeProto& node) {
    SetFloat(node, "spatial_scale", inf);
  });
  EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument) << y.status();
}

TEST(NnOpsTest, MaxUnpoolRefusesHugeOrOverflowingOutputs) {
  // fuzz/regressions/onnx_loader/maxunpool_*: terabyte allocations and signed overflow.
  const at::Tensor x = at::ones({1, 1, 2, 2});
  const at::Tensor indices = at::zeros({1, 1, 2, 2}, at::kLong);
  const int64_t int64_max = std::numeric_limits<int64_t>::max();
  for (const auto& [kernel, strides] : std::vector<std::pair<int64_t, int64_t>>{
           {int64_t{1} << 40, 1}, {2, int64_t{1} << 30}, {int64_max, 1}, {2, int64_max},
           {0, 1}}) {
    auto y = RunOne("MaxUnpool", 11, {x, indices}, kDynamic4,
                    [kernel = kernel, strides = strides](onnx::NodeProto& node) {
                      SetInts(node, "kernel_shape", {kernel, kernel});
                      SetInts(node, "strides", {strides, strides});
                    }, /*dynamic_inputs=*/true);
    EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument)
        << kernel << " " << strides << ": " << y.status();
  }
  auto y = RunOne("MaxUnpool", 11, {x, indices}, kDynamic4, [](onnx::NodeProto& node) {
    SetInts(node, "kernel_shape", {2, 2});
    SetInts(node, "strides", {2, 2});
  }, /*dynamic_inputs=*/true);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ(y->sizes().vec(), (std::vector<int64_t>{1, 1, 4, 4}));
}

TEST(NnOpsTest, ResizeCropRoiFarOutsideIsClampedAndNonFiniteRefused) {
  // fuzz/regressions/onnx_loader/resize_roi_out_of_range: -3e38 was cast to int64_t.
  const at::Tensor x = at::tensor({1.0f, 2.0f}).reshape({1, 1, 1, 2});
  const at::Tensor scales = at::tensor({1.0f, 1.0f, 1.0f, 2.0f});
  auto crop = [](onnx::NodeProto& node) {
    SetString(node, "mode", "linear");
    SetString(node, "coordinate_transformation_mode", "tf_crop_and_resize");
  };
  const at::Tensor far = at::tensor({0.0f, 0.0f, 0.0f, -3e38f, 1.0f, 1.0f, 1.0f, 1.0f});
  auto y = RunOne("Resize", 13, {x, far, scales}, kDynamic4, crop, /*dynamic_inputs=*/true);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_TRUE(at::isfinite(*y).all().item<bool>()) << *y;
  const at::Tensor nan = at::tensor(
      {0.0f, 0.0f, 0.0f, std::numeric_limits<float>::quiet_NaN(), 1.0f, 1.0f, 1.0f, 1.0f});
  y = RunOne("Resize", 13, {x, nan, scales}, kDynamic4, crop, /*dynamic_inputs=*/true);
  EXPECT_EQ(y.status().code(), absl::StatusCode::kInvalidArgument) << y.status();
}

}  // namespace
}  // namespace aiaas::runtime::onnxrt
