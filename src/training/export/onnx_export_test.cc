#include "training/export/onnx_export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "runtime/native_runtime.h"
#include "runtime/onnx/onnx_runtime.h"
#include "training/export/export_source.h"
#include "training/export/export_test_util.h"
#include "training/export/model_export.h"

namespace aiaas::training {
namespace {

using nlohmann::json;
using testing::BundleOptions;
using testing::FloatValues;
using ::testing::HasSubstr;
using testing::Int64Values;
using testing::RandomBundle;
using testing::RandomRows;
using testing::WriteTemp;

constexpr double kTolerance = 1e-5;

struct Answers {
  runtime::NamedTensors native;
  runtime::NamedTensors onnx;
};

// Serves `bundle` with the native runtime and its ONNX export with the ONNX runtime,
// on the same request.
Answers RunBoth(const std::string& bundle, const TensorMap& inputs) {
  Answers answers;
  const std::string native_path = WriteTemp(bundle, ".aiaas");
  absl::StatusOr<ExportedFile> exported = ExportNativeModel(bundle, ExportFormat::kOnnx);
  EXPECT_TRUE(exported.ok()) << exported.status();
  if (!exported.ok()) return answers;
  const std::string onnx_path = WriteTemp(exported->bytes, ".onnx");

  runtime::NativeRuntime native(runtime::NativeOptions{});
  auto native_servable = native.Load(native_path, std::nullopt);
  EXPECT_TRUE(native_servable.ok()) << native_servable.status();
  runtime::OnnxRuntime onnx(runtime::OnnxOptions{});
  auto onnx_servable = onnx.Load(onnx_path, std::nullopt);
  EXPECT_TRUE(onnx_servable.ok()) << onnx_servable.status();
  std::remove(native_path.c_str());
  std::remove(onnx_path.c_str());
  if (!native_servable.ok() || !onnx_servable.ok()) return answers;

  // Same signature: names, dtypes, shapes.
  const Signature& a = (*native_servable)->signature();
  const Signature& b = (*onnx_servable)->signature();
  EXPECT_EQ(a.inputs.size(), b.inputs.size());
  EXPECT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t i = 0; i < std::min(a.outputs.size(), b.outputs.size()); ++i) {
    EXPECT_EQ(a.outputs[i].name, b.outputs[i].name);
    EXPECT_EQ(a.outputs[i].dtype, b.outputs[i].dtype) << a.outputs[i].name;
    EXPECT_EQ(a.outputs[i].shape, b.outputs[i].shape) << a.outputs[i].name;
  }
  auto native_out = (*native_servable)->Infer(inputs);
  EXPECT_TRUE(native_out.ok()) << native_out.status();
  auto onnx_out = (*onnx_servable)->Infer(inputs);
  EXPECT_TRUE(onnx_out.ok()) << onnx_out.status();
  if (native_out.ok()) answers.native = *native_out;
  if (onnx_out.ok()) answers.onnx = *onnx_out;
  return answers;
}

// Outputs equal: names, dtypes, shapes; floats within kTolerance (relative beyond 1).
void ExpectSameAnswers(const Answers& answers) {
  ASSERT_EQ(answers.native.size(), answers.onnx.size());
  ASSERT_FALSE(answers.native.empty());
  for (size_t i = 0; i < answers.native.size(); ++i) {
    const auto& [name, want] = answers.native[i];
    const auto& [onnx_name, got] = answers.onnx[i];
    EXPECT_EQ(name, onnx_name);
    EXPECT_EQ(want.dtype, got.dtype) << name;
    EXPECT_EQ(want.shape, got.shape) << name;
    if (want.dtype == DataType::kInt64) {
      EXPECT_EQ(Int64Values(want), Int64Values(got)) << name;
      continue;
    }
    if (want.dtype == DataType::kBytes) {
      EXPECT_EQ(want.data, got.data) << name;
      continue;
    }
    const std::vector<float> w = FloatValues(want);
    const std::vector<float> g = FloatValues(got);
    ASSERT_EQ(w.size(), g.size()) << name;
    double worst = 0.0;
    for (size_t k = 0; k < w.size(); ++k) {
      worst = std::max(worst, std::fabs(static_cast<double>(w[k]) - g[k]) /
                                  std::max(1.0, std::fabs(static_cast<double>(w[k]))));
    }
    EXPECT_LE(worst, kTolerance) << name;
  }
}

void ExpectExportMatches(const BundleOptions& options, bool with_missing = true,
                         int64_t vocab = 0) {
  TensorMap inputs;
  inputs["features"] = RandomRows(9, options.features, with_missing && vocab == 0, vocab);
  ExpectSameAnswers(RunBoth(RandomBundle(options), inputs));
}

TEST(OnnxExportTest, MlpClassifierWithImputationAndStandardScaling) {
  BundleOptions o;
  o.model = {{"architecture", "mlp"}, {"hidden", {16, 8}}, {"dropout", 0.2}};
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, StringLabelsComeBackAsBytes) {
  BundleOptions o;
  o.model = {{"architecture", "mlp"}, {"hidden", {6}}};
  o.num_outputs = 4;
  o.string_labels = true;
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, MlpWithGeluTanhSigmoid) {
  for (const char* activation : {"gelu", "tanh", "sigmoid"}) {
    BundleOptions o;
    o.model = {{"architecture", "mlp"}, {"hidden", {12}}, {"activation", activation}};
    o.scale = "minmax";
    SCOPED_TRACE(activation);
    ExpectExportMatches(o);
  }
}

TEST(OnnxExportTest, LogisticAndLinearRegression) {
  BundleOptions logistic;
  logistic.model = {{"architecture", "logistic_regression"}};
  logistic.num_outputs = 2;
  logistic.scale = "none";
  ExpectExportMatches(logistic);

  BundleOptions linear;
  linear.model = {{"architecture", "linear_regression"}};
  linear.task = "regression";
  linear.num_outputs = 1;
  ExpectExportMatches(linear);
}

TEST(OnnxExportTest, MlpRegressorUnscalesTheTarget) {
  BundleOptions o;
  o.model = {{"architecture", "mlp"}, {"hidden", {8}}};
  o.task = "regression";
  o.num_outputs = 1;
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, CnnOnReshapedRows) {
  BundleOptions o;
  o.model = {{"architecture", "cnn"}, {"filters", {4, 6}}, {"dense", {16}}};
  o.features = 64;
  o.sample_shape = {1, 8, 8};
  o.num_outputs = 10;
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, Conv2dWithExplicitPaddingStrideAvgPoolAndBatchnorm) {
  BundleOptions o;
  o.model = {{"layers",
              {{{"type", "conv2d"}, {"filters", 3}, {"kernel", 3}, {"padding", 1}, {"stride", 2}},
               {{"type", "batchnorm"}},
               {{"type", "activation"}, {"activation", "relu"}},
               {{"type", "avgpool2d"}, {"pool", 2}},
               {{"type", "flatten"}},
               {{"type", "dense"}, {"units", 5}, {"activation", "tanh"}}}}};
  o.features = 72;
  o.sample_shape = {2, 6, 6};
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, Conv1dSamePaddingBatchnormLayernormReshape) {
  BundleOptions o;
  o.model = {{"layers",
              {{{"type", "conv1d"},
                {"filters", 4},
                {"kernel", 3},
                {"padding", "same"},
                {"stride", 2},
                {"activation", "gelu"}},
               {{"type", "batchnorm"}},
               {{"type", "flatten"}},
               {{"type", "dense"}, {"units", 6}},
               {{"type", "batchnorm"}},
               {{"type", "layernorm"}},
               {{"type", "dropout"}, {"rate", 0.3}},
               {{"type", "reshape"}, {"shape", {2, -1}}},
               {{"type", "layernorm"}},
               {{"type", "flatten"}},
               {{"type", "activation"}, {"activation", "softmax"}},
               {{"type", "dense"}, {"units", 3}}}}};
  o.features = 16;
  o.sample_shape = {2, 8};
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, MaxPoolWithStride) {
  BundleOptions o;
  o.model = {{"layers",
              {{{"type", "conv2d"}, {"filters", 2}, {"kernel", 2}},
               {{"type", "maxpool2d"}, {"pool", 3}, {"stride", 2}},
               {{"type", "flatten"}}}}};
  o.features = 49;
  o.sample_shape = {1, 7, 7};
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, RecurrentLayersKeepTheGateOrder) {
  for (const char* cell : {"lstm", "gru", "rnn"}) {
    for (bool bidirectional : {false, true}) {
      BundleOptions o;
      o.model = {{"architecture", "rnn_classifier"},
                 {"cell", cell},
                 {"units", 5},
                 {"num_layers", 2},
                 {"bidirectional", bidirectional}};
      o.features = 12;
      o.sample_shape = {4, 3};
      SCOPED_TRACE(std::string(cell) + (bidirectional ? " bidirectional" : ""));
      ExpectExportMatches(o);
    }
  }
}

TEST(OnnxExportTest, ReturnSequencesThenFlatten) {
  BundleOptions o;
  o.model = {{"layers",
              {{{"type", "gru"}, {"units", 4}, {"return_sequences", true}, {"bidirectional", true}},
               {{"type", "lstm"}, {"units", 3}, {"return_sequences", true}},
               {{"type", "flatten"}}}}};
  o.features = 10;
  o.sample_shape = {5, 2};
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, EmbeddingOfTokenIds) {
  BundleOptions o;
  o.model = {{"architecture", "rnn_classifier"},
             {"cell", "lstm"},
             {"units", 6},
             {"embedding", {{"vocab", 11}, {"dim", 4}}}};
  o.features = 6;
  o.scale = "none";
  ExpectExportMatches(o, /*with_missing=*/false, /*vocab=*/11);
}

TEST(OnnxExportTest, AutoencoderReconstructs) {
  BundleOptions o;
  o.model = {{"architecture", "autoencoder"},
             {"encoder", {8}},
             {"latent", 3},
             {"output_activation", "sigmoid"}};
  o.task = "reconstruction";
  o.features = 6;
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, VaeDecodesTheMean) {
  BundleOptions o;
  o.model = {{"architecture", "vae"}, {"encoder", {8, 6}}, {"latent", 2}};
  o.task = "reconstruction";
  o.features = 5;
  ExpectExportMatches(o);
}

TEST(OnnxExportTest, TransformerEncoderClassifier) {
  BundleOptions features;
  features.model = {{"architecture", "transformer_encoder_classifier"},
                    {"d_model", 8},
                    {"heads", 2},
                    {"num_layers", 2},
                    {"ff_dim", 16}};
  features.features = 12;
  features.sample_shape = {4, 3};
  ExpectExportMatches(features);

  BundleOptions tokens;
  tokens.model = {{"architecture", "transformer_encoder_classifier"},
                  {"d_model", 8},
                  {"heads", 4},
                  {"num_layers", 1},
                  {"ff_dim", 12},
                  {"vocab", 9}};
  tokens.features = 5;
  tokens.scale = "none";
  tokens.task = "regression";
  tokens.num_outputs = 1;
  ExpectExportMatches(tokens, /*with_missing=*/false, /*vocab=*/9);
}

TEST(OnnxExportTest, TheModelDeclaresOpset17AndADynamicBatch) {
  BundleOptions o;
  o.model = {{"architecture", "mlp"}, {"hidden", {4}}};
  absl::StatusOr<ExportedFile> file = ExportNativeModel(RandomBundle(o), ExportFormat::kOnnx);
  ASSERT_TRUE(file.ok()) << file.status();
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(file->bytes));
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).domain(), "");
  EXPECT_EQ(model.opset_import(0).version(), 17);
  EXPECT_EQ(model.graph().input(0).name(), "features");
  EXPECT_EQ(model.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "batch");
  EXPECT_EQ(model.graph().output(0).name(), "probabilities");
  EXPECT_EQ(model.graph().output(1).name(), "label");
  // The trained weights keep their names.
  bool found = false;
  for (const auto& init : model.graph().initializer()) {
    found = found || init.name() == "layers.0.linear.weight";
  }
  EXPECT_TRUE(found);
}

TEST(OnnxExportTest, RefusesWhatOnnxCannotExpressNamingIt) {
  BundleOptions categorical;
  categorical.model = {{"architecture", "mlp"}, {"hidden", {4}}};
  categorical.categorical = true;
  absl::Status status = ExportNativeModel(RandomBundle(categorical), ExportFormat::kOnnx).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("categorical (one-hot) features (color)"));
}

TEST(OnnxExportTest, RefusesBytesThatAreNotABundle) {
  absl::Status status = ExportNativeModel("not a bundle", ExportFormat::kOnnx).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("not a native model bundle"));
}

TEST(ExportFormatTest, ParsesTheTwoFormats) {
  EXPECT_EQ(*ParseExportFormat("onnx"), ExportFormat::kOnnx);
  EXPECT_EQ(*ParseExportFormat("safetensors"), ExportFormat::kSafetensors);
  EXPECT_THAT(ParseExportFormat("pt").status().message(), HasSubstr("not 'pt'"));
  EXPECT_THAT(ParseExportFormat("").status().message(), HasSubstr("missing"));
}

}  // namespace
}  // namespace aiaas::training
