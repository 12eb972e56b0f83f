#include "cli/perf_inputs.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

json Metadata(const char* inputs) {
  return json::parse(absl::StrCat(R"({"name": "m", "inputs": )", inputs,
                                  R"(, "outputs": [{"name": "out"}, {"name": "aux"}]})"));
}

TEST(ParseShapeOverridesTest, OneOrSeveralInputs) {
  EXPECT_THAT(*ParseShapeOverrides("input:1,784"), ElementsAre(Pair("input", ElementsAre(1, 784))));
  EXPECT_THAT(*ParseShapeOverrides("a:2; b:1,3,4"),
              ElementsAre(Pair("a", ElementsAre(2)), Pair("b", ElementsAre(1, 3, 4))));
  EXPECT_THAT(*ParseShapeOverrides("ns:x:5"), ElementsAre(Pair("ns:x", ElementsAre(5))));
}

TEST(ParseShapeOverridesTest, Rejects) {
  for (const char* text : {"", "input", ":1,2", "x:", "x:1,,2", "x:0", "x:-1", "x:a", "x:1;x:2"}) {
    EXPECT_EQ(ParseShapeOverrides(text).status().code(), absl::StatusCode::kInvalidArgument)
        << text;
  }
  EXPECT_THAT(ParseShapeOverrides("x:1;x:2").status().message(), HasSubstr("'x' twice"));
}

TEST(ResolveInputSpecsTest, FixedShapesNeedNoFlags) {
  auto specs =
      ResolveInputSpecs(Metadata(R"([{"name": "x", "datatype": "INT64", "shape": [2, 3]}])"), {});
  ASSERT_TRUE(specs.ok()) << specs.status();
  ASSERT_EQ(specs->size(), 1u);
  EXPECT_EQ((*specs)[0].name, "x");
  EXPECT_EQ((*specs)[0].dtype, DataType::kInt64);
  EXPECT_FALSE((*specs)[0].dtype_assumed);
  EXPECT_THAT((*specs)[0].shape, ElementsAre(2, 3));
}

TEST(ResolveInputSpecsTest, DynamicDimsNeedShapeFlag) {
  const json metadata = Metadata(R"([{"name": "x", "datatype": "FP32", "shape": [-1, 784]}])");
  EXPECT_THAT(ResolveInputSpecs(metadata, {}).status().message(),
              HasSubstr("input 'x' has the dynamic shape [-1, 784]; give a concrete one with "
                        "--shape x:1,784"));
  InputResolveOptions options;
  options.shapes = {{"x", {4, 784}}};
  EXPECT_THAT((*ResolveInputSpecs(metadata, options))[0].shape, ElementsAre(4, 784));
}

TEST(ResolveInputSpecsTest, MissingShapeAndDatatype) {
  const json metadata = Metadata(R"([{"name": "input"}])");
  EXPECT_THAT(ResolveInputSpecs(metadata, {}).status().message(),
              HasSubstr("input 'input' has no declared shape; give a concrete one with --shape "
                        "input:1,..."));
  InputResolveOptions options;
  options.shapes = {{"input", {1, 784}}};
  auto specs = ResolveInputSpecs(metadata, options);
  ASSERT_TRUE(specs.ok()) << specs.status();
  EXPECT_EQ((*specs)[0].dtype, DataType::kFp32);
  EXPECT_TRUE((*specs)[0].dtype_assumed);
}

TEST(ResolveInputSpecsTest, BatchSizeSetsDimZero) {
  const json metadata = Metadata(
      R"([{"name": "a", "datatype": "FP32", "shape": [-1, 4]},
          {"name": "b", "datatype": "INT32", "shape": [-1]}])");
  InputResolveOptions options;
  options.batch_size = 8;
  auto specs = ResolveInputSpecs(metadata, options);
  ASSERT_TRUE(specs.ok()) << specs.status();
  EXPECT_THAT((*specs)[0].shape, ElementsAre(8, 4));
  EXPECT_THAT((*specs)[1].shape, ElementsAre(8));
  options.shapes = {{"a", {1, 5}}};
  EXPECT_THAT((*ResolveInputSpecs(metadata, options))[0].shape, ElementsAre(8, 5));
}

TEST(ResolveInputSpecsTest, Errors) {
  InputResolveOptions batch;
  batch.batch_size = 4;
  EXPECT_THAT(
      ResolveInputSpecs(Metadata(R"([{"name": "x", "datatype": "FP32", "shape": [1, 3]}])"), batch)
          .status()
          .message(),
      HasSubstr("fixed dim 0 of 1; --batch-size 4"));
  InputResolveOptions unknown;
  unknown.shapes = {{"y", {1}}};
  EXPECT_THAT(
      ResolveInputSpecs(Metadata(R"([{"name": "x", "datatype": "FP32", "shape": [1]}])"), unknown)
          .status()
          .message(),
      HasSubstr("--shape names 'y', which is not an input"));
  EXPECT_THAT(ResolveInputSpecs(Metadata("[]"), {}).status().message(), HasSubstr("no inputs"));
  EXPECT_FALSE(
      ResolveInputSpecs(Metadata(R"([{"name": "x", "datatype": "FP8", "shape": [1]}])"), {}).ok());
  EXPECT_FALSE(
      ResolveInputSpecs(Metadata(R"([{"name": "x", "datatype": "FP32", "shape": "1"}])"), {}).ok());
  EXPECT_THAT(ResolveInputSpecs(
                  Metadata(R"([{"name": "x", "datatype": "FP32", "shape": [100000, 100000]}])"), {})
                  .status()
                  .message(),
              HasSubstr("input 'x' shape [100000, 100000]"));
}

TEST(RandomInputsTest, SizesFollowShapesAndSeed) {
  const std::vector<PerfInputSpec> specs = {{"a", DataType::kFp32, false, {2, 3}},
                                            {"b", DataType::kInt64, false, {4}}};
  auto tensors = RandomInputs(specs, 42);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ASSERT_EQ(tensors->size(), 2u);
  EXPECT_EQ((*tensors)[0].data.size(), 24u);
  EXPECT_EQ((*tensors)[1].data.size(), 32u);
  EXPECT_THAT((*tensors)[1].shape, ElementsAre(4));
  EXPECT_EQ((*RandomInputs(specs, 42))[1].data, (*tensors)[1].data);
  EXPECT_NE((*RandomInputs(specs, 43))[0].data, (*tensors)[0].data);
}

TEST(TensorsFromRequestJsonTest, ConvertsData) {
  auto tensors = TensorsFromRequestJson(json::parse(
      R"({"inputs": [{"name": "x", "shape": [1, 2], "datatype": "UINT8", "data": [[7, 9]]}]})"));
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  EXPECT_EQ((*tensors)[0].name, "x");
  EXPECT_EQ((*tensors)[0].dtype, DataType::kUint8);
  EXPECT_EQ((*tensors)[0].data, "\x07\x09");
  EXPECT_EQ(DescribeInputs(*tensors), "x UINT8 [1, 2]");
}

TEST(TensorsFromRequestJsonTest, Rejects) {
  EXPECT_THAT(TensorsFromRequestJson(json::parse("{}")).status().message(),
              HasSubstr("KServe v2 request"));
  EXPECT_THAT(TensorsFromRequestJson(
                  json::parse(R"({"inputs": [{"name": "x", "shape": [2], "datatype": "FP32"}]})"))
                  .status()
                  .message(),
              HasSubstr("--input-data input 'x' has no data"));
  EXPECT_THAT(
      TensorsFromRequestJson(
          json::parse(
              R"({"inputs": [{"name": "x", "shape": [2], "datatype": "FP32", "data": [1]}]})"))
          .status()
          .message(),
      HasSubstr("has 1 values, the shape needs 2"));
}

TEST(OutputNamesTest, FromMetadata) {
  EXPECT_THAT(OutputNames(Metadata("[]")), ElementsAre("out", "aux"));
  EXPECT_TRUE(OutputNames(json::parse("{}")).empty());
}

}  // namespace
}  // namespace aiaas::cli
