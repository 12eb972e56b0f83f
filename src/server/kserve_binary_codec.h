#ifndef AIAAS_SERVER_KSERVE_BINARY_CODEC_H_
#define AIAAS_SERVER_KSERVE_BINARY_CODEC_H_

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/tensor.h"
#include "server/kserve_json_codec.h"
#include "services/inference_types.h"

namespace aiaas::server {

// KServe v2 inference requests and responses with the binary tensor data extension
// (Triton's "binary_tensor_data"): a body is a JSON header, optionally followed by
// raw tensor bytes. The HTTP header Inference-Header-Content-Length gives the JSON
// header's length; without it the whole body is JSON. Tensor bytes are dense,
// row-major, little-endian, element after element; BYTES elements are each a 4-byte
// little-endian length followed by that many bytes. This is the only lossless
// carrier for FP16 and BF16 and the fast one for large tensors.
//
//   Request input:  {"name": "x", "datatype": "FP16", "shape": [1, 3],
//                    "parameters": {"binary_data_size": 6}}         (no "data")
//   Request output: {"name": "y", "parameters": {"binary_data": true}}, or for every
//                   output the request parameter "binary_data_output": true
//   Response:       {"name": "y", "datatype": ..., "shape": ...,
//                    "parameters": {"binary_data_size": N}}        (no "data")
//
// Binary input sections follow the JSON header in input order, binary outputs
// follow the response's JSON header in output order.
//
// Functions are pure and thread-safe; decoding never throws and never aborts on
// bad input (InvalidArgument naming the input, mapped to HTTP 400).
//
// Typical use in an HTTP handler:
//   auto header_length = ParseJsonHeaderLength(request.Header("inference-header-content-length"));
//   if (!header_length.ok()) return ErrorResponse(header_length.status());
//   auto decoded = DecodeInferRequest(body, *header_length, signature, limits);
//   if (!decoded.ok()) return ErrorResponse(decoded.status());
//   InferResponse response = Infer(std::move(decoded->request));
//   EncodedResponse out = EncodeInferResponse(response, decoded->output_encoding);
//   // reply with out.body and out.content_type, and, when out.json_header_length
//   // is set, the header Inference-Header-Content-Length: *out.json_header_length.

// Which outputs of a response are written as raw bytes after the JSON header
// instead of as JSON "data". An output named in neither set follows the default.
struct OutputEncoding {
  bool binary_by_default = false;        // request parameter "binary_data_output"
  std::set<std::string> binary_outputs;  // outputs requested with "binary_data": true
  std::set<std::string> json_outputs;    // outputs requested with "binary_data": false

  bool IsBinary(const std::string& output_name) const;
  // True when some output may be binary (the default or one named output).
  bool AnyBinary() const { return binary_by_default || !binary_outputs.empty(); }
};

// A decoded request plus how its response should be encoded.
struct DecodedInferRequest {
  InferRequest request;
  OutputEncoding output_encoding;
};

// An encoded response. `json_header_length` is set exactly when the body carries
// binary outputs after the JSON; send it as Inference-Header-Content-Length.
struct EncodedResponse {
  std::string body;
  std::optional<size_t> json_header_length;
  std::string content_type;  // "application/json", or "application/octet-stream"
};

// Name of the HTTP header that gives the JSON header's length, in requests and
// responses that use the extension.
inline constexpr char kInferenceHeaderContentLength[] = "Inference-Header-Content-Length";

// Reads the value of the Inference-Header-Content-Length request header (as
// HttpRequest::Header returns it): nullopt when absent, the length when it is a
// decimal integer, InvalidArgument otherwise (empty, signed, other characters, or
// beyond size_t). Whether it fits the body is DecodeInferRequest's check.
[[nodiscard]] absl::StatusOr<std::optional<size_t>> ParseJsonHeaderLength(
    const std::optional<std::string>& header_value);

// Decodes a v2 inference request body. `json_header_length` is the value of the
// Inference-Header-Content-Length HTTP header when the request had one (nullopt:
// the whole body is JSON). The JSON header is decoded exactly as by the
// three-argument DecodeInferRequest in kserve_json_codec.h, except that
//  - an input may carry "parameters": {"binary_data_size": N} instead of "data";
//    it then takes the next N bytes after the JSON header. Every datatype works
//    this way, FP16 and BF16 included; BOOL bytes must be 0 or 1; BYTES data must
//    be exactly `element count` length-prefixed elements.
//  - outputs may ask for "binary_data", and the request for "binary_data_output"
//    (booleans); the result's output_encoding records it.
// InvalidArgument (checked before any tensor memory is allocated) when
// `json_header_length` exceeds the body; an input has both "data" and
// binary_data_size, or binary_data_size without `json_header_length`;
// binary_data_size is not a non-negative integer or differs from the shape's
// element count times the datatype size (message names the input and both sizes);
// or the binary_data_size values do not add up to the bytes after the JSON header
// (message gives the expected and actual byte counts). All size arithmetic is
// overflow-checked. ResourceExhausted when memory runs out.
[[nodiscard]] absl::StatusOr<DecodedInferRequest> DecodeInferRequest(
    std::string_view body, std::optional<size_t> json_header_length, const Signature& signature,
    const CodecLimits& limits);

// Encodes a v2 inference response like the one-argument EncodeInferResponse in
// kserve_json_codec.h, except that outputs for which encoding.IsBinary(name) holds
// get "parameters": {"binary_data_size": <bytes>} instead of "data", and their
// bytes (Tensor::data as is; BYTES in the length-prefixed layout) follow the JSON
// in output order. Without binary outputs the result is the plain JSON response,
// content type application/json, and no json_header_length.
EncodedResponse EncodeInferResponse(const InferResponse& response, const OutputEncoding& encoding);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_KSERVE_BINARY_CODEC_H_
