#include "bench/onnx/plan_profile.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "runtime/onnx/execution_plan.h"
#include "runtime/onnx/interpreter.h"
#include "runtime/onnx/model_loader.h"
#include "runtime/onnx/op_families.h"
#include "runtime/onnx/op_registry.h"

namespace aiaas::bench {
namespace {


// CPU time of the whole process (all threads), in microseconds: unlike the wall clock it
// does not count time other processes ran instead of us.
double ProcessCpuUs() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return 1e6 * static_cast<double>(now.tv_sec) + 1e-3 * static_cast<double>(now.tv_nsec);
}

struct OpTotals {
  int nodes = 0;            // nodes of this type in the plan
  double median_us = 0;     // sum over these nodes of each node's median time
};

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int ProfileOnnxPlan(const std::string& path, const std::vector<int64_t>& row_shape,
                    int64_t batch, int threads, int runs) {
  using namespace runtime::onnxrt;
  OpRegistry registry;
  RegisterAllOps(registry);
  absl::StatusOr<ValidatedModel> model = LoadModelFromFile(path, registry, {});
  if (!model.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), model.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::Create(*std::move(model), registry, PlanOptions{});
  if (!interpreter.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), interpreter.status().ToString().c_str());
    return 1;
  }
  const GraphPlan& plan = (*interpreter)->plan();
  if (plan.input_slots.size() != 1) {
    std::fprintf(stderr, "profiling needs a single-input model\n");
    return 1;
  }
  at::set_num_threads(threads);
  c10::InferenceMode inference_mode;
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), row_shape.begin(), row_shape.end());
  const at::Tensor input = at::rand(shape, at::kFloat);

  std::map<std::string, OpTotals> totals;
  auto op_of = [](const PlannedNode& node) {
    return node.fused_as.empty() ? node.node->op_type() : "fused " + node.fused_as;
  };
  for (const PlannedNode& node : plan.nodes) ++totals[op_of(node)].nodes;
  std::vector<double> run_us;
  std::vector<std::vector<double>> node_us(plan.nodes.size());
  std::vector<at::Tensor> node_inputs;
  for (int run = -3; run < runs; ++run) {  // three warm-up runs
    const double run_start_us = ProcessCpuUs();
    // The interpreter's RunGraph, with a clock around every kernel call.
    std::vector<at::Tensor> values(plan.slot_count);
    for (const auto& [slot, tensor] : plan.constants) values[slot] = tensor;
    values[plan.input_slots[0]] = input;
    for (size_t n = 0; n < plan.nodes.size(); ++n) {
      const PlannedNode& node = plan.nodes[n];
      node_inputs.clear();
      for (int slot : node.inputs) node_inputs.push_back(slot == -1 ? at::Tensor() : values[slot]);
      KernelContext context(*node.node, node.opset, node_inputs, node.outputs_wanted, nullptr);
      const double start_us = ProcessCpuUs();
      absl::StatusOr<std::vector<at::Tensor>> outputs = InvokeKernel(node, context);
      const double us = ProcessCpuUs() - start_us;
      node_inputs.clear();
      if (!outputs.ok()) {
        std::fprintf(stderr, "%s\n", outputs.status().ToString().c_str());
        return 1;
      }
      if (run >= 0) node_us[n].push_back(us);
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (node.outputs[i] != -1) values[node.outputs[i]] = std::move((*outputs)[i]);
      }
      for (int slot : node.release_after) values[slot].reset();
    }
    if (run >= 0) run_us.push_back(ProcessCpuUs() - run_start_us);
  }
  double kernels_us = 0;
  for (size_t n = 0; n < plan.nodes.size(); ++n) {
    const double median = Median(node_us[n]);
    totals[op_of(plan.nodes[n])].median_us += median;
    kernels_us += median;
  }
  std::vector<std::pair<std::string, OpTotals>> rows(totals.begin(), totals.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.median_us > b.second.median_us; });
  const double run_median = Median(run_us);
  std::printf("%s batch %ld: %zu nodes (%ld folded at load), run median %.1f CPU us: "
              "kernels %.1f (sum of node medians), interpreter and the rest %.1f\n",
              path.c_str(), static_cast<long>(batch), plan.nodes.size(),
              static_cast<long>(plan.folded_nodes), run_median, kernels_us,
              run_median - kernels_us);
  std::printf("  %-22s %6s %12s %12s\n", "op", "nodes", "us/run", "us/node");
  for (const auto& [op, t] : rows) {
    std::printf("  %-22s %6d %12.1f %12.2f\n", op.c_str(), t.nodes, t.median_us,
                t.median_us / std::max(1, t.nodes));
  }
  return 0;
}

}  // namespace aiaas::bench
