#include "services/native_model_exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "training/export/export_test_util.h"

namespace aiaas::services {
namespace {

using ::testing::HasSubstr;
using training::testing::BundleOptions;
using training::testing::RandomBundle;
using training::testing::WriteTemp;

class NativeModelExporterTest : public ::testing::Test {
 protected:
  NativeModelExporterTest() {
    BundleOptions options;
    options.model = {{"architecture", "mlp"}, {"hidden", {4}}};
    path_ = WriteTemp(RandomBundle(options), ".aiaas");
  }
  ~NativeModelExporterTest() override { std::remove(path_.c_str()); }
  std::string path_;
};

TEST_F(NativeModelExporterTest, ExportsBothFormats) {
  NativeModelExporter exporter(NativeModelExporterOptions{});
  EXPECT_TRUE(exporter.CheckFormat("onnx").ok());
  EXPECT_TRUE(exporter.CheckFormat("safetensors").ok());
  auto onnx = exporter.Export(path_, "native", "onnx");
  ASSERT_TRUE(onnx.ok()) << onnx.status();
  EXPECT_EQ(onnx->extension, ".onnx");
  EXPECT_EQ(onnx->content_type, "application/onnx");
  EXPECT_FALSE(onnx->bytes.empty());
  auto safetensors = exporter.Export(path_, "native", "safetensors");
  ASSERT_TRUE(safetensors.ok()) << safetensors.status();
  EXPECT_EQ(safetensors->extension, ".safetensors");
}

TEST_F(NativeModelExporterTest, RefusesOtherFormatsAndBigModels) {
  NativeModelExporter exporter(NativeModelExporterOptions{});
  EXPECT_EQ(exporter.CheckFormat("").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(exporter.CheckFormat("pt").code(), absl::StatusCode::kInvalidArgument);
  absl::Status status = exporter.Export(path_, "torchscript", "onnx").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("'torchscript'"));

  NativeModelExporterOptions small;
  small.max_artifact_bytes = 100;
  status = NativeModelExporter(small).Export(path_, "native", "onnx").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("--max-export-artifact-bytes"));
}

}  // namespace
}  // namespace aiaas::services
