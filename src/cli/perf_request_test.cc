#include "cli/perf_request.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::HasSubstr;

// x: FP32 [1, 2] = {1.0, 2.0}; flags: BOOL [3] = {1, 0, 1}.
std::vector<PerfTensor> SmallInputs() {
  return {{"x", DataType::kFp32, {1, 2}, std::string("\x00\x00\x80\x3f\x00\x00\x00\x40", 8)},
          {"flags", DataType::kBool, {3}, std::string("\x01\x00\x01", 3)}};
}

TEST(EncodeBinaryRequestTest, ExactBytes) {
  const EncodedRequest request = EncodeBinaryRequest(SmallInputs(), {"y"});
  const std::string header =
      R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","parameters":{"binary_data_size":8}},)"
      R"({"name":"flags","shape":[3],"datatype":"BOOL","parameters":{"binary_data_size":3}}],)"
      R"("outputs":[{"name":"y","parameters":{"binary_data":true}}]})";
  EXPECT_EQ(request.body, header + std::string("\x00\x00\x80\x3f\x00\x00\x00\x40\x01\x00\x01", 11));
  ASSERT_TRUE(request.json_header_length.has_value());
  EXPECT_EQ(*request.json_header_length, header.size());
  EXPECT_EQ(request.content_type, "application/octet-stream");
}

TEST(EncodeBinaryRequestTest, WithoutOutputNamesAsksForBinaryOutputs) {
  const std::vector<PerfTensor> inputs = {{"x", DataType::kInt8, {1}, std::string("\x05", 1)}};
  const EncodedRequest request = EncodeBinaryRequest(inputs, {});
  EXPECT_EQ(request.body, R"({"inputs":[{"name":"x","shape":[1],"datatype":"INT8","parameters":)"
                          R"({"binary_data_size":1}}],"parameters":{"binary_data_output":true}})"
                          "\x05");
  EXPECT_EQ(*request.json_header_length, request.body.size() - 1);
}

TEST(EncodeJsonRequestTest, KServeJsonBody) {
  absl::StatusOr<EncodedRequest> request = EncodeJsonRequest(SmallInputs());
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->body,
            R"({"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1.0,2.0]},)"
            R"({"name":"flags","shape":[3],"datatype":"BOOL","data":[true,false,true]}]})");
  EXPECT_EQ(request->content_type, "application/json");
  EXPECT_FALSE(request->json_header_length.has_value());
}

TEST(EncodeJsonRequestTest, HalfPrecisionNeedsBinary) {
  const std::vector<PerfTensor> inputs = {{"h", DataType::kFp16, {1}, std::string("\x00\x3c", 2)}};
  EXPECT_THAT(EncodeJsonRequest(inputs).status().message(),
              HasSubstr("input 'h': FP16 tensors cannot be sent as KServe JSON; use --protocol "
                        "binary"));
}

}  // namespace
}  // namespace aiaas::cli
