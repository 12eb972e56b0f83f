#ifndef AIAAS_RUNTIME_ONNX_EXECUTION_PLAN_H_
#define AIAAS_RUNTIME_ONNX_EXECUTION_PLAN_H_

// The compiled form of an ONNX graph, built once at load and read-only afterwards:
// values are numbered slots, initializers are tensors, constant subexpressions are
// already computed, and each node lists the slots whose last reader it is, so a run
// frees intermediates as soon as nothing will read them again.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/onnx/op_registry.h"

namespace onnx {
class GraphProto;
class NodeProto;
}  // namespace onnx

namespace aiaas::runtime::onnxrt {

struct GraphPlan;

struct PlannedNode {
  const onnx::NodeProto* node = nullptr;  // owned by the model the plan was built from
  // Non-empty for a fused chain (plan_fusion.h): "Gelu", "MatMul+Add", ... `node` is then the
  // chain's last node and `inputs` are the chain's inputs from outside it.
  std::string fused_as;
  KernelFn kernel;
  Determinism determinism = Determinism::kDeterministic;
  int opset = 0;
  std::vector<int> inputs;           // slot per listed input; -1 for an omitted one
  std::vector<int> outputs;          // slot per listed output; -1 when nothing reads it
  std::vector<bool> outputs_wanted;  // outputs[i] != -1: a node or a graph output reads it
  std::vector<int> implicit_inputs;  // slots the subgraphs read from this graph
  std::vector<int> release_after;    // slots to drop once this node has run
  // Plans of graph attributes (If branches, Loop body, ...) by attribute name.
  std::map<std::string, std::unique_ptr<GraphPlan>, std::less<>> subgraphs;
};

struct GraphPlan {
  int slot_count = 0;
  std::vector<std::string> slot_names;                // for messages
  std::vector<std::pair<int, at::Tensor>> constants;  // initializers and folded values
  std::vector<int> input_slots;                       // formal inputs, in order
  std::vector<int> output_slots;                      // formal outputs, in order
  // Values read from the enclosing graph: (slot here, slot in the enclosing graph).
  std::vector<std::pair<int, int>> outer_slots;
  std::vector<int> release_at_start;  // inputs nothing reads
  std::vector<PlannedNode> nodes;     // topological order
  int64_t folded_nodes = 0;           // nodes computed at load time
};

struct PlanOptions {
  bool fold_constants = true;
  // A folded result larger than this stays a node that runs every time, so a small
  // model cannot make the server hold a huge precomputed tensor.
  int64_t max_folded_bytes = int64_t{64} << 20;
  // Replace chains such as the exported GELU by one ATen call, store Conv and Gemm weights
  // in the layouts the kernels use (plan_fusion.h) and remember the results of small
  // integer nodes per input shape (kernel_memo.h).
  bool fuse_chains = true;
};

// Compiles `graph` (already validated and sorted by the loader). `opsets` maps each
// canonical domain to the model's opset. The plan points into `graph`, which must
// outlive it; tensor data the plan has taken over (initializers, attributes of folded
// nodes) is cleared from `graph` to avoid holding it twice. InvalidArgument when an
// initializer cannot be converted; Unimplemented when a node has no kernel (the loader
// normally refused it already).
[[nodiscard]] absl::StatusOr<std::unique_ptr<GraphPlan>> BuildGraphPlan(
    onnx::GraphProto* graph, const std::map<std::string, int>& opsets,
    const OpRegistry& registry, const PlanOptions& options);

// Calls a node's kernel, turning its errors and exceptions into a Status that names the
// node: c10::Error -> InvalidArgument, std::bad_alloc -> ResourceExhausted, anything
// else -> Internal. Also checks the kernel returned every wanted output.
[[nodiscard]] absl::StatusOr<std::vector<at::Tensor>> InvokeKernel(const PlannedNode& node,
                                                                   const KernelContext& context);

}  // namespace aiaas::runtime::onnxrt

#endif  // AIAAS_RUNTIME_ONNX_EXECUTION_PLAN_H_
