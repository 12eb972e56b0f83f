#include "runtime/onnx/string_tables.h"

#include <cstdint>
#include <set>

#include "absl/strings/str_cat.h"
#include "onnx/onnx_pb.h"
#include "runtime/onnx/display_names.h"

namespace aiaas::runtime::onnxrt {
namespace {

int64_t GatherAxis(const onnx::NodeProto& node) {
  for (const onnx::AttributeProto& attribute : node.attribute()) {
    if (attribute.name() == "axis") return attribute.i();
  }
  return 0;
}

bool ReadsValue(const onnx::NodeProto& node, const std::string& name) {
  for (const std::string& input : node.input()) {
    if (input == name) return true;
  }
  return false;
}

// Subgraphs (If/Loop/Scan bodies) may read outer values; a table read there is not
// a recognized use.
bool ReadInSubgraph(const onnx::GraphProto& graph, const std::string& name) {
  for (const onnx::NodeProto& node : graph.node()) {
    for (const onnx::AttributeProto& attribute : node.attribute()) {
      std::vector<const onnx::GraphProto*> subgraphs;
      if (attribute.has_g()) subgraphs.push_back(&attribute.g());
      for (const auto& subgraph : attribute.graphs()) subgraphs.push_back(&subgraph);
      for (const onnx::GraphProto* subgraph : subgraphs) {
        for (const onnx::NodeProto& inner : subgraph->node()) {
          if (ReadsValue(inner, name)) return true;
        }
        if (ReadInSubgraph(*subgraph, name)) return true;
      }
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<StringOutputs> ExtractStringTables(onnx::ModelProto* model) {
  StringOutputs outputs;
  onnx::GraphProto* graph = model->mutable_graph();
  std::set<std::string> graph_outputs;
  for (const auto& output : graph->output()) graph_outputs.insert(output.name());
  for (onnx::TensorProto& table : *graph->mutable_initializer()) {
    if (table.data_type() != onnx::TensorProto::STRING || table.dims_size() != 1 ||
        table.has_raw_data() || table.data_location() != onnx::TensorProto::DEFAULT) {
      continue;
    }
    const std::string& name = table.name();
    std::vector<std::string> fed;  // the outputs this table feeds
    bool recognized = !ReadInSubgraph(*graph, name);
    for (const onnx::NodeProto& node : graph->node()) {
      if (!recognized) break;
      if (!ReadsValue(node, name)) continue;
      recognized = node.op_type() == "Gather" && node.domain().empty() && node.input_size() == 2 &&
                   node.input(0) == name && node.input(1) != name && GatherAxis(node) == 0 &&
                   node.output_size() == 1 && graph_outputs.count(node.output(0)) > 0;
      if (recognized) fed.push_back(node.output(0));
    }
    for (const std::string& output : fed) {
      for (const onnx::NodeProto& node : graph->node()) {
        if (recognized && ReadsValue(node, output)) recognized = false;
      }
    }
    // An input overriding the initializer would feed strings at run time.
    for (const auto& input : graph->input()) {
      if (input.name() == name) recognized = false;
    }
    if (!recognized || fed.empty()) continue;
    if (table.string_data_size() != table.dims(0)) {
      return absl::InvalidArgumentError(absl::StrCat("tensor ", QuoteName(name), " has ",
                                                     table.string_data_size(),
                                                     " strings for dims [", table.dims(0), "]"));
    }
    std::vector<std::string> strings(table.string_data().begin(), table.string_data().end());
    table.clear_string_data();
    table.set_data_type(onnx::TensorProto::INT64);
    for (int64_t i = 0; i < static_cast<int64_t>(strings.size()); ++i) table.add_int64_data(i);
    for (const std::string& output : fed) {
      outputs[output] = strings;
      for (auto& value : *graph->mutable_output()) {
        if (value.name() == output && value.type().has_tensor_type()) {
          value.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::INT64);
        }
      }
    }
  }
  return outputs;
}

}  // namespace aiaas::runtime::onnxrt
