#include "training/export/safetensors_export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "training/export/export_source.h"
#include "training/export/export_test_util.h"
#include "training/export/model_export.h"

namespace aiaas::training {
namespace {

using nlohmann::json;
using testing::BundleOptions;
using testing::RandomBundle;

struct Parsed {
  json header;
  std::string data;
};

Parsed Parse(const std::string& bytes) {
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i)
    length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  Parsed parsed;
  parsed.header = json::parse(bytes.substr(8, length));
  parsed.data = bytes.substr(8 + length);
  EXPECT_EQ(length % 8, 0u);
  return parsed;
}

TEST(SafetensorsExportTest, WritesEveryStateTensorWithItsBytesAndTheMetadata) {
  BundleOptions o;
  o.model = {{"layers",
              {{{"type", "dense"}, {"units", 5}, {"activation", "relu"}},
               {{"type", "batchnorm"}},
               {{"type", "dense"}, {"units", 3}}}}};
  const std::string bundle = RandomBundle(o);
  absl::StatusOr<ExportSource> source = LoadExportSource(bundle);
  ASSERT_TRUE(source.ok()) << source.status();
  absl::StatusOr<ExportedFile> file = ExportNativeModel(bundle, ExportFormat::kSafetensors);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->extension, ".safetensors");
  Parsed parsed = Parse(file->bytes);

  size_t end = 0;
  for (const ExportTensor& tensor : source->tensors) {
    ASSERT_TRUE(parsed.header.contains(tensor.name)) << tensor.name;
    const json& entry = parsed.header[tensor.name];
    EXPECT_EQ(entry["dtype"], tensor.dtype == ExportDType::kFloat32 ? "F32" : "I64");
    EXPECT_EQ(entry["shape"].get<std::vector<int64_t>>(), tensor.shape);
    const size_t begin = entry["data_offsets"][0].get<size_t>();
    const size_t stop = entry["data_offsets"][1].get<size_t>();
    EXPECT_EQ(parsed.data.substr(begin, stop - begin), tensor.bytes) << tensor.name;
    end = std::max(end, stop);
  }
  EXPECT_EQ(end, parsed.data.size());
  EXPECT_EQ(parsed.header["layers.0.linear.weight"]["shape"], json({5, 4}));
  EXPECT_EQ(parsed.header["layers.1.bn.num_batches_tracked"]["dtype"], "I64");

  const json& metadata = parsed.header["__metadata__"];
  for (const auto& [key, value] : metadata.items()) EXPECT_TRUE(value.is_string()) << key;
  EXPECT_EQ(metadata["format"], kSafetensorsFormat);
  EXPECT_EQ(metadata["task"], "classification");
  EXPECT_EQ(json::parse(metadata["labels"].get<std::string>()), json({10, 20, 30}));
  EXPECT_EQ(json::parse(metadata["preprocessor"].get<std::string>())["scale"], "standard");
  const json layers = json::parse(metadata["layers"].get<std::string>());
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0]["module"], "layers.0");
  EXPECT_EQ(layers[0]["activation"], "relu");
  EXPECT_EQ(layers[1]["type"], "batchnorm");
}

TEST(SafetensorsExportTest, ExportsWhatOnnxCannotAndTheRegressionScale) {
  BundleOptions o;
  o.model = {{"architecture", "transformer_encoder_classifier"},
             {"d_model", 8},
             {"heads", 2},
             {"num_layers", 1},
             {"ff_dim", 16}};
  o.features = 12;
  o.sample_shape = {4, 3};
  o.string_labels = true;
  absl::StatusOr<ExportedFile> file =
      ExportNativeModel(RandomBundle(o), ExportFormat::kSafetensors);
  ASSERT_TRUE(file.ok()) << file.status();
  Parsed parsed = Parse(file->bytes);
  EXPECT_TRUE(parsed.header.contains("blocks.0.self_attn.in_proj_weight"));
  EXPECT_EQ(json::parse(parsed.header["__metadata__"]["labels"].get<std::string>()),
            json({"a", "b", "c"}));

  BundleOptions r;
  r.model = {{"architecture", "vae"}, {"encoder", {6}}, {"latent", 2}};
  r.task = "reconstruction";
  file = ExportNativeModel(RandomBundle(r), ExportFormat::kSafetensors);
  ASSERT_TRUE(file.ok()) << file.status();
  parsed = Parse(file->bytes);
  const json layers = json::parse(parsed.header["__metadata__"]["layers"].get<std::string>());
  EXPECT_EQ(layers[1]["module"], "mu");
  EXPECT_EQ(layers[2]["module"], "logvar");
  EXPECT_EQ(layers[3]["module"], "decoder.0");

  BundleOptions g;
  g.model = {{"architecture", "linear_regression"}};
  g.task = "regression";
  g.num_outputs = 1;
  file = ExportNativeModel(RandomBundle(g), ExportFormat::kSafetensors);
  ASSERT_TRUE(file.ok()) << file.status();
  parsed = Parse(file->bytes);
  EXPECT_EQ(json::parse(parsed.header["__metadata__"]["target_scale"].get<std::string>()),
            json({{"mean", 150.25}, {"std", 70.5}}));
}

}  // namespace
}  // namespace aiaas::training
