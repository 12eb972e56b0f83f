#include "training/model/model_spec.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace aiaas::training {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<ModelSpec> Parse(const std::string& text) { return ParseModelSpecText(text); }

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<ModelSpec> spec = Parse(text);
  EXPECT_FALSE(spec.ok()) << text;
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument) << spec.status();
  return std::string(spec.status().message());
}

TEST(ModelSpecTest, ParsesEveryLayerType) {
  absl::StatusOr<ModelSpec> spec = Parse(R"({"layers": [
      {"type": "dense", "units": 64, "activation": "relu"},
      {"type": "conv1d", "filters": 8, "kernel": 3, "stride": 2, "padding": "same"},
      {"type": "conv2d", "filters": 16, "kernel": 5, "padding": 1, "activation": "gelu"},
      {"type": "maxpool2d", "pool": 2},
      {"type": "avgpool2d", "pool": 3, "stride": 1},
      {"type": "flatten"},
      {"type": "dropout", "rate": 0.2},
      {"type": "batchnorm"},
      {"type": "layernorm"},
      {"type": "embedding", "vocab": 100, "dim": 8},
      {"type": "lstm", "units": 32, "return_sequences": true, "layers": 2, "bidirectional": true},
      {"type": "gru", "units": 4},
      {"type": "rnn", "units": 4},
      {"type": "activation", "activation": "softmax"},
      {"type": "reshape", "shape": [4, -1]}]})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->layers.size(), 15u);
  EXPECT_EQ(spec->architecture, Architecture::kSequential);
  EXPECT_EQ(spec->layers[0].units, 64);
  EXPECT_EQ(spec->layers[0].activation, Activation::kRelu);
  EXPECT_EQ(spec->layers[1].type, LayerType::kConv1d);
  EXPECT_EQ(spec->layers[1].stride, 2);
  EXPECT_EQ(spec->layers[1].padding, PaddingMode::kSame);
  EXPECT_EQ(spec->layers[2].padding, PaddingMode::kExplicit);
  EXPECT_EQ(spec->layers[2].padding_amount, 1);
  EXPECT_EQ(spec->layers[2].activation, Activation::kGelu);
  EXPECT_EQ(spec->layers[3].stride, 2);  // defaults to the pool size
  EXPECT_EQ(spec->layers[4].stride, 1);
  EXPECT_DOUBLE_EQ(spec->layers[6].rate, 0.2);
  EXPECT_EQ(spec->layers[9].vocab, 100);
  EXPECT_EQ(spec->layers[10].num_layers, 2);
  EXPECT_TRUE(spec->layers[10].bidirectional);
  EXPECT_TRUE(spec->layers[10].return_sequences);
  EXPECT_FALSE(spec->layers[11].return_sequences);
  EXPECT_EQ(spec->layers[13].activation, Activation::kSoftmax);
  EXPECT_EQ(spec->layers[14].shape, (std::vector<int64_t>{4, -1}));
}

TEST(ModelSpecTest, LayerErrorsNameIndexAndType) {
  EXPECT_EQ(ErrorOf(R"({"layers": [{"type": "flatten"}, {"type": "dense", "units": 4},
      {"type": "dropout", "rate": 0.1}, {"type": "conv2d", "filters": 4, "kernel": 0}]})"),
            "model.layers[3] (conv2d): kernel must be a positive integer");
  EXPECT_EQ(ErrorOf(R"({"layers": [{"type": "dense", "units": 0}]})"),
            "model.layers[0] (dense): units must be a positive integer");
  EXPECT_EQ(ErrorOf(R"({"layers": [{"type": "dense", "units": 2.5}]})"),
            "model.layers[0] (dense): units must be a positive integer");
  EXPECT_EQ(ErrorOf(R"({"layers": [{"type": "dense"}]})"),
            "model.layers[0] (dense): units is required");
  EXPECT_EQ(ErrorOf(R"({"layers": [{"type": "dense", "units": 3, "unit": 3}]})"),
            "model.layers[0] (dense): unknown key \"unit\"");
  EXPECT_EQ(ErrorOf(R"({"layers": [{"type": "attention"}]})"),
            "model.layers[0]: unknown layer type \"attention\"");
  EXPECT_EQ(ErrorOf(R"({"layers": [{"units": 3}]})"),
            "model.layers[0]: \"type\" is required and must be a string");
  EXPECT_THAT(ErrorOf(R"({"layers": [{"type": "dropout", "rate": 1.0}]})"),
              HasSubstr("model.layers[0] (dropout): rate must be a number in [0, 1)"));
  EXPECT_THAT(ErrorOf(R"({"layers": [{"type": "dense", "units": 3, "activation": "swish"}]})"),
              HasSubstr("model.layers[0] (dense): activation must be one of"));
  EXPECT_THAT(ErrorOf(R"({"layers": [{"type": "conv1d", "filters": 2, "kernel": 2,
      "padding": "full"}]})"),
              HasSubstr("model.layers[0] (conv1d): padding must be"));
  EXPECT_THAT(ErrorOf(R"({"layers": [{"type": "reshape", "shape": [-1, -1]}]})"),
              HasSubstr("model.layers[0] (reshape): shape must be"));
  EXPECT_THAT(ErrorOf(R"({"layers": [{"type": "reshape", "shape": [0, 4]}]})"),
              HasSubstr("model.layers[0] (reshape): shape must be"));
  EXPECT_THAT(ErrorOf(R"({"layers": [{"type": "lstm", "units": 4, "bidirectional": 1}]})"),
              HasSubstr("model.layers[0] (lstm): bidirectional must be true or false"));
  EXPECT_THAT(ErrorOf(R"({"layers": [{"type": "dense", "units": 99999999999}]})"),
              HasSubstr("units must be a positive integer"));
}

TEST(ModelSpecTest, ModelLevelErrors) {
  EXPECT_THAT(ErrorOf("[1, 2]"), HasSubstr("model: must be a JSON object"));
  EXPECT_THAT(ErrorOf("{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ErrorOf("{}"), HasSubstr("\"layers\""));
  EXPECT_THAT(ErrorOf(R"({"layers": []})"), HasSubstr("non-empty"));
  EXPECT_THAT(ErrorOf(R"({"architecture": "resnet"})"), HasSubstr("architecture must be one of"));
  EXPECT_THAT(ErrorOf(R"({"architecture": "mlp", "layers": [{"type": "flatten"}]})"),
              HasSubstr("model (mlp): \"layers\" cannot be combined"));
  EXPECT_EQ(ErrorOf(R"({"architecture": "mlp", "hiden": [3]})"),
            "model (mlp): unknown key \"hiden\"");
  EXPECT_EQ(ErrorOf(R"({"architecture": "mlp", "filters": [3]})"),
            "model (mlp): unknown key \"filters\"");
  EXPECT_THAT(ErrorOf(R"({"architecture": "cnn", "filters": []})"),
              HasSubstr("model (cnn): filters must be a non-empty list"));
  EXPECT_THAT(ErrorOf(R"({"architecture": "rnn_classifier", "cell": "transformer"})"),
              HasSubstr("cell must be"));
  EXPECT_THAT(ErrorOf(R"({"architecture": "rnn_classifier", "embedding": {"vocab": 3}})"),
              HasSubstr("model (rnn_classifier).embedding: dim is required"));
  EXPECT_THAT(ErrorOf(R"({"architecture": "transformer_encoder_classifier", "d_model": 30,
      "heads": 4})"),
              HasSubstr("d_model 30 must be divisible by heads 4"));
  EXPECT_THAT(ErrorOf(R"({"architecture": "mlp", "init": "he"})"),
              HasSubstr("init must be one of"));
}

TEST(ModelSpecTest, ArchitectureDefaultsAndOptions) {
  absl::StatusOr<ModelSpec> mlp = Parse(R"({"architecture": "mlp"})");
  ASSERT_TRUE(mlp.ok()) << mlp.status();
  EXPECT_EQ(mlp->options.hidden, (std::vector<int64_t>{64, 64}));
  EXPECT_EQ(mlp->options.activation, Activation::kRelu);
  EXPECT_EQ(mlp->init, InitScheme::kDefault);

  absl::StatusOr<ModelSpec> transformer =
      Parse(R"({"architecture": "transformer_encoder_classifier", "init": "xavier"})");
  ASSERT_TRUE(transformer.ok()) << transformer.status();
  EXPECT_EQ(transformer->options.num_layers, 2);
  EXPECT_DOUBLE_EQ(transformer->options.dropout, 0.1);
  EXPECT_EQ(transformer->init, InitScheme::kXavier);

  absl::StatusOr<ModelSpec> rnn = Parse(R"({"architecture": "rnn_classifier", "cell": "gru",
      "units": 8, "bidirectional": true, "embedding": {"vocab": 30, "dim": 4}})");
  ASSERT_TRUE(rnn.ok()) << rnn.status();
  EXPECT_EQ(rnn->options.cell, LayerType::kGru);
  EXPECT_EQ(rnn->options.units, 8);
  EXPECT_EQ(rnn->options.embedding_vocab, 30);

  nlohmann::json json = {{"architecture", "autoencoder"},
                         {"encoder", {32, 16}},
                         {"latent", 4},
                         {"output_activation", "sigmoid"}};
  absl::StatusOr<ModelSpec> autoencoder = ParseModelSpec(json);
  ASSERT_TRUE(autoencoder.ok()) << autoencoder.status();
  EXPECT_EQ(autoencoder->options.encoder, (std::vector<int64_t>{32, 16}));
  EXPECT_EQ(autoencoder->options.output_activation, Activation::kSigmoid);
}

}  // namespace
}  // namespace aiaas::training
