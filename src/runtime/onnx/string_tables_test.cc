#include "runtime/onnx/string_tables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "onnx/onnx_pb.h"
#include "runtime/onnx/onnx_runtime.h"
#include "runtime/onnx/test_models.h"

namespace aiaas::runtime {
namespace {

using onnxrt::testing::kDynamic;
using onnxrt::testing::ModelBuilder;
using onnxrt::testing::SetInt;
using onnxrt::testing::TempDir;
using ::testing::HasSubstr;

// x FP32 [N, 3] -> label = ["cat", "dog", "emu"][argmax(x)], as a classifier export ends.
ModelBuilder LabelModel() {
  ModelBuilder builder(17);
  builder.Input("x", onnx::TensorProto::FLOAT, {kDynamic, 3})
      .Output("label", onnx::TensorProto::STRING, {kDynamic});
  onnx::TensorProto* table = builder.graph().add_initializer();
  table->set_name("labels");
  table->set_data_type(onnx::TensorProto::STRING);
  table->add_dims(3);
  for (const char* label : {"cat", "dog", "emu"}) table->add_string_data(label);
  onnx::NodeProto& argmax = builder.Node("ArgMax", {"x"}, {"index"});
  SetInt(argmax, "axis", 1);
  SetInt(argmax, "keepdims", 0);
  builder.Node("Gather", {"labels", "index"}, {"label"});
  return builder;
}

Tensor Rows(const std::vector<float>& values) {
  Tensor tensor;
  tensor.dtype = DataType::kFp32;
  tensor.shape = {static_cast<int64_t>(values.size() / 3), 3};
  tensor.data.resize(values.size() * sizeof(float));
  std::memcpy(tensor.data.data(), values.data(), tensor.data.size());
  return tensor;
}

std::vector<std::string> Strings(const Tensor& tensor) {
  std::vector<std::string> out;
  size_t offset = 0;
  while (offset + 4 <= tensor.data.size()) {
    uint32_t length = 0;
    std::memcpy(&length, tensor.data.data() + offset, 4);
    out.emplace_back(reinterpret_cast<const char*>(tensor.data.data()) + offset + 4, length);
    offset += 4 + length;
  }
  return out;
}

TEST(StringTablesTest, RewritesAGatheredTableToPositions) {
  ModelBuilder builder = LabelModel();
  auto outputs = onnxrt::ExtractStringTables(&builder.proto());
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  ASSERT_EQ(outputs->count("label"), 1u);
  EXPECT_EQ(*outputs->at("label"), (std::vector<std::string>{"cat", "dog", "emu"}));
  const onnx::TensorProto& table = builder.graph().initializer(0);
  EXPECT_EQ(table.data_type(), onnx::TensorProto::INT64);
  EXPECT_EQ(table.int64_data_size(), 3);
  EXPECT_EQ(table.string_data_size(), 0);
  EXPECT_EQ(builder.graph().output(0).type().tensor_type().elem_type(), onnx::TensorProto::INT64);
}

TEST(StringTablesTest, TheRuntimeServesTheOutputAsBytes) {
  TempDir dir;
  OnnxRuntime runtime(OnnxOptions{});
  auto servable = runtime.Load(dir.Write("m.onnx", LabelModel().Bytes()), std::nullopt);
  ASSERT_TRUE(servable.ok()) << servable.status();
  ASSERT_EQ((*servable)->signature().outputs.size(), 1u);
  EXPECT_EQ((*servable)->signature().outputs[0].dtype, DataType::kBytes);
  TensorMap inputs;
  inputs["x"] = Rows({0, 1, 0, 5, 2, 1, 0, 0, 9, 1, 1, 1});
  auto out = (*servable)->Infer(inputs);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0].second.dtype, DataType::kBytes);
  EXPECT_EQ((*out)[0].second.shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(Strings((*out)[0].second), (std::vector<std::string>{"dog", "cat", "emu", "cat"}));
}

TEST(StringTablesTest, OtherUsesOfStringsStayUnsupported) {
  // The table is also an output of its own: not the recognized pattern.
  ModelBuilder builder = LabelModel();
  builder.Node("Identity", {"labels"}, {"all"});
  builder.Output("all", onnx::TensorProto::STRING, {3});
  auto outputs = onnxrt::ExtractStringTables(&builder.proto());
  ASSERT_TRUE(outputs.ok());
  EXPECT_TRUE(outputs->empty());
  TempDir dir;
  OnnxRuntime runtime(OnnxOptions{});
  absl::Status status = runtime.Load(dir.Write("m.onnx", builder.Bytes()), std::nullopt).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("STRING"));

  // A table whose strings do not fill its dims is malformed.
  ModelBuilder short_table = LabelModel();
  short_table.graph().mutable_initializer(0)->set_dims(0, 5);
  EXPECT_EQ(onnxrt::ExtractStringTables(&short_table.proto()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aiaas::runtime
