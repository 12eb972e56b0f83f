#ifndef AIAAS_CLI_PERF_REQUEST_H_
#define AIAAS_CLI_PERF_REQUEST_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/perf_inputs.h"

namespace aiaas::cli {

// The body of one inference request, built once per run and sent unchanged by every
// client thread.
struct EncodedRequest {
  std::string body;
  std::string content_type;  // "application/json" or "application/octet-stream"
  // For the binary extension: the length of the JSON header at the start of `body`, sent as
  // the Inference-Header-Content-Length header. nullopt for a plain JSON body.
  std::optional<size_t> json_header_length;
};

// A KServe v2 JSON request: {"inputs":[{"name","shape","datatype","data":[...flat]}]}.
// InvalidArgument for FP16/BF16/BYTES inputs, which JSON cannot carry.
[[nodiscard]] absl::StatusOr<EncodedRequest> EncodeJsonRequest(
    const std::vector<PerfTensor>& inputs);

// A KServe v2 binary tensor extension request: the JSON header
//   {"inputs":[{"name","shape","datatype","parameters":{"binary_data_size":N}}],
//    "outputs":[{"name","parameters":{"binary_data":true}}]}
// (compact, keys in that order) followed by each input's bytes in the same order. With no
// `output_names`, the header asks for binary outputs with
// "parameters":{"binary_data_output":true} instead of an outputs list.
EncodedRequest EncodeBinaryRequest(const std::vector<PerfTensor>& inputs,
                                   const std::vector<std::string>& output_names);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_REQUEST_H_
