// Internal to the ONNX exporter: appends nodes, initializers and constants to an
// onnx::GraphProto with unique value names. Torch-free.
#ifndef AIAAS_TRAINING_EXPORT_ONNX_GRAPH_BUILDER_H_
#define AIAAS_TRAINING_EXPORT_ONNX_GRAPH_BUILDER_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"
#include "training/export/export_source.h"

namespace aiaas::training {

class OnnxGraphBuilder {
 public:
  // Borrows `graph`, which must outlive the builder.
  explicit OnnxGraphBuilder(onnx::GraphProto* graph) : graph_(graph) {}

  // A value name not used yet: `hint`, or `hint` + "_2", "_3", ...
  std::string Fresh(absl::string_view hint);

  // Appends a node of `op` reading `inputs` ("" = an omitted optional input) and
  // writing `num_outputs` fresh values named after `hint`; returns the node (its
  // outputs are node->output(i)).
  onnx::NodeProto* Node(absl::string_view op, const std::vector<std::string>& inputs,
                        absl::string_view hint, int num_outputs = 1);
  // Node(...) with one output; returns the output's name.
  std::string Op(absl::string_view op, const std::vector<std::string>& inputs,
                 absl::string_view hint);

  // Initializers; each returns the value's name (`name` itself when still free).
  std::string Floats(absl::string_view name, const std::vector<int64_t>& shape,
                     const std::vector<float>& values);
  std::string Doubles(absl::string_view name, const std::vector<int64_t>& shape,
                      const std::vector<double>& values);
  std::string Int64s(absl::string_view name, const std::vector<int64_t>& shape,
                     const std::vector<int64_t>& values);
  std::string Strings(absl::string_view name, const std::vector<std::string>& values);
  // The trained tensor as an initializer under its own name (added once).
  std::string Weight(const ExportTensor& tensor);

 private:
  onnx::TensorProto* NewInitializer(absl::string_view name, int32_t elem_type,
                                    const std::vector<int64_t>& shape);

  onnx::GraphProto* graph_;
  std::set<std::string> used_;
  std::set<std::string> weights_;
};

void SetInt(onnx::NodeProto* node, absl::string_view name, int64_t value);
void SetFloat(onnx::NodeProto* node, absl::string_view name, float value);
void SetString(onnx::NodeProto* node, absl::string_view name, absl::string_view value);
void SetInts(onnx::NodeProto* node, absl::string_view name, const std::vector<int64_t>& values);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_EXPORT_ONNX_GRAPH_BUILDER_H_
