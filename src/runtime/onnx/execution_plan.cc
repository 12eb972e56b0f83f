#include "runtime/onnx/execution_plan.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <limits>
#include <new>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "onnx/onnx_pb.h"
#include "runtime/onnx/display_names.h"
#include "runtime/onnx/kernel_memo.h"
#include "runtime/onnx/plan_fusion.h"
#include "runtime/onnx/tensor_conversion.h"

namespace aiaas::runtime::onnxrt {
namespace {

constexpr int kNeverReleased = std::numeric_limits<int>::max();
constexpr size_t kMaxErrorChars = 1000;

std::string ReasonOf(const c10::Error& error) {
  std::string message = error.what_without_backtrace();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  if (message.size() > kMaxErrorChars) message = message.substr(0, kMaxErrorChars) + "...";
  return message;
}

// Slot numbering of one graph while its plan is built.
class SlotTable {
 public:
  explicit SlotTable(GraphPlan* plan) : plan_(plan) {}

  int Define(const std::string& name) {
    const int slot = plan_->slot_count++;
    plan_->slot_names.push_back(name);
    slots_[name] = slot;
    return slot;
  }

  // The slot of `name`; a value of an enclosing graph gets a slot here on first use.
  int Read(const std::string& name) {
    if (auto it = slots_.find(name); it != slots_.end()) return it->second;
    const int slot = Define(name);
    outer_.emplace_back(slot, name);
    return slot;
  }

  const std::vector<std::pair<int, std::string>>& outer() const { return outer_; }

 private:
  GraphPlan* plan_;
  std::unordered_map<std::string, int> slots_;
  std::vector<std::pair<int, std::string>> outer_;  // (slot here, name in an enclosing graph)
};

class PlanBuilder {
 public:
  PlanBuilder(const std::map<std::string, int>& opsets, const OpRegistry& registry,
              const PlanOptions& options)
      : opsets_(opsets), registry_(registry), options_(options) {}

  // `outer` receives the values the graph reads from enclosing graphs.
  absl::StatusOr<std::unique_ptr<GraphPlan>> Build(onnx::GraphProto* graph, bool is_main,
                                                   std::vector<std::pair<int, std::string>>* outer);

 private:
  absl::Status AddNode(onnx::NodeProto* node, SlotTable& slots, GraphPlan& plan);
  void FoldConstants(GraphPlan& plan,
                     std::unordered_map<int, at::Tensor>& constants);
  void PlanReleases(GraphPlan& plan, std::unordered_map<int, at::Tensor>& constants);

  const std::map<std::string, int>& opsets_;
  const OpRegistry& registry_;
  const PlanOptions& options_;
};

absl::Status PlanBuilder::AddNode(onnx::NodeProto* node, SlotTable& slots, GraphPlan& plan) {
  const std::string domain(OpRegistry::CanonicalDomain(node->domain()));
  auto opset = opsets_.find(domain);
  const RegisteredKernel* kernel =
      opset == opsets_.end() ? nullptr : registry_.Find(domain, node->op_type(), opset->second);
  if (kernel == nullptr) {
    return absl::UnimplementedError(absl::StrCat("unsupported operator: ", NodeLabel(*node)));
  }
  PlannedNode planned;
  planned.node = node;
  planned.kernel = kernel->kernel;
  planned.determinism = kernel->determinism;
  planned.opset = opset->second;
  for (const std::string& input : node->input()) {
    planned.inputs.push_back(input.empty() ? -1 : slots.Read(input));
  }
  for (onnx::AttributeProto& attribute : *node->mutable_attribute()) {
    if (!attribute.has_g()) continue;
    std::vector<std::pair<int, std::string>> reads;
    AIAAS_ASSIGN_OR_RETURN(std::unique_ptr<GraphPlan> subgraph,
                           Build(attribute.mutable_g(), /*is_main=*/false, &reads));
    for (const auto& [inner_slot, name] : reads) {
      const int slot = slots.Read(name);
      subgraph->outer_slots.emplace_back(inner_slot, slot);
      planned.implicit_inputs.push_back(slot);
    }
    planned.subgraphs[attribute.name()] = std::move(subgraph);
  }
  for (const std::string& output : node->output()) {
    planned.outputs.push_back(output.empty() ? -1 : slots.Define(output));
  }
  plan.nodes.push_back(std::move(planned));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<GraphPlan>> PlanBuilder::Build(
    onnx::GraphProto* graph, bool is_main, std::vector<std::pair<int, std::string>>* outer) {
  auto plan = std::make_unique<GraphPlan>();
  SlotTable slots(plan.get());
  std::unordered_map<int, at::Tensor> constants;
  std::unordered_set<std::string> initializer_names;
  for (onnx::TensorProto& initializer : *graph->mutable_initializer()) {
    AIAAS_ASSIGN_OR_RETURN(at::Tensor tensor, TensorFromProto(initializer));
    constants[slots.Define(initializer.name())] = std::move(tensor);
    initializer_names.insert(initializer.name());
    // The plan holds the values now; keep name, type and dims for the signature.
    initializer.clear_raw_data();
    initializer.clear_float_data();
    initializer.clear_int32_data();
    initializer.clear_int64_data();
    initializer.clear_double_data();
  }
  for (const onnx::ValueInfoProto& input : graph->input()) {
    // In the main graph an input with an initializer is a constant with an overridable
    // default; this server does not expose it. Subgraph inputs bind by position.
    if (is_main && initializer_names.count(input.name()) > 0) continue;
    plan->input_slots.push_back(slots.Define(input.name()));
  }
  for (onnx::NodeProto& node : *graph->mutable_node()) {
    AIAAS_RETURN_IF_ERROR(AddNode(&node, slots, *plan));
  }
  for (const onnx::ValueInfoProto& output : graph->output()) {
    plan->output_slots.push_back(slots.Read(output.name()));
  }
  if (options_.fold_constants) FoldConstants(*plan, constants);
  if (options_.fuse_chains) {
    FuseNodeChains(*plan, constants);
    PrepareConstantLayouts(*plan, constants);
    MemoizeSmallIntegerNodes(*plan);
  }
  PlanReleases(*plan, constants);
  *outer = slots.outer();
  return plan;
}

// Runs, at load time, every deterministic node without subgraphs whose inputs are all
// constants, and replaces it by its results (unless they are too large to keep).
void PlanBuilder::FoldConstants(GraphPlan& plan,
                                std::unordered_map<int, at::Tensor>& constants) {
  c10::InferenceMode inference_mode;
  std::vector<PlannedNode> kept;
  for (PlannedNode& node : plan.nodes) {
    bool foldable = node.determinism == Determinism::kDeterministic && node.subgraphs.empty();
    std::vector<at::Tensor> inputs;
    for (int slot : node.inputs) {
      if (!foldable) break;
      if (slot == -1) {
        inputs.emplace_back();
        continue;
      }
      auto it = constants.find(slot);
      foldable = it != constants.end();
      if (foldable) inputs.push_back(it->second);
    }
    std::vector<bool> wanted;
    for (int slot : node.outputs) wanted.push_back(slot != -1);
    absl::StatusOr<std::vector<at::Tensor>> outputs = absl::UnknownError("not folded");
    if (foldable) {
      KernelContext context(*node.node, node.opset, inputs, wanted, nullptr);
      outputs = InvokeKernel(node, context);  // a failure leaves the node to run (and fail) later
    }
    int64_t bytes = 0;
    if (outputs.ok()) {
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (node.outputs[i] != -1) bytes += (*outputs)[i].numel() * (*outputs)[i].element_size();
      }
    }
    if (!outputs.ok() || bytes > options_.max_folded_bytes) {
      kept.push_back(std::move(node));
      continue;
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i] != -1) constants[node.outputs[i]] = (*outputs)[i];
    }
    ++plan.folded_nodes;
    // The folded node's attributes (e.g. a Constant's value) are not needed any more.
    // node.node points into `graph`, which this builder owns for the build.
    const_cast<onnx::NodeProto*>(node.node)->clear_attribute();
  }
  plan.nodes = std::move(kept);
}

// Last readers, wanted outputs and the constants still needed after folding.
void PlanBuilder::PlanReleases(GraphPlan& plan, std::unordered_map<int, at::Tensor>& constants) {
  std::vector<int> last_reader(plan.slot_count, -1);
  for (int i = 0; i < static_cast<int>(plan.nodes.size()); ++i) {
    for (int slot : plan.nodes[i].inputs) {
      if (slot != -1) last_reader[slot] = i;
    }
    for (int slot : plan.nodes[i].implicit_inputs) last_reader[slot] = i;
  }
  for (int slot : plan.output_slots) last_reader[slot] = kNeverReleased;
  for (int i = 0; i < static_cast<int>(plan.nodes.size()); ++i) {
    PlannedNode& node = plan.nodes[i];
    node.outputs_wanted.clear();
    for (int& slot : node.outputs) {
      if (slot != -1 && last_reader[slot] == -1) slot = -1;  // nothing reads it
      node.outputs_wanted.push_back(slot != -1);
    }
    std::unordered_set<int> released;
    auto release = [&](int slot) {
      if (slot != -1 && last_reader[slot] == i && released.insert(slot).second) {
        node.release_after.push_back(slot);
      }
    };
    for (int slot : node.inputs) release(slot);
    for (int slot : node.implicit_inputs) release(slot);
  }
  for (int slot : plan.input_slots) {
    if (last_reader[slot] == -1) plan.release_at_start.push_back(slot);
  }
  for (auto& [slot, tensor] : constants) {
    if (last_reader[slot] != -1) plan.constants.emplace_back(slot, std::move(tensor));
  }
  constants.clear();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GraphPlan>> BuildGraphPlan(onnx::GraphProto* graph,
                                                          const std::map<std::string, int>& opsets,
                                                          const OpRegistry& registry,
                                                          const PlanOptions& options) {
  PlanBuilder builder(opsets, registry, options);
  std::vector<std::pair<int, std::string>> outer;
  AIAAS_ASSIGN_OR_RETURN(std::unique_ptr<GraphPlan> plan,
                         builder.Build(graph, /*is_main=*/true, &outer));
  if (!outer.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("value ", QuoteName(outer.front().second), " is never defined"));
  }
  return plan;
}

absl::StatusOr<std::vector<at::Tensor>> InvokeKernel(const PlannedNode& node,
                                                     const KernelContext& context) {
  absl::StatusOr<std::vector<at::Tensor>> outputs;
  try {
    outputs = node.kernel(context);
  } catch (const c10::Error& error) {
    return absl::InvalidArgumentError(absl::StrCat(NodeLabel(*node.node), ": ", ReasonOf(error)));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(NodeLabel(*node.node), ": out of memory"));
  } catch (const std::exception& error) {
    return absl::InternalError(absl::StrCat(NodeLabel(*node.node), ": ", error.what()));
  }
  if (!outputs.ok()) {
    return absl::Status(outputs.status().code(), absl::StrCat(NodeLabel(*node.node), ": ",
                                                              outputs.status().message()));
  }
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (!context.output_wanted(i)) continue;
    if (i >= outputs->size() || !(*outputs)[i].defined()) {
      return absl::InternalError(
          absl::StrCat(NodeLabel(*node.node), ": the kernel did not compute output ", i));
    }
  }
  return outputs;
}

}  // namespace aiaas::runtime::onnxrt
