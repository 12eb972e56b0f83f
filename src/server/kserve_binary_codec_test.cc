#include "server/kserve_binary_codec.h"

#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace aiaas::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

template <typename T>
std::string Raw(const std::vector<T>& values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::vector<std::byte> Bytes(std::string_view raw) {
  std::vector<std::byte> bytes(raw.size());
  if (!raw.empty()) std::memcpy(bytes.data(), raw.data(), raw.size());
  return bytes;
}

// BYTES elements in the binary layout: a 4-byte little-endian length, then the bytes.
std::string LengthPrefixed(const std::vector<std::string>& elements) {
  std::string out;
  for (const std::string& element : elements) {
    out += Raw<uint32_t>({static_cast<uint32_t>(element.size())});
    out += element;
  }
  return out;
}

// A binary input object: {"name", "datatype", "shape", "parameters": {"binary_data_size"}}.
std::string BinaryInput(const std::string& name, const std::string& datatype,
                        const std::string& shape, const std::string& size) {
  return absl::StrCat(R"({"name":")", name, R"(","datatype":")", datatype, R"(","shape":)", shape,
                      R"(,"parameters":{"binary_data_size":)", size, "}}");
}

// A request body: the JSON header followed by `binary`, and the header's length.
struct Body {
  std::string bytes;
  size_t json_header_length;
};

Body MakeBody(const std::string& json, const std::string& binary) {
  return {json + binary, json.size()};
}

Body OneBinaryInput(const std::string& datatype, const std::string& shape,
                    const std::string& binary) {
  return MakeBody(
      absl::StrCat(R"({"inputs":[)",
                   BinaryInput("x", datatype, shape, std::to_string(binary.size())), "]}"),
      binary);
}

absl::StatusOr<DecodedInferRequest> Decode(const Body& body, const Signature& signature = {},
                                           const CodecLimits& limits = {}) {
  return DecodeInferRequest(body.bytes, body.json_header_length, signature, limits);
}

std::string ErrorOf(const absl::StatusOr<DecodedInferRequest>& result) {
  EXPECT_FALSE(result.ok());
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  return std::string(result.status().message());
}

std::string DecodeError(const Body& body, const Signature& signature = {},
                        const CodecLimits& limits = {}) {
  return ErrorOf(Decode(body, signature, limits));
}

TEST(ParseJsonHeaderLengthTest, AcceptsOnlyDecimalByteCounts) {
  EXPECT_EQ(*ParseJsonHeaderLength(std::nullopt), std::nullopt);
  EXPECT_EQ(*ParseJsonHeaderLength(std::string("0")), std::optional<size_t>(0));
  EXPECT_EQ(*ParseJsonHeaderLength(std::string("1234")), std::optional<size_t>(1234));
  EXPECT_EQ(*ParseJsonHeaderLength(std::string("18446744073709551615")),
            std::optional<size_t>(std::numeric_limits<size_t>::max()));
  for (const std::string bad :
       {"", "-1", "+1", " 12", "12 ", "0x10", "1.5", "abc", "18446744073709551616"}) {
    SCOPED_TRACE(bad);
    auto length = ParseJsonHeaderLength(bad);
    ASSERT_FALSE(length.ok());
    EXPECT_EQ(length.status().message(),
              absl::StrCat("Inference-Header-Content-Length must be a byte count (a decimal "
                           "integer), got '",
                           bad, "'"));
  }
}

// --- Binary inputs ---------------------------------------------------------------

struct DatatypeCase {
  std::string datatype;
  DataType dtype;
  std::string raw;  // three elements
};

TEST(DecodeBinaryInputTest, DecodesEveryFixedSizeDatatype) {
  const std::vector<DatatypeCase> cases = {
      {"BOOL", DataType::kBool, Raw<uint8_t>({1, 0, 1})},
      {"UINT8", DataType::kUint8, Raw<uint8_t>({0, 7, 255})},
      {"UINT16", DataType::kUint16, Raw<uint16_t>({0, 7, 65535})},
      {"UINT32", DataType::kUint32, Raw<uint32_t>({0, 7, 4294967295u})},
      {"UINT64", DataType::kUint64, Raw<uint64_t>({0, 7, std::numeric_limits<uint64_t>::max()})},
      {"INT8", DataType::kInt8, Raw<int8_t>({-128, 7, 127})},
      {"INT16", DataType::kInt16, Raw<int16_t>({-32768, 7, 32767})},
      {"INT32", DataType::kInt32, Raw<int32_t>({std::numeric_limits<int32_t>::min(), 7, 1})},
      {"INT64", DataType::kInt64, Raw<int64_t>({std::numeric_limits<int64_t>::min(), 7, 1})},
      {"FP16", DataType::kFp16, Raw<uint16_t>({0x3C00, 0xC000, 0x7E00})},  // 1, -2, NaN
      {"BF16", DataType::kBf16, Raw<uint16_t>({0x3F80, 0xC0A0, 0x7F80})},  // 1, -5, inf
      {"FP32", DataType::kFp32, Raw<float>({1.5f, -0.0f, std::numeric_limits<float>::infinity()})},
      {"FP64", DataType::kFp64, Raw<double>({0.1, 1e300, -3.0})},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.datatype);
    auto decoded = Decode(OneBinaryInput(c.datatype, "[3]", c.raw));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    const Tensor& tensor = decoded->request.inputs.at("x");
    EXPECT_EQ(tensor.dtype, c.dtype);
    EXPECT_THAT(tensor.shape, ElementsAre(3));
    EXPECT_EQ(tensor.data, Bytes(c.raw));
    EXPECT_FALSE(decoded->output_encoding.AnyBinary());
  }
}

TEST(DecodeBinaryInputTest, HalfPrecisionRoundTripsBitExactly) {
  for (const std::string datatype : {"FP16", "BF16"}) {
    SCOPED_TRACE(datatype);
    std::vector<uint16_t> values;
    for (uint32_t bits = 0; bits < 0x10000; bits += 7) values.push_back(bits);
    const std::string raw = Raw(values);
    const std::string json =
        absl::StrCat(R"({"id":"r","parameters":{"binary_data_output":true},"inputs":[)",
                     BinaryInput("x", datatype, absl::StrCat("[", values.size(), "]"),
                                 std::to_string(raw.size())),
                     "]}");
    auto decoded = Decode(MakeBody(json, raw));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    InferResponse response;
    response.id = decoded->request.id;
    response.outputs.emplace_back("y", decoded->request.inputs.at("x"));
    const EncodedResponse encoded = EncodeInferResponse(response, decoded->output_encoding);
    ASSERT_TRUE(encoded.json_header_length.has_value());
    EXPECT_EQ(encoded.content_type, "application/octet-stream");
    const Json header = Json::parse(encoded.body.substr(0, *encoded.json_header_length));
    EXPECT_EQ(header["outputs"][0]["datatype"], datatype);
    EXPECT_EQ(header["outputs"][0]["parameters"]["binary_data_size"], raw.size());
    EXPECT_EQ(encoded.body.substr(*encoded.json_header_length), raw);
  }
}

TEST(DecodeBinaryInputTest, BytesAreLengthPrefixedElements) {
  const std::string raw = LengthPrefixed({"hi", "", std::string("\0\xff", 2)});
  auto decoded = Decode(OneBinaryInput("BYTES", "[3]", raw));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->request.inputs.at("x").data, Bytes(raw));

  EXPECT_THAT(DecodeError(OneBinaryInput("BYTES", "[2]",
                                         LengthPrefixed({"abcd"}) + std::string("\x05\0", 2))),
              HasSubstr("input 'x': BYTES element 1 of 2 starts at byte 8 but its 4-byte length "
                        "does not fit in the 10 bytes of binary data"));
  EXPECT_THAT(DecodeError(OneBinaryInput("BYTES", "[1]", Raw<uint32_t>({9}) + "abc")),
              HasSubstr("BYTES element 0 has length 9 but only 3 bytes of binary data remain"));
  EXPECT_THAT(DecodeError(OneBinaryInput("BYTES", "[1]", LengthPrefixed({"a"}) + "zz")),
              HasSubstr("binary_data_size is 7 bytes but its 1 BYTES elements take 5"));
  EXPECT_THAT(DecodeError(OneBinaryInput("BYTES", "[4]", LengthPrefixed({"abcdefgh"}))),
              HasSubstr("binary_data_size 12 is too small for shape [4]: each of its 4 BYTES "
                        "elements needs at least a 4-byte length"));
  // JSON still cannot carry BYTES.
  EXPECT_THAT(ErrorOf(DecodeInferRequest(
                  R"({"inputs":[{"name":"x","datatype":"BYTES","shape":[1],"data":["a"]}]})",
                  std::nullopt, {}, {})),
              HasSubstr("BYTES inputs are not supported in JSON"));
}

TEST(DecodeBinaryInputTest, BoolBytesMustBeZeroOrOne) {
  EXPECT_EQ(DecodeError(OneBinaryInput("BOOL", "[3]", Raw<uint8_t>({1, 0, 2}))),
            "input 'x': BOOL value at index 2 is byte 2; binary BOOL data must be 0 or 1");
}

TEST(DecodeBinaryInputTest, MixesJsonAndBinaryInputsInInputOrder) {
  const std::string json =
      absl::StrCat(R"({"inputs":[)", BinaryInput("b", "INT32", "[2]", "8"), ",",
                   R"({"name":"a","datatype":"FP32","shape":[2],"data":[1.5,2.5]},)",
                   BinaryInput("c", "UINT8", "[1,3]", "3"), ",",
                   BinaryInput("empty", "FP64", "[0,4]", "0"), "]}");
  const std::string binary = Raw<int32_t>({-1, 2}) + Raw<uint8_t>({7, 8, 9});
  auto decoded = Decode(MakeBody(json, binary));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const TensorMap& inputs = decoded->request.inputs;
  EXPECT_EQ(inputs.at("a").data, Bytes(Raw<float>({1.5f, 2.5f})));
  EXPECT_EQ(inputs.at("b").data, Bytes(Raw<int32_t>({-1, 2})));
  EXPECT_EQ(inputs.at("c").data, Bytes(Raw<uint8_t>({7, 8, 9})));
  EXPECT_THAT(inputs.at("c").shape, ElementsAre(1, 3));
  EXPECT_TRUE(inputs.at("empty").data.empty());
}

TEST(DecodeBinaryInputTest, HeaderLengthWithoutBinaryInputsIsPlainJson) {
  const std::string json = R"({"inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[3]}]})";
  auto decoded = Decode(MakeBody(json, ""));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->request.inputs.at("x").data, Bytes(Raw<int8_t>({3})));
  EXPECT_EQ(DecodeError(MakeBody(json, "junk")),
            absl::StrCat("the inputs' binary_data_size values add up to 0 bytes, but the body has "
                         "4 bytes after the ",
                         json.size(), "-byte JSON header (Inference-Header-Content-Length)"));
}

// --- Sizes ---------------------------------------------------------------------

TEST(DecodeBinaryInputTest, HeaderLengthBeyondTheBody) {
  Body body = OneBinaryInput("FP32", "[1]", Raw<float>({1}));
  body.json_header_length = body.bytes.size() + 1;
  EXPECT_EQ(DecodeError(body),
            absl::StrCat("Inference-Header-Content-Length is ", body.bytes.size() + 1,
                         " but the body has only ", body.bytes.size(), " bytes"));
  body.json_header_length = std::numeric_limits<size_t>::max();
  EXPECT_THAT(DecodeError(body), HasSubstr("Inference-Header-Content-Length is 1844674407"));
  // A header length that cuts the JSON short is a JSON syntax error.
  body.json_header_length = 10;
  EXPECT_THAT(DecodeError(body), HasSubstr("invalid JSON"));
}

TEST(DecodeBinaryInputTest, BinaryDataSizeMustMatchTheShape) {
  EXPECT_EQ(DecodeError(MakeBody(
                absl::StrCat(R"({"inputs":[)", BinaryInput("x", "FP32", "[2,3]", "20"), "]}"),
                std::string(20, '\0'))),
            "input 'x': binary_data_size is 20 bytes, but shape [2, 3] of FP32 needs 24 (6 "
            "elements x 4 bytes)");
  EXPECT_THAT(DecodeError(OneBinaryInput("FP16", "[2]", Raw<uint16_t>({1, 2, 3}))),
              HasSubstr("binary_data_size is 6 bytes, but shape [2] of FP16 needs 4"));
}

TEST(DecodeBinaryInputTest, SizesMustAddUpToTheBinarySection) {
  const std::string json = absl::StrCat(R"({"inputs":[)", BinaryInput("a", "INT32", "[1]", "4"),
                                        ",", BinaryInput("b", "INT64", "[1]", "8"), "]}");
  const std::string expected_tail =
      absl::StrCat("-byte JSON header (Inference-Header-Content-Length)");
  EXPECT_EQ(DecodeError(MakeBody(json, std::string(11, 'x'))),
            absl::StrCat("the inputs' binary_data_size values add up to 12 bytes, but the body "
                         "has 11 bytes after the ",
                         json.size(), expected_tail));
  EXPECT_THAT(DecodeError(MakeBody(json, std::string(13, 'x'))),
              HasSubstr("add up to 12 bytes, but the body has 13 bytes"));
  EXPECT_TRUE(Decode(MakeBody(json, std::string(12, 'x'))).ok());
}

TEST(DecodeBinaryInputTest, OverflowingSizesAreRejected) {
  // 2^63 does not fit the int64 a parameter holds.
  EXPECT_THAT(DecodeError(MakeBody(
                  absl::StrCat(R"({"inputs":[)",
                               BinaryInput("x", "UINT8", "[1]", "9223372036854775808"), "]}"),
                  "x")),
              HasSubstr("input 'x' parameter 'binary_data_size' is larger than the int64 maximum"));
  EXPECT_THAT(DecodeError(MakeBody(
                  absl::StrCat(R"({"inputs":[)",
                               BinaryInput("x", "UINT8", "[1]", "9223372036854775807"), "]}"),
                  "x")),
              HasSubstr("binary_data_size is 9223372036854775807 bytes, but shape [1] of UINT8 "
                        "needs 1"));

  CodecLimits unlimited;
  unlimited.max_elements_per_tensor = std::numeric_limits<int64_t>::max();
  // 2^62 FP64 elements are 2^65 bytes.
  EXPECT_THAT(
      DecodeError(
          MakeBody(absl::StrCat(R"({"inputs":[)",
                                BinaryInput("x", "FP64", "[4611686018427387904]", "8"), "]}"),
                   std::string(8, '\0')),
          {}, unlimited),
      HasSubstr("input 'x': shape [4611686018427387904] of FP64 needs more than 2^64 bytes"));
  // Three inputs of 2^63 - 1 bytes each: the sum wraps around 64 bits.
  const std::string huge = "[9223372036854775807]";
  const std::string size = "9223372036854775807";
  const std::string json = absl::StrCat(R"({"inputs":[)", BinaryInput("a", "UINT8", huge, size),
                                        ",", BinaryInput("b", "INT8", huge, size), ",",
                                        BinaryInput("c", "BOOL", huge, size), "]}");
  EXPECT_THAT(DecodeError(MakeBody(json, "x"), {}, unlimited),
              HasSubstr("binary_data_size values add up to more than 2^64 bytes, but the body has "
                        "1 bytes"));
  // With the default limit the shape itself is refused before any size is looked at.
  EXPECT_THAT(DecodeError(MakeBody(json, "x")), HasSubstr("has more than 268435456 elements"));
}

TEST(DecodeBinaryInputTest, BinaryDataSizeMustBeANonNegativeInteger) {
  for (const std::string size : {"-4", "4.0", "\"4\"", "true"}) {
    SCOPED_TRACE(size);
    EXPECT_THAT(DecodeError(MakeBody(
                    absl::StrCat(R"({"inputs":[)", BinaryInput("x", "FP32", "[1]", size), "]}"),
                    Raw<float>({1}))),
                HasSubstr("input 'x': binary_data_size must be a non-negative integer (a byte "
                          "count), got "));
  }
  EXPECT_THAT(DecodeError(MakeBody(
                  absl::StrCat(R"({"inputs":[)", BinaryInput("x", "FP32", "[1]", "-4"), "]}"), "")),
              HasSubstr("got -4"));
  EXPECT_THAT(
      DecodeError(MakeBody(
          absl::StrCat(R"({"inputs":[)", BinaryInput("x", "FP32", "[1]", "4.0"), "]}"), "")),
      HasSubstr("got the non-integer number 4"));
  EXPECT_THAT(
      DecodeError(MakeBody(
          absl::StrCat(R"({"inputs":[)", BinaryInput("x", "FP32", "[1]", "null"), "]}"), "")),
      HasSubstr("input 'x' parameter 'binary_data_size' is null"));
}

TEST(DecodeBinaryInputTest, DataAndBinaryDataSizeAreExclusive) {
  const std::string json = R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":[1],)"
                           R"("parameters":{"binary_data_size":4}}]})";
  EXPECT_EQ(DecodeError(MakeBody(json, Raw<float>({1}))),
            "input 'x' has both 'data' and a binary_data_size parameter; send one or the other");
}

TEST(DecodeBinaryInputTest, BinaryDataSizeNeedsTheHeaderLength) {
  const Body body = OneBinaryInput("FP32", "[1]", "");
  EXPECT_THAT(ErrorOf(DecodeInferRequest(body.bytes, std::nullopt, {}, {})),
              HasSubstr("input 'x': the binary tensor extension (binary_data_size) is not "
                        "supported without the Inference-Header-Content-Length header"));
}

TEST(DecodeBinaryInputTest, MetadataIsCheckedBeforeSizes) {
  Signature signature;
  signature.inputs.push_back({"x", DataType::kFp32, std::vector<int64_t>{-1, 2}});
  EXPECT_THAT(DecodeError(OneBinaryInput("FP32", "[3]", "short"), signature),
              HasSubstr("input 'x' has shape [3], expected [-1, 2]"));
  EXPECT_THAT(DecodeError(OneBinaryInput("FP16", "[1,2]", "abcd"), signature),
              HasSubstr("input 'x' has datatype FP16, expected FP32"));
  EXPECT_TRUE(Decode(OneBinaryInput("FP32", "[1,2]", Raw<float>({1, 2})), signature).ok());
}

// --- Requested output encoding ----------------------------------------------------

TEST(DecodeOutputEncodingTest, ReadsBinaryFlags) {
  const std::string json = R"({"parameters":{"binary_data_output":true},)"
                           R"("inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}],)"
                           R"("outputs":[{"name":"a","parameters":{"binary_data":false}},)"
                           R"({"name":"b","parameters":{"binary_data":true}},{"name":"c"}]})";
  auto decoded = DecodeInferRequest(json, std::nullopt, {}, {});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const OutputEncoding& encoding = decoded->output_encoding;
  EXPECT_TRUE(encoding.binary_by_default);
  EXPECT_THAT(encoding.binary_outputs, ElementsAre("b"));
  EXPECT_THAT(encoding.json_outputs, ElementsAre("a"));
  EXPECT_FALSE(encoding.IsBinary("a"));
  EXPECT_TRUE(encoding.IsBinary("b"));
  EXPECT_TRUE(encoding.IsBinary("c"));
  EXPECT_THAT(decoded->request.requested_outputs, ElementsAre("a", "b", "c"));
}

TEST(DecodeOutputEncodingTest, FlagsMustBeBooleans) {
  const std::string input = R"("inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}])";
  EXPECT_EQ(ErrorOf(DecodeInferRequest(
                absl::StrCat(R"({"parameters":{"binary_data_output":1},)", input, "}"),
                std::nullopt, {}, {})),
            "request parameter 'binary_data_output' must be true or false");
  EXPECT_EQ(ErrorOf(DecodeInferRequest(
                absl::StrCat("{", input, R"(,"outputs":[{"name":"y","parameters":)",
                             R"({"binary_data":"yes"}}]})"),
                std::nullopt, {}, {})),
            "output 'y' parameter 'binary_data' must be true or false");
}

TEST(DecodeOutputEncodingTest, JsonOnlyOverloadRefusesBinaryOutputs) {
  const std::string input = R"("inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}])";
  auto status =
      DecodeInferRequest(absl::StrCat("{", input, R"(,"outputs":[{"name":"y","parameters":)",
                                      R"({"binary_data":true}}]})"),
                         {}, {})
          .status();
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("output 'y': the binary tensor extension (binary_data) is not supported"));
  // The request-wide default is ignored there: the caller answers in JSON.
  auto request = DecodeInferRequest(
      absl::StrCat(R"({"parameters":{"binary_data_output":true},)", input, "}"), {}, {});
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->parameters.at("binary_data_output"), ParameterValue(true));
}

// --- Binary outputs ----------------------------------------------------------------

InferResponse ThreeOutputs() {
  InferResponse response;
  response.id = "7";
  response.model = "m";
  response.version = "2";
  Tensor a{DataType::kFp32, {2}, Bytes(Raw<float>({0.5f, -1.0f}))};
  Tensor b{DataType::kInt64, {1, 1}, Bytes(Raw<int64_t>({42}))};
  Tensor c{DataType::kBytes, {2}, Bytes(LengthPrefixed({"ab", "c"}))};
  response.outputs.emplace_back("a", a);
  response.outputs.emplace_back("b", b);
  response.outputs.emplace_back("c", c);
  return response;
}

TEST(EncodeBinaryResponseTest, AllOutputsBinary) {
  OutputEncoding encoding;
  encoding.binary_by_default = true;
  const EncodedResponse encoded = EncodeInferResponse(ThreeOutputs(), encoding);
  ASSERT_TRUE(encoded.json_header_length.has_value());
  EXPECT_EQ(encoded.content_type, "application/octet-stream");
  const std::string header = encoded.body.substr(0, *encoded.json_header_length);
  EXPECT_EQ(
      header,
      R"({"id":"7","model_name":"m","model_version":"2","outputs":[)"
      R"({"name":"a","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}},)"
      R"({"name":"b","datatype":"INT64","shape":[1,1],"parameters":{"binary_data_size":8}},)"
      R"({"name":"c","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":11}}]})");
  EXPECT_EQ(encoded.body.substr(header.size()),
            Raw<float>({0.5f, -1.0f}) + Raw<int64_t>({42}) + LengthPrefixed({"ab", "c"}));
}

TEST(EncodeBinaryResponseTest, SelectedOutputsBinary) {
  OutputEncoding encoding;
  encoding.binary_outputs = {"b"};
  const EncodedResponse encoded = EncodeInferResponse(ThreeOutputs(), encoding);
  ASSERT_TRUE(encoded.json_header_length.has_value());
  const Json header = Json::parse(encoded.body.substr(0, *encoded.json_header_length));
  EXPECT_EQ(header["outputs"][0]["data"], Json::parse("[0.5,-1.0]"));
  EXPECT_FALSE(header["outputs"][1].contains("data"));
  EXPECT_EQ(header["outputs"][1]["parameters"]["binary_data_size"], 8);
  EXPECT_EQ(header["outputs"][2]["data"], Json::parse(R"(["ab","c"])"));
  EXPECT_EQ(encoded.body.substr(*encoded.json_header_length), Raw<int64_t>({42}));

  // The default, with one output kept as JSON.
  encoding = OutputEncoding{};
  encoding.binary_by_default = true;
  encoding.json_outputs = {"a", "c"};
  const EncodedResponse mostly_json = EncodeInferResponse(ThreeOutputs(), encoding);
  ASSERT_TRUE(mostly_json.json_header_length.has_value());
  EXPECT_EQ(mostly_json.body.substr(*mostly_json.json_header_length), Raw<int64_t>({42}));
}

TEST(EncodeBinaryResponseTest, NoBinaryOutputsIsThePlainJsonResponse) {
  OutputEncoding encoding;
  encoding.binary_outputs = {"not-an-output"};
  for (const OutputEncoding& e : {OutputEncoding{}, encoding}) {
    const EncodedResponse encoded = EncodeInferResponse(ThreeOutputs(), e);
    EXPECT_FALSE(encoded.json_header_length.has_value());
    EXPECT_EQ(encoded.content_type, "application/json");
    EXPECT_EQ(encoded.body, EncodeInferResponse(ThreeOutputs()));
    EXPECT_THAT(encoded.body, Not(HasSubstr("binary_data_size")));
  }
}

TEST(EncodeBinaryResponseTest, HalfPrecisionAsJsonStaysFloats) {
  InferResponse response;
  response.outputs.emplace_back(
      "h", Tensor{DataType::kFp16, {2}, Bytes(Raw<uint16_t>({0x3C00, 0xC000}))});
  const EncodedResponse encoded = EncodeInferResponse(response, OutputEncoding{});
  EXPECT_THAT(encoded.body, HasSubstr(R"("datatype":"FP16","shape":[2],"data":[1.0,-2.0])"));
}

}  // namespace
}  // namespace aiaas::server
