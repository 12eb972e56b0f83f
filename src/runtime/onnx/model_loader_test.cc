#include "runtime/onnx/model_loader.h"

#include <ATen/ATen.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "onnx/onnx_pb.h"
#include "runtime/onnx/test_models.h"

namespace aiaas::runtime::onnxrt {
namespace {

using ::testing::HasSubstr;
using testing::AllOps;
using testing::ModelBuilder;

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;

absl::StatusOr<ValidatedModel> Load(const std::string& bytes,
                                    const ModelLoadOptions& options = {}) {
  return LoadModelFromBytes(bytes, AllOps(), options);
}

// x[N,4] -> MatMul(w[4,3]) -> Add(b[3]) -> Relu -> y[N,3]
ModelBuilder SmallMlp() {
  ModelBuilder builder;
  builder.Input("x", kFloat, {testing::kDynamic, 4})
      .Initializer("w", at::ones({4, 3}))
      .Initializer("b", at::zeros({3}))
      .Output("y", kFloat, {testing::kDynamic, 3});
  builder.Node("MatMul", {"x", "w"}, {"xw"}, "matmul");
  builder.Node("Add", {"xw", "b"}, {"z"}, "add");
  builder.Node("Relu", {"z"}, {"y"}, "relu");
  return builder;
}

int64_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

TEST(ModelLoaderTest, LoadsAValidModel) {
  auto model = Load(SmallMlp().Bytes());
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->opsets.at(""), 13);
  EXPECT_EQ(model->proto->graph().node_size(), 3);
}

TEST(ModelLoaderTest, TruncatedProtobufIsInvalidArgument) {
  const std::string bytes = SmallMlp().Bytes();
  for (size_t length : {bytes.size() - 1, bytes.size() / 2, size_t{3}}) {
    auto model = Load(bytes.substr(0, length));
    ASSERT_FALSE(model.ok()) << length;
    EXPECT_TRUE(absl::IsInvalidArgument(model.status())) << model.status();
    EXPECT_THAT(std::string(model.status().message()), HasSubstr("truncated")) << length;
  }
}

TEST(ModelLoaderTest, GarbageAndEmptyFilesAreInvalidArgument) {
  EXPECT_TRUE(absl::IsInvalidArgument(Load("").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(Load("this is a text file, not ONNX\n").status()));
  std::string noise(4096, '\0');
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919) % 251);
  EXPECT_TRUE(absl::IsInvalidArgument(Load(noise).status()));
}

TEST(ModelLoaderTest, SizeLimitIsCheckedFirst) {
  ModelLoadOptions options;
  options.max_model_bytes = 10;
  auto model = Load(SmallMlp().Bytes(), options);
  EXPECT_TRUE(absl::IsInvalidArgument(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("limit"));
}

TEST(ModelLoaderTest, CycleIsRejected) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {2}).Output("y", kFloat, {2});
  builder.Node("Add", {"x", "b"}, {"a"}, "first");
  builder.Node("Relu", {"a"}, {"b"}, "second");
  builder.Node("Identity", {"a"}, {"y"}, "out");
  auto model = Load(builder.Bytes());
  EXPECT_TRUE(absl::IsInvalidArgument(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("cycle"));
}

TEST(ModelLoaderTest, SelfLoopIsACycle) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {2}).Output("y", kFloat, {2});
  builder.Node("Add", {"x", "y"}, {"y"}, "loop");
  EXPECT_THAT(std::string(Load(builder.Bytes()).status().message()), HasSubstr("cycle"));
}

TEST(ModelLoaderTest, UnsortedGraphIsSortedStably) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {2}).Output("y", kFloat, {2});
  builder.Node("Relu", {"b"}, {"y"}, "third");
  builder.Node("Sigmoid", {"x"}, {"a"}, "first");
  builder.Node("Tanh", {"a"}, {"b"}, "second");
  auto model = Load(builder.Bytes());
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& nodes = model->proto->graph().node();
  EXPECT_EQ(nodes[0].name(), "first");
  EXPECT_EQ(nodes[1].name(), "second");
  EXPECT_EQ(nodes[2].name(), "third");
}

TEST(ModelLoaderTest, UndefinedInputIsNamed) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {2}).Output("y", kFloat, {2});
  builder.Node("Add", {"x", "ghost"}, {"y"}, "adder");
  auto model = Load(builder.Bytes());
  EXPECT_TRUE(absl::IsInvalidArgument(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("'ghost'"));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("'adder'"));
}

TEST(ModelLoaderTest, ValueDefinedTwiceIsRejected) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {2}).Output("y", kFloat, {2});
  builder.Node("Relu", {"x"}, {"y"}, "one");
  builder.Node("Tanh", {"x"}, {"y"}, "two");
  auto model = Load(builder.Bytes());
  EXPECT_TRUE(absl::IsInvalidArgument(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("defined"));
}

TEST(ModelLoaderTest, InitializerSizeMustMatchItsDims) {
  ModelBuilder raw = SmallMlp();
  raw.graph().mutable_initializer(0)->set_raw_data(std::string(4, '\0'));  // dims [4,3]
  auto model = Load(raw.Bytes());
  EXPECT_TRUE(absl::IsInvalidArgument(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("'w'"));

  ModelBuilder typed = SmallMlp();
  onnx::TensorProto* w = typed.graph().mutable_initializer(0);
  w->clear_raw_data();
  for (int i = 0; i < 5; ++i) w->add_float_data(1.0f);
  EXPECT_THAT(std::string(Load(typed.Bytes()).status().message()), HasSubstr("5 values"));
}

TEST(ModelLoaderTest, OverflowingOrNegativeDimsAreRejectedBeforeAllocating) {
  ModelBuilder huge = SmallMlp();
  onnx::TensorProto* w = huge.graph().mutable_initializer(0);
  w->clear_dims();
  w->add_dims(int64_t{1} << 40);
  w->add_dims(int64_t{1} << 40);
  auto model = Load(huge.Bytes());
  EXPECT_TRUE(absl::IsInvalidArgument(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("overflow"));

  // The product fits int64, the byte size does not.
  w->clear_dims();
  w->add_dims(int64_t{1} << 62);
  EXPECT_TRUE(absl::IsInvalidArgument(Load(huge.Bytes()).status()));

  w->clear_dims();
  w->add_dims(-4);
  w->add_dims(-3);
  EXPECT_THAT(std::string(Load(huge.Bytes()).status().message()), HasSubstr("negative"));
}

TEST(ModelLoaderTest, ExternalDataIsRefusedWithoutOpeningThePath) {
  ModelBuilder builder = SmallMlp();
  onnx::TensorProto* w = builder.graph().mutable_initializer(0);
  w->clear_raw_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* location = w->add_external_data();
  location->set_key("location");
  location->set_value("../../../../etc/passwd");
  auto model = Load(builder.Bytes());
  EXPECT_TRUE(absl::IsUnimplemented(model.status())) << model.status();
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("external"));

  // external_data entries alone (data_location left DEFAULT) count too, also in a
  // Constant node's attribute.
  ModelBuilder constant;
  constant.Output("y", kFloat, {2});
  onnx::NodeProto& node = constant.Node("Constant", {}, {"y"}, "c");
  testing::SetTensor(node, "value", at::ones({2}));
  auto* entry = node.mutable_attribute(0)->mutable_t()->add_external_data();
  entry->set_key("location");
  entry->set_value("../secret.bin");
  EXPECT_TRUE(absl::IsUnimplemented(Load(constant.Bytes()).status()));
}

// ModelProto{ir_version: 8, opset_import{version: 13}, graph{node{op_type: "Relu"} x 1e6}},
// written directly in the wire format: 8 MB of bytes, no NodeProto objects.
std::string MillionNodeBytes() {
  const std::string node = std::string("\x0a\x06\x22\x04Relu", 8);
  std::string graph;
  graph.reserve(node.size() * 1'000'000);
  for (int i = 0; i < 1'000'000; ++i) graph += node;
  std::string bytes;
  bytes += std::string("\x08\x08", 2);          // ir_version = 8
  bytes += std::string("\x42\x02\x10\x0d", 4);  // opset_import { version: 13 }
  bytes.push_back('\x3a');                      // field 7 (graph), length-delimited
  AppendVarint(bytes, graph.size());
  bytes += graph;
  return bytes;
}

TEST(ModelLoaderTest, AMillionNodesAreRejectedQuicklyWithoutParsing) {
  const std::string bytes = MillionNodeBytes();
  const int64_t rss_before = PeakRssBytes();
  const auto start = std::chrono::steady_clock::now();
  auto model = Load(bytes);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(absl::IsInvalidArgument(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("200000 nodes"));
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  // Parsing would build a million NodeProtos (hundreds of MB); the prescan allocates none.
  EXPECT_LT(PeakRssBytes() - rss_before, int64_t{32} << 20);
}

TEST(ModelLoaderTest, NodeLimitIsAnOption) {
  ModelLoadOptions options;
  options.max_nodes = 2;
  auto model = Load(SmallMlp().Bytes(), options);
  EXPECT_TRUE(absl::IsInvalidArgument(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("more than 2 nodes"));
}

TEST(ModelLoaderTest, UnsupportedOperatorsAreNamedWithTheirNodes) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {1, 1, 4, 4}).Output("y", kFloat, {1, 1, 4, 4});
  builder.Node("Relu", {"x"}, {"a"}, "relu");
  // Valid ONNX that this runtime has no kernels for (quantization ops).
  builder.Node("DynamicQuantizeLinear", {"a"}, {"q", "scale", "zero"}, "quantize");
  builder.Node("DequantizeLinear", {"q", "scale", "zero"}, {"y"}, "dequantize");
  auto model = Load(builder.Bytes());
  EXPECT_TRUE(absl::IsUnimplemented(model.status())) << model.status();
  const std::string message(model.status().message());
  EXPECT_THAT(message, HasSubstr("DynamicQuantizeLinear in node 'quantize'"));
  EXPECT_THAT(message, HasSubstr("DequantizeLinear in node 'dequantize'"));
}

TEST(ModelLoaderTest, OpsetsAndIrVersionsOutsideTheRangeAreUnsupported) {
  ModelBuilder opset18(18);
  opset18.Input("x", kFloat, {2}).Output("y", kFloat, {2});
  opset18.Node("Relu", {"x"}, {"y"});
  auto model = Load(opset18.Bytes());
  EXPECT_TRUE(absl::IsUnimplemented(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("opset 18"));

  ModelBuilder ir = SmallMlp();
  ir.proto().set_ir_version(99);
  EXPECT_TRUE(absl::IsUnimplemented(Load(ir.Bytes()).status()));
}

TEST(ModelLoaderTest, OtherDomainsMustBeImportedAndSupported) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {2}).Output("y", kFloat, {2});
  builder.Node("Normalizer", {"x"}, {"y"}, "norm").set_domain("ai.onnx.ml");
  EXPECT_TRUE(absl::IsInvalidArgument(Load(builder.Bytes()).status()));  // not imported
  builder.Import("ai.onnx.ml", 1);
  auto model = Load(builder.Bytes());
  EXPECT_TRUE(absl::IsUnimplemented(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("domain 'ai.onnx.ml'"));
}

TEST(ModelLoaderTest, CheckerAndShapeInferenceErrorsAreInvalidArgument) {
  ModelBuilder arity;
  arity.Input("x", kFloat, {2}).Output("y", kFloat, {2});
  arity.Node("Relu", {"x", "x"}, {"y"}, "two_inputs");
  auto checked = Load(arity.Bytes());
  EXPECT_TRUE(absl::IsInvalidArgument(checked.status()));
  EXPECT_THAT(std::string(checked.status().message()), HasSubstr("checker"));

  ModelBuilder shapes;
  shapes.Input("a", kFloat, {2, 3}).Input("b", kFloat, {4, 5}).Output("y", kFloat, {2, 3});
  shapes.Node("Add", {"a", "b"}, {"y"}, "bad_add");
  auto inferred = Load(shapes.Bytes());
  EXPECT_TRUE(absl::IsInvalidArgument(inferred.status()));
  EXPECT_THAT(std::string(inferred.status().message()), HasSubstr("shape inference"));
}

// ONNX 1.12's LayerNormalization shape inference writes out of bounds for an axis
// below -rank (or one truncating to a negative int) when Mean/InvStdDev are wanted; the
// loader checks the axis first. Found by fuzz/onnx_loader_fuzz.cc (reproducer:
// fuzz/regressions/onnx_loader/layer_norm_axis_below_rank).
TEST(ModelLoaderTest, LayerNormalizationAxisOutsideTheRankIsRefused) {
  auto build = [](int64_t axis) {
    ModelBuilder builder(17);
    builder.Input("x", kFloat, {3, 4})
        .Initializer("scale", at::ones({4}))
        .Output("y", kFloat, {3, 4})
        .Output("mean", kFloat, {3, 1})
        .Output("inv_std_dev", kFloat, {3, 1});
    onnx::NodeProto& node = builder.Node("LayerNormalization", {"x", "scale"},
                                         {"y", "mean", "inv_std_dev"}, "layer_norm");
    testing::SetInt(node, "axis", axis);
    return builder.Bytes();
  };
  auto valid = Load(build(-1));
  ASSERT_TRUE(valid.ok()) << valid.status();
  for (int64_t axis : {int64_t{-3}, int64_t{2}, int64_t{0xFFFFFFFF},
                       std::numeric_limits<int64_t>::min()}) {
    auto model = Load(build(axis));
    EXPECT_TRUE(absl::IsInvalidArgument(model.status())) << axis << ": " << model.status();
    EXPECT_THAT(std::string(model.status().message()), HasSubstr("out of range")) << axis;
  }
}

// ONNX's Scan inference sizes vectors by num_scan_inputs before checking it: 2^40 asked
// for terabytes. Found by fuzz/onnx_loader_fuzz.cc (scan_num_scan_inputs_huge).
TEST(ModelLoaderTest, ScanWithMoreScanInputsThanInputsIsRefused) {
  auto build = [](int64_t num_scan_inputs) {
    ModelBuilder builder(16);
    builder.Input("state", kFloat, {2}).Input("xs", kFloat, {3, 2}).Output("final", kFloat, {2});
    onnx::NodeProto& scan = builder.Node("Scan", {"state", "xs"}, {"final"}, "scan");
    testing::SetInt(scan, "num_scan_inputs", num_scan_inputs);
    onnx::GraphProto& body = testing::SetGraph(scan, "body");
    testing::AddValue(body, /*input=*/true, "s", kFloat, {2});
    testing::AddValue(body, /*input=*/true, "x", kFloat, {2});
    testing::AddValue(body, /*input=*/false, "s_next", kFloat, {2});
    onnx::NodeProto* add = body.add_node();
    add->set_op_type("Add");
    add->add_input("s");
    add->add_input("x");
    add->add_output("s_next");
    return builder.Bytes();
  };
  auto valid = Load(build(1));
  ASSERT_TRUE(valid.ok()) << valid.status();
  for (int64_t count : {int64_t{0}, int64_t{3}, int64_t{1} << 40}) {
    auto model = Load(build(count));
    EXPECT_TRUE(absl::IsInvalidArgument(model.status())) << count << ": " << model.status();
    EXPECT_THAT(std::string(model.status().message()), HasSubstr("num_scan_inputs")) << count;
  }
}

TEST(ModelLoaderTest, UnsupportedElementTypesAreNamed) {
  ModelBuilder strings;
  strings.Input("s", onnx::TensorProto::STRING, {2}).Output("y", onnx::TensorProto::STRING, {2});
  strings.Node("Identity", {"s"}, {"y"});
  auto model = Load(strings.Bytes());
  EXPECT_TRUE(absl::IsUnimplemented(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("STRING"));

  ModelBuilder cast;  // the unsupported type appears only after shape inference
  cast.Input("x", kFloat, {2}).Output("y", kFloat, {2});
  testing::SetInt(cast.Node("Cast", {"x"}, {"u"}), "to", onnx::TensorProto::UINT32);
  testing::SetInt(cast.Node("Cast", {"u"}, {"y"}), "to", onnx::TensorProto::FLOAT);
  model = Load(cast.Bytes());
  EXPECT_TRUE(absl::IsUnimplemented(model.status()));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("UINT32"));
}

TEST(ModelLoaderTest, MissingFileIsInvalidArgument) {
  auto model = LoadModelFromFile("/nonexistent/model.onnx", AllOps(), {});
  EXPECT_TRUE(absl::IsInvalidArgument(model.status()));
}

// A file in the test's temporary directory, removed at the end of the test.
class ModelFile {
 public:
  explicit ModelFile(const std::string& bytes)
      : path_(std::filesystem::path(::testing::TempDir()) /
              (std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
               ".onnx")) {
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~ModelFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(ModelLoaderTest, LoadsAValidModelFromAFile) {
  ModelFile file(SmallMlp().Bytes());
  auto model = LoadModelFromFile(file.path(), AllOps(), {});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->proto->graph().node_size(), 3);
  EXPECT_EQ(model->proto->graph().initializer_size(), 2);
}

TEST(ModelLoaderTest, EmptyTruncatedAndOversizedFilesAreInvalidArgument) {
  ModelFile empty("");
  auto model = LoadModelFromFile(empty.path(), AllOps(), {});
  EXPECT_TRUE(absl::IsInvalidArgument(model.status())) << model.status();
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("empty"));

  const std::string bytes = SmallMlp().Bytes();
  ModelFile truncated(bytes.substr(0, bytes.size() - 7));
  model = LoadModelFromFile(truncated.path(), AllOps(), {});
  EXPECT_TRUE(absl::IsInvalidArgument(model.status())) << model.status();

  ModelLoadOptions small;
  small.max_model_bytes = static_cast<int64_t>(bytes.size()) - 1;
  ModelFile whole(bytes);
  model = LoadModelFromFile(whole.path(), AllOps(), small);
  EXPECT_TRUE(absl::IsInvalidArgument(model.status())) << model.status();
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("limit"));
}

int64_t CurrentRssBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0;
  int64_t resident_pages = 0;
  statm >> size_pages >> resident_pages;
  return resident_pages * sysconf(_SC_PAGESIZE);
}

TEST(ModelLoaderTest, RefusedFilesGiveTheirBufferBackToTheSystem) {
  // A heap buffer for the file's bytes would stay resident after the first few loads (glibc
  // raises its mmap threshold once a large block is freed and keeps the next ones).
  const std::string bytes = MillionNodeBytes();
  ModelFile file(bytes);
  const int64_t rss_before = CurrentRssBytes();
  for (int i = 0; i < 4; ++i) {
    auto model = LoadModelFromFile(file.path(), AllOps(), {});
    EXPECT_THAT(std::string(model.status().message()), HasSubstr("200000 nodes"));
  }
  EXPECT_LT(CurrentRssBytes() - rss_before, static_cast<int64_t>(bytes.size()) / 4);
}

}  // namespace
}  // namespace aiaas::runtime::onnxrt
