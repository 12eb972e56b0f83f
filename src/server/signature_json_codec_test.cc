#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/kserve_json_codec.h"

namespace aiaas::server {
namespace {

using ::testing::HasSubstr;

bool SameSpecs(const std::vector<TensorSpec>& a, const std::vector<TensorSpec>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].dtype != b[i].dtype || a[i].shape != b[i].shape) {
      return false;
    }
  }
  return true;
}

std::string DecodeError(const std::string& body) {
  auto result = DecodeSignatureJson(body);
  EXPECT_FALSE(result.ok()) << body;
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  return std::string(result.status().message());
}

TEST(SignatureJsonTest, EncodesKnownPartsOnly) {
  Signature signature;
  signature.inputs.push_back({"x", DataType::kFp32, std::vector<int64_t>{-1, 784}});
  signature.inputs.push_back({"mask", DataType::kBool, std::nullopt});
  signature.outputs.push_back({"output_0", std::nullopt, std::nullopt});
  signature.outputs.push_back({"scores", std::nullopt, std::vector<int64_t>{}});
  EXPECT_EQ(EncodeSignatureJson(signature),
            R"({"inputs":[{"name":"x","datatype":"FP32","shape":[-1,784]},)"
            R"({"name":"mask","datatype":"BOOL"}],)"
            R"("outputs":[{"name":"output_0"},{"name":"scores","shape":[]}]})");
  EXPECT_EQ(EncodeSignatureJson(Signature{}), R"({"inputs":[],"outputs":[]})");
}

TEST(SignatureJsonTest, RoundTrips) {
  Signature signature;
  signature.inputs.push_back({"x", DataType::kFp32, std::vector<int64_t>{-1, 3, 224, 224}});
  signature.inputs.push_back({"ids", DataType::kInt64, std::nullopt});
  signature.inputs.push_back({"any", std::nullopt, std::nullopt});
  signature.outputs.push_back({"y", DataType::kFp16, std::vector<int64_t>{-1}});
  signature.outputs.push_back({"x", std::nullopt, std::nullopt});  // may reuse an input name
  auto decoded = DecodeSignatureJson(EncodeSignatureJson(signature));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(SameSpecs(decoded->inputs, signature.inputs));
  EXPECT_TRUE(SameSpecs(decoded->outputs, signature.outputs));
}

TEST(SignatureJsonTest, ListsAreOptional) {
  auto empty = DecodeSignatureJson("{}");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->inputs.empty());
  EXPECT_TRUE(empty->outputs.empty());
  auto inputs_only = DecodeSignatureJson(R"({"inputs": [{"name": "x", "shape": [2]}]})");
  ASSERT_TRUE(inputs_only.ok()) << inputs_only.status();
  ASSERT_EQ(inputs_only->inputs.size(), 1u);
  EXPECT_FALSE(inputs_only->inputs[0].dtype.has_value());
  EXPECT_EQ(inputs_only->inputs[0].shape, std::vector<int64_t>{2});
  EXPECT_TRUE(inputs_only->outputs.empty());
}

TEST(SignatureJsonTest, RejectsBadSpecs) {
  EXPECT_EQ(DecodeError(R"({"inputs": [{"name": ""}]})"),
            "signature inputs[0] needs a non-empty string 'name'");
  EXPECT_THAT(DecodeError(R"({"outputs": [{"datatype": "FP32"}]})"),
              HasSubstr("signature outputs[0] needs a non-empty string 'name'"));
  EXPECT_EQ(DecodeError(R"({"inputs": [{"name": "x"}, {"name": "x"}]})"),
            "signature inputs name 'x' appears more than once");
  EXPECT_THAT(DecodeError(R"({"outputs": [{"name": "y"}, {"name": "y"}]})"),
              HasSubstr("signature outputs name 'y' appears more than once"));
  EXPECT_THAT(DecodeError(R"({"inputs": [{"name": "x", "datatype": "float"}]})"),
              HasSubstr("signature tensor 'x': unknown datatype 'float'"));
  EXPECT_THAT(DecodeError(R"({"inputs": [{"name": "x", "datatype": 1}]})"),
              HasSubstr("'datatype' must be a string"));
  EXPECT_THAT(DecodeError(R"({"inputs": [{"name": "x", "shape": [-2]}]})"),
              HasSubstr("'shape' must be an array of integers >= -1 (-1 = dynamic), got -2"));
  EXPECT_THAT(DecodeError(R"({"inputs": [{"name": "x", "shape": [1.5]}]})"), HasSubstr("got 1.5"));
  EXPECT_THAT(DecodeError(R"({"inputs": [{"name": "x", "shape": 3}]})"),
              HasSubstr("'shape' must be an array"));
  EXPECT_THAT(DecodeError(R"({"inputs": [{"name": "x", "dtype": "FP32"}]})"),
              HasSubstr("unknown key 'dtype'; allowed keys are name, datatype, shape"));
  EXPECT_THAT(DecodeError(R"({"input": []})"), HasSubstr("signature has unknown key 'input'"));
  EXPECT_THAT(DecodeError(R"({"inputs": {}})"),
              HasSubstr("signature 'inputs' must be an array, got an object"));
  EXPECT_THAT(DecodeError(R"({"inputs": ["x"]})"),
              HasSubstr("signature inputs[0] must be an object, got a string"));
  EXPECT_THAT(DecodeError(R"({"inputs": [)"), HasSubstr("invalid JSON"));
  EXPECT_THAT(DecodeError("null"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(DecodeError(std::string(70, '{')), HasSubstr("nesting deeper than 64"));
}

}  // namespace
}  // namespace aiaas::server
