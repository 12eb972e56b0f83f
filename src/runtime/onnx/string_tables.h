// The one use of STRING tensors this runtime supports: a lookup table of strings read
// by Gather straight into a graph output, as a classifier's class labels are
// (Gather(labels, ArgMax(probabilities)) -> "label"). The interpreter runs on ATen,
// which has no string tensors, so the table is swapped for its positions before the
// model is checked and run, and the output's positions are turned back into strings
// when the answer is encoded (OnnxRuntime serves the output as BYTES).
//
// Recognized pattern: a 1-D STRING initializer whose every reader is a Gather node of
// the main graph with axis 0 reading it as `data`, and each such Gather's output is a
// graph output that no node reads. Any other use of STRING stays unsupported (the
// loader refuses it, naming the tensor).
#ifndef AIAAS_RUNTIME_ONNX_STRING_TABLES_H_
#define AIAAS_RUNTIME_ONNX_STRING_TABLES_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace onnx {
class ModelProto;
}  // namespace onnx

namespace aiaas::runtime::onnxrt {

// Graph output name -> the strings its INT64 positions stand for (shared: several
// outputs may gather from one table).
using StringTable = std::shared_ptr<const std::vector<std::string>>;
using StringOutputs = std::map<std::string, StringTable>;

// Rewrites every recognized table in `model`'s main graph to an INT64 initializer
// [0, 1, ..., C-1] of the same name, and the outputs it feeds to INT64; returns those
// outputs with their strings. Leaves anything else alone. InvalidArgument for a table
// whose string_data count differs from its dims.
[[nodiscard]] absl::StatusOr<StringOutputs> ExtractStringTables(onnx::ModelProto* model);

}  // namespace aiaas::runtime::onnxrt

#endif  // AIAAS_RUNTIME_ONNX_STRING_TABLES_H_
