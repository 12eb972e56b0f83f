// Request decoding behaviour that comes with reading values straight from the
// parser (kserve_json_codec_values.cc): number edge cases, which error wins, and
// the all-metadata-before-any-value order. The bulk of the decoder's tests is in
// kserve_json_codec_test.cc.
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/kserve_json_codec.h"

namespace aiaas::server {
namespace {

using ::testing::HasSubstr;

template <typename T>
std::vector<std::byte> Bytes(const std::vector<T>& values) {
  std::vector<std::byte> bytes(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::string OneInput(const std::string& datatype, const std::string& shape,
                     const std::string& data) {
  return absl::StrCat(R"({"inputs":[{"name":"x","datatype":")", datatype, R"(","shape":)", shape,
                      R"(,"data":)", data, "}]}");
}

absl::StatusOr<InferRequest> Decode(std::string_view body) {
  return DecodeInferRequest(body, Signature{}, CodecLimits{});
}

std::string DecodeError(std::string_view body) {
  auto result = Decode(body);
  EXPECT_FALSE(result.ok()) << body;
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  return std::string(result.status().message());
}

TEST(DecodeInferRequestValuesTest, IntegersBeyond64BitsAreFloats) {
  // As with any JSON parser that reads them as doubles (JavaScript writes 2e19 so).
  auto big = Decode(OneInput("FP64", "[2]", "[20000000000000000000,-9223372036854775809]"));
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->inputs.at("x").data, Bytes<double>({2e19, -9223372036854775809.0}));
  EXPECT_EQ(DecodeError(OneInput("INT64", "[1]", "[-9223372036854775809]")),
            "input 'x': value -9.223372036854776e+18 at index 0 is a non-integer number; INT64 "
            "needs an integer");
}

TEST(DecodeInferRequestValuesTest, LayoutErrorsWinOverValueErrors) {
  // The first problem a full layout check finds is reported, even when a bad value
  // comes earlier in the data.
  EXPECT_THAT(DecodeError(OneInput("FP32", "[4]", R"([1,"a",[2],3])")),
              HasSubstr("'data' mixes values and arrays (data[2] is an array)"));
  EXPECT_THAT(DecodeError(OneInput("FP32", "[2,2]", R"([[1,"a"],[2,[3]]])")),
              HasSubstr("data[1][1] is an array, but the shape has only 2 dimension(s)"));
  EXPECT_EQ(DecodeError(OneInput("FP32", "[2,2]", R"([[1,"a"],[2,3]])")),
            "input 'x': value \"a\" at index 1 is a string; FP32 needs a number");
}

TEST(DecodeInferRequestValuesTest, AllInputsAreCheckedBeforeAnyValueIsRead) {
  // The second input's bad shape is reported, not the first input's bad value.
  EXPECT_THAT(DecodeError(R"({"inputs": [
      {"name": "a", "shape": [1], "datatype": "INT8", "data": [1000]},
      {"name": "b", "shape": [-1], "datatype": "INT8", "data": []}]})"),
              HasSubstr("input 'b': 'shape' must be an array of non-negative integers"));
  EXPECT_THAT(DecodeError(R"({"inputs": [
      {"name": "a", "shape": [1], "datatype": "INT8", "data": [1000]},
      {"name": "b", "shape": [1], "datatype": "INT8", "data": [1]}]})"),
              HasSubstr("input 'a': value 1000 at index 0 is out of range for INT8"));
}

TEST(DecodeInferRequestValuesTest, RepeatedKeysKeepTheLastValue) {
  auto request = Decode(R"({"id": "1", "id": "2", "inputs": [{"name": "x", "datatype": "INT8",
                           "shape": [1], "data": [1], "data": [2]}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->id, "2");
  EXPECT_EQ(request->inputs.at("x").data, Bytes<int8_t>({2}));
}

TEST(DecodeInferRequestValuesTest, EveryIntegerTypeChecksItsRangeAtBothEnds) {
  struct Case {
    std::string datatype, low, high, below, above;
  };
  const std::vector<Case> cases = {
      {"UINT8", "0", "255", "-1", "256"},
      {"UINT16", "0", "65535", "-1", "65536"},
      {"UINT32", "0", "4294967295", "-1", "4294967296"},
      {"UINT64", "0", "18446744073709551615", "-1", "18446744073709551616"},
      {"INT8", "-128", "127", "-129", "128"},
      {"INT16", "-32768", "32767", "-32769", "32768"},
      {"INT32", "-2147483648", "2147483647", "-2147483649", "2147483648"},
      {"INT64", "-9223372036854775808", "9223372036854775807", "-9223372036854775809",
       "9223372036854775808"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.datatype);
    EXPECT_TRUE(
        Decode(OneInput(c.datatype, "[2]", absl::StrCat("[", c.low, ",", c.high, "]"))).ok());
    EXPECT_FALSE(Decode(OneInput(c.datatype, "[1]", absl::StrCat("[", c.below, "]"))).ok());
    EXPECT_FALSE(Decode(OneInput(c.datatype, "[1]", absl::StrCat("[", c.above, "]"))).ok());
  }
}

}  // namespace
}  // namespace aiaas::server
