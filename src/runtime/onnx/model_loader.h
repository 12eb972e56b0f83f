#ifndef AIAAS_RUNTIME_ONNX_MODEL_LOADER_H_
#define AIAAS_RUNTIME_ONNX_MODEL_LOADER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "runtime/onnx/string_tables.h"

namespace onnx {
class ModelProto;
}  // namespace onnx

namespace aiaas::runtime::onnxrt {

class OpRegistry;

struct ModelLoadOptions {
  // Largest model file; protobuf itself cannot parse 2 GiB or more.
  int64_t max_model_bytes = (int64_t{2} << 30) - 1;
  // Most nodes in all graphs together (main graph, subgraphs, functions).
  int64_t max_nodes = 200'000;
};

// A model that passed every check below, its nodes sorted topologically.
struct ValidatedModel {
  std::unique_ptr<onnx::ModelProto> proto;
  // Opset per domain as imported by the model; the default domain is "".
  std::map<std::string, int> opsets;
  // Outputs that are positions in a table of strings (string_tables.h), already
  // rewritten to INT64 in `proto`; served as BYTES.
  StringOutputs string_outputs;
};

// Turns untrusted bytes into a model the interpreter can run, or says why not.
//
// In order, before any tensor memory is allocated: the size limit; a wire-format
// prescan (node count limit, truncated or malformed protobuf) ahead of the protobuf
// parse; IR version 3..8 and the default domain's opset in kMinOpset..kMaxOpset;
// tensors (no external data, no sparse tensors, dims and data sizes consistent, with
// overflow-checked products); graph structure (see CheckAndSortGraphs); every node's
// operator registered in `registry` for the model's opset of its domain; graph inputs
// and outputs are tensors of supported element types. Then the ONNX checker and ONNX
// shape inference (strict), and the inferred types of all values must be supported.
//
// Unimplemented when the model is valid ONNX this runtime cannot run (an operator,
// domain, opset, element type or feature; the message names it, and the node for an
// operator). InvalidArgument for anything malformed (the message says what).
[[nodiscard]] absl::StatusOr<ValidatedModel> LoadModelFromBytes(std::string_view bytes,
                                                                const OpRegistry& registry,
                                                                const ModelLoadOptions& options);

// Reads the file at `path` (refusing files larger than options.max_model_bytes before
// reading them) and calls LoadModelFromBytes. The bytes live in anonymous pages unmapped
// on return, so a big file leaves no resident memory behind once refused. NotFound-style
// InvalidArgument when the file cannot be read; ResourceExhausted when its pages cannot be
// mapped.
[[nodiscard]] absl::StatusOr<ValidatedModel> LoadModelFromFile(const std::string& path,
                                                               const OpRegistry& registry,
                                                               const ModelLoadOptions& options);

}  // namespace aiaas::runtime::onnxrt

#endif  // AIAAS_RUNTIME_ONNX_MODEL_LOADER_H_
