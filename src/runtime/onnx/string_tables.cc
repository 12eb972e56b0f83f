#include "runtime/onnx/string_tables.h"

#include <cstdint>
#include <map>
#include <memory>
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

// Adds every value read by a node inside the subgraphs of `graph`'s nodes (If/Loop/Scan
// bodies may read outer values; a table read there is not a recognized use).
void CollectSubgraphReads(const onnx::GraphProto& graph, std::set<std::string>* reads) {
  for (const onnx::NodeProto& node : graph.node()) {
    for (const onnx::AttributeProto& attribute : node.attribute()) {
      std::vector<const onnx::GraphProto*> subgraphs;
      if (attribute.has_g()) subgraphs.push_back(&attribute.g());
      for (const auto& subgraph : attribute.graphs()) subgraphs.push_back(&subgraph);
      for (const onnx::GraphProto* subgraph : subgraphs) {
        for (const onnx::NodeProto& inner : subgraph->node()) {
          for (const std::string& input : inner.input()) reads->insert(input);
        }
        CollectSubgraphReads(*subgraph, reads);
      }
    }
  }
}

bool IsCandidate(const onnx::TensorProto& table) {
  return table.data_type() == onnx::TensorProto::STRING && table.dims_size() == 1 &&
         !table.has_raw_data() && table.data_location() == onnx::TensorProto::DEFAULT;
}

}  // namespace

absl::StatusOr<StringOutputs> ExtractStringTables(onnx::ModelProto* model) {
  StringOutputs outputs;
  onnx::GraphProto* graph = model->mutable_graph();
  // Linear passes over the graph (the model is untrusted and not yet size-checked
  // beyond its node count): candidates, then who reads what.
  std::map<std::string, std::vector<const onnx::NodeProto*>> readers;  // candidate -> nodes
  for (const onnx::TensorProto& table : graph->initializer()) {
    if (IsCandidate(table)) readers[table.name()];
  }
  if (readers.empty()) return outputs;
  std::set<std::string> read_by_nodes;  // every value a main-graph node reads
  for (const onnx::NodeProto& node : graph->node()) {
    for (const std::string& input : node.input()) {
      read_by_nodes.insert(input);
      if (auto it = readers.find(input); it != readers.end()) it->second.push_back(&node);
    }
  }
  std::set<std::string> unusable;  // read in a subgraph, or overridable by a graph input
  CollectSubgraphReads(*graph, &unusable);
  for (const auto& input : graph->input()) unusable.insert(input.name());
  std::map<std::string, onnx::ValueInfoProto*> graph_outputs;
  for (auto& output : *graph->mutable_output()) graph_outputs[output.name()] = &output;

  for (onnx::TensorProto& table : *graph->mutable_initializer()) {
    if (!IsCandidate(table)) continue;
    const std::string& name = table.name();
    auto nodes = readers.find(name);
    if (nodes == readers.end() || nodes->second.empty() || unusable.count(name) > 0) continue;
    std::vector<std::string> fed;  // the outputs this table feeds
    bool recognized = true;
    for (const onnx::NodeProto* node : nodes->second) {
      recognized = recognized && node->op_type() == "Gather" && node->domain().empty() &&
                   node->input_size() == 2 && node->input(0) == name && node->input(1) != name &&
                   GatherAxis(*node) == 0 && node->output_size() == 1 &&
                   graph_outputs.count(node->output(0)) > 0 &&
                   read_by_nodes.count(node->output(0)) == 0;
      if (recognized) fed.push_back(node->output(0));
    }
    if (!recognized) continue;
    if (table.string_data_size() != table.dims(0)) {
      return absl::InvalidArgumentError(absl::StrCat("tensor ", QuoteName(name), " has ",
                                                     table.string_data_size(),
                                                     " strings for dims [", table.dims(0), "]"));
    }
    auto strings = std::make_shared<const std::vector<std::string>>(table.string_data().begin(),
                                                                    table.string_data().end());
    table.clear_string_data();
    table.set_data_type(onnx::TensorProto::INT64);
    for (int64_t i = 0; i < static_cast<int64_t>(strings->size()); ++i) table.add_int64_data(i);
    for (const std::string& output : fed) {
      outputs[output] = strings;
      onnx::ValueInfoProto* value = graph_outputs.at(output);
      if (value->type().has_tensor_type()) {
        value->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::INT64);
      }
    }
  }
  return outputs;
}

}  // namespace aiaas::runtime::onnxrt
