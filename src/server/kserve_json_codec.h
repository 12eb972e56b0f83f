#ifndef AIAAS_SERVER_KSERVE_JSON_CODEC_H_
#define AIAAS_SERVER_KSERVE_JSON_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/tensor.h"
#include "services/inference_types.h"

namespace aiaas::server {

// JSON <-> domain translation for the inference and management APIs (docs/api.md):
// KServe v2 / Open Inference Protocol requests and responses, the KServe v1 /
// TF-Serving `:predict` row format, and the management API's signature object.
//
// All functions are pure and thread-safe. Decoders never throw and never abort on
// bad input: every problem with the body is InvalidArgument with a message that
// names the offending field or input (the HTTP layer maps it to 400). Bodies nested
// deeper than 64 levels are rejected while parsing, so pathological input cannot
// exhaust the stack. Encoders produce compact UTF-8 JSON; strings that are not valid
// UTF-8 have the bad bytes replaced by U+FFFD. The inference request decoder parses
// with simdjson straight into the tensor buffers; the other decoders use nlohmann.
// The binary tensor extension is declared in kserve_binary_codec.h.
//
// Numbers in encoded output: integers exactly; FP32/FP64 as the shortest text that
// parses back to the same float/double (a ".0" is appended to integral values);
// FP16/BF16 widened to float (the `datatype` stays "FP16"/"BF16", since the binary
// extension is the only lossless carrier); NaN and infinities, which JSON cannot
// express, as `null`. Integers beyond 64 bits in a request read as doubles.

struct CodecLimits {
  // Largest element count a single decoded tensor may have. Checked against the
  // declared shape before any tensor memory is allocated.
  int64_t max_elements_per_tensor = 1LL << 28;
};

// Decodes a KServe v2 inference request body:
//   {"id"?: str, "parameters"?: {str: bool|int|double|str},
//    "inputs": [{"name", "shape": [int>=0...], "datatype", "data", "parameters"?}],
//    "outputs"?: [{"name", "parameters"?}]}
// Each input's name, datatype and shape are checked against `signature`
// (CheckInputAgainstSignature) and its element count against `limits` before its
// data is read; then `data` (flat row-major, or nested exactly like the shape) is
// converted to native little-endian bytes. Integer types take JSON integers in range,
// FP32/FP64 any JSON number, BOOL only true/false. FP16, BF16 and BYTES cannot be
// carried in JSON and are rejected. Every input the signature declares must be present.
// The result's `model` and `version` are left empty: they come from the URL.
// This overload is for callers without the binary tensor extension: it is the
// four-argument DecodeInferRequest of kserve_binary_codec.h with no
// Inference-Header-Content-Length, and it also rejects outputs that ask for
// "binary_data": true, which it could not honour (a request-wide
// "binary_data_output" is ignored, so such clients get JSON outputs).
// All metadata (names, datatypes, shapes against `signature`, element counts
// against `limits`) is validated before any tensor memory is allocated.
[[nodiscard]] absl::StatusOr<InferRequest> DecodeInferRequest(std::string_view body,
                                                              const Signature& signature,
                                                              const CodecLimits& limits);

// Encodes a KServe v2 inference response:
//   {"id"? (omitted when empty), "model_name", "model_version",
//    "parameters"? (omitted when empty),
//    "outputs": [{"name", "datatype", "shape", "data": [flat row-major values]}]}
// Precondition: each output's data holds NumElements() * DataTypeSize(dtype) bytes;
// elements missing from a short buffer are written as null rather than read out of
// bounds. BYTES outputs are read in the binary-extension layout (per element a
// 4-byte little-endian length, then the bytes) and written as strings.
std::string EncodeInferResponse(const InferResponse& response);

// Decodes a KServe v1 / TF-Serving row-format predict body for a single-input model:
// {"instances": [...]} or the columnar synonym {"inputs": [...]}. Each instance is a
// number or a nested array of numbers; all instances must have the same shape S
// (ragged input is InvalidArgument naming the first offending instance). Returns an
// FP32 tensor of shape [N, S...], N = number of instances (N >= 1). Named-input
// instances (objects) and {"b64": ...} values are not supported.
[[nodiscard]] absl::StatusOr<Tensor> DecodeV1PredictRequest(std::string_view body,
                                                            const CodecLimits& limits);

// Encodes {"predictions": [...]}: one entry per row of `output`'s first dimension,
// each nested like the remaining dimensions (rank-1 output gives a list of numbers;
// a rank-0 output gives a one-element list). Numbers as in EncodeInferResponse.
std::string EncodeV1PredictResponse(const Tensor& output);

// Management-API form of a signature, as stored with a model version:
//   {"inputs": [{"name", "datatype"?, "shape"?}], "outputs": [...]}
// `datatype` / `shape` are omitted where unknown (any type / any rank).
std::string EncodeSignatureJson(const Signature& signature);

// Inverse of EncodeSignatureJson. "inputs" and "outputs" are optional (absent = no
// declared tensors). Names must be non-empty and unique within inputs and within
// outputs; datatypes must be protocol names; shape dims integers >= -1 (-1 = dynamic).
// Unknown keys are rejected so that a typo ("dtype") is not silently "any type".
[[nodiscard]] absl::StatusOr<Signature> DecodeSignatureJson(std::string_view body);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_KSERVE_JSON_CODEC_H_
