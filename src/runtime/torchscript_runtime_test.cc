#include "runtime/torchscript_runtime.h"

#include <torch/script.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace aiaas::runtime {
namespace {

class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/aiaas-runtime-test-XXXXXX";
    int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Builds and saves a TorchScript module from source, as torch.jit.script would.
void SaveModule(const std::string& source, const std::string& path) {
  torch::jit::Module module("TestModule");
  module.define(source);
  module.save(path);
}

Tensor MakeFloatTensor(std::vector<int64_t> shape, const std::vector<float>& values) {
  Tensor tensor;
  tensor.dtype = DataType::kFp32;
  tensor.shape = std::move(shape);
  tensor.data.resize(values.size() * sizeof(float));
  std::memcpy(tensor.data.data(), values.data(), tensor.data.size());
  return tensor;
}

std::vector<float> FloatValues(const Tensor& tensor) {
  std::vector<float> values(tensor.data.size() / sizeof(float));
  std::memcpy(values.data(), tensor.data.data(), tensor.data.size());
  return values;
}

TEST(TorchScriptRuntimeTest, DerivesSignatureAndRunsTupleModel) {
  TempFile file;
  SaveModule(R"(
def forward(self, x, y):
    return x + y, x * y
)",
             file.path());
  TorchScriptRuntime runtime(TorchScriptOptions{});
  auto servable = runtime.Load(file.path(), std::nullopt);
  ASSERT_TRUE(servable.ok()) << servable.status();
  const Signature& signature = (*servable)->signature();
  ASSERT_EQ(signature.inputs.size(), 2u);
  EXPECT_EQ(signature.inputs[0].name, "x");
  EXPECT_EQ(signature.inputs[1].name, "y");
  ASSERT_EQ(signature.outputs.size(), 2u);
  EXPECT_EQ(signature.outputs[1].name, "output_1");

  TensorMap inputs;
  inputs["x"] = MakeFloatTensor({2}, {1.0f, 2.0f});
  inputs["y"] = MakeFloatTensor({2}, {3.0f, 4.0f});
  auto outputs = (*servable)->Infer(inputs);
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  ASSERT_EQ(outputs->size(), 2u);
  EXPECT_EQ((*outputs)[0].first, "output_0");
  EXPECT_EQ(FloatValues((*outputs)[0].second), (std::vector<float>{4.0f, 6.0f}));
  EXPECT_EQ(FloatValues((*outputs)[1].second), (std::vector<float>{3.0f, 8.0f}));
  EXPECT_EQ((*outputs)[1].second.shape, (std::vector<int64_t>{2}));
}

TEST(TorchScriptRuntimeTest, ShapeErrorIsInvalidArgumentQuotingLibTorch) {
  TempFile file;
  SaveModule(R"(
def forward(self, x):
    return torch.matmul(x, torch.ones(3, 2))
)",
             file.path());
  TorchScriptRuntime runtime(TorchScriptOptions{});
  auto servable = runtime.Load(file.path(), std::nullopt);
  ASSERT_TRUE(servable.ok()) << servable.status();
  TensorMap inputs;
  inputs["x"] = MakeFloatTensor({1, 2}, {1.0f, 2.0f});
  auto outputs = (*servable)->Infer(inputs);
  ASSERT_FALSE(outputs.ok());
  EXPECT_EQ(outputs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(outputs.status().message().find("cannot be multiplied"), std::string::npos)
      << outputs.status();
}

TEST(TorchScriptRuntimeTest, GarbageFileIsInvalidArgument) {
  TempFile file;
  std::ofstream(file.path()) << "this is not a zip archive";
  TorchScriptRuntime runtime(TorchScriptOptions{});
  auto servable = runtime.Load(file.path(), std::nullopt);
  ASSERT_FALSE(servable.ok());
  EXPECT_EQ(servable.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(servable.status().message().find("TorchScript"), std::string::npos);
}

TEST(TorchScriptRuntimeTest, DeclaredSignatureWithWrongArityIsRejected) {
  TempFile file;
  SaveModule("def forward(self, x):\n    return x\n", file.path());
  Signature declared;
  declared.inputs = {TensorSpec{"a", DataType::kFp32, std::vector<int64_t>{-1}},
                     TensorSpec{"b", DataType::kFp32, std::vector<int64_t>{-1}}};
  TorchScriptRuntime runtime(TorchScriptOptions{});
  auto servable = runtime.Load(file.path(), declared);
  ASSERT_FALSE(servable.ok());
  EXPECT_NE(servable.status().message().find("2 inputs"), std::string::npos);
}

TEST(TorchScriptRuntimeTest, DeclaredNamesBindPositionally) {
  TempFile file;
  SaveModule("def forward(self, x, y):\n    return x - y\n", file.path());
  Signature declared;
  declared.inputs = {TensorSpec{"first", DataType::kFp32, std::nullopt},
                     TensorSpec{"second", DataType::kFp32, std::nullopt}};
  declared.outputs = {TensorSpec{"difference", DataType::kFp32, std::nullopt}};
  TorchScriptRuntime runtime(TorchScriptOptions{});
  auto servable = runtime.Load(file.path(), declared);
  ASSERT_TRUE(servable.ok()) << servable.status();
  TensorMap inputs;
  inputs["first"] = MakeFloatTensor({1}, {5.0f});
  inputs["second"] = MakeFloatTensor({1}, {2.0f});
  auto outputs = (*servable)->Infer(inputs);
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  EXPECT_EQ((*outputs)[0].first, "difference");
  EXPECT_EQ(FloatValues((*outputs)[0].second), (std::vector<float>{3.0f}));
}

TEST(TorchScriptRuntimeTest, IntegerAndBoolRoundTrip) {
  TempFile file;
  SaveModule("def forward(self, x):\n    return x * 2, x > 1\n", file.path());
  TorchScriptRuntime runtime(TorchScriptOptions{});
  auto servable = runtime.Load(file.path(), std::nullopt);
  ASSERT_TRUE(servable.ok()) << servable.status();
  Tensor input;
  input.dtype = DataType::kInt64;
  input.shape = {3};
  std::vector<int64_t> values = {0, 1, 5};
  input.data.resize(values.size() * sizeof(int64_t));
  std::memcpy(input.data.data(), values.data(), input.data.size());
  auto outputs = (*servable)->Infer(TensorMap{{"x", input}});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  EXPECT_EQ((*outputs)[0].second.dtype, DataType::kInt64);
  std::vector<int64_t> doubled(3);
  std::memcpy(doubled.data(), (*outputs)[0].second.data.data(), 3 * sizeof(int64_t));
  EXPECT_EQ(doubled, (std::vector<int64_t>{0, 2, 10}));
  EXPECT_EQ((*outputs)[1].second.dtype, DataType::kBool);
  EXPECT_EQ(static_cast<int>((*outputs)[1].second.data[2]), 1);
  EXPECT_EQ(static_cast<int>((*outputs)[1].second.data[0]), 0);
}

TEST(TorchScriptRuntimeTest, UnsupportedDatatypeIsInvalidArgument) {
  TempFile file;
  SaveModule("def forward(self, x):\n    return x\n", file.path());
  TorchScriptRuntime runtime(TorchScriptOptions{});
  auto servable = runtime.Load(file.path(), std::nullopt);
  ASSERT_TRUE(servable.ok());
  Tensor input;
  input.dtype = DataType::kUint32;
  input.shape = {1};
  input.data.resize(4);
  auto outputs = (*servable)->Infer(TensorMap{{"x", input}});
  ASSERT_FALSE(outputs.ok());
  EXPECT_NE(outputs.status().message().find("UINT32"), std::string::npos);
}

}  // namespace
}  // namespace aiaas::runtime
