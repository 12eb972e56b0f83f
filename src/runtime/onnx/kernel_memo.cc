#include "runtime/onnx/kernel_memo.h"

#include <ATen/ATen.h>

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace aiaas::runtime::onnxrt {
namespace {

using Outputs = absl::StatusOr<std::vector<at::Tensor>>;

constexpr int64_t kMaxMemoElements = 16;            // per input
constexpr int64_t kMaxMemoOutputBytes = 16 << 10;  // all outputs of one node

// Wraps a deterministic kernel: when every input is a small integer tensor (shape
// arithmetic: Shape -> Gather -> Unsqueeze -> Concat -> Reshape), the last inputs and
// their outputs are remembered, and the same inputs again return the same outputs
// without running the kernel. The remembered outputs are copies that no run modifies
// (kernels never write into their inputs), so runs may share them.
class SmallIntegerMemo {
 public:
  explicit SmallIntegerMemo(KernelFn kernel) : kernel_(std::move(kernel)) {}

  Outputs Run(const KernelContext& context) {
    std::vector<int64_t> key;
    if (!Key(context, &key)) return kernel_(context);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (valid_ && key == key_) return outputs_;
    }
    Outputs outputs = kernel_(context);
    if (!outputs.ok()) return outputs;
    int64_t bytes = 0;
    for (const at::Tensor& t : *outputs) {
      if (t.defined()) bytes += t.numel() * static_cast<int64_t>(t.element_size());
    }
    if (bytes <= kMaxMemoOutputBytes) {
      // Copies: an output may be a view of an input, e.g. of a request's own bytes, which
      // are gone after the run.
      std::vector<at::Tensor> kept;
      for (const at::Tensor& t : *outputs) kept.push_back(t.defined() ? t.clone() : t);
      std::lock_guard<std::mutex> lock(mu_);
      key_ = std::move(key);
      outputs_ = std::move(kept);
      valid_ = true;
    }
    return outputs;
  }

 private:
  // Type, shape and values of every input, or false when one is not a small, dense
  // int32/int64 tensor.
  static bool Key(const KernelContext& context, std::vector<int64_t>* key) {
    key->push_back(static_cast<int64_t>(context.input_count()));
    for (size_t i = 0; i < context.input_count(); ++i) {
      if (!context.has_input(i)) {
        key->push_back(-1);
        continue;
      }
      const at::Tensor& t = context.input(i);
      const at::ScalarType type = t.scalar_type();
      if ((type != at::kLong && type != at::kInt) || !t.device().is_cpu() ||
          t.numel() > kMaxMemoElements || !t.is_contiguous()) {
        return false;
      }
      key->push_back(static_cast<int64_t>(type));
      key->push_back(t.dim());
      key->insert(key->end(), t.sizes().begin(), t.sizes().end());
      if (type == at::kLong) {
        const int64_t* data = t.data_ptr<int64_t>();
        key->insert(key->end(), data, data + t.numel());
      } else {
        const int32_t* data = t.data_ptr<int32_t>();
        key->insert(key->end(), data, data + t.numel());
      }
    }
    return true;
  }

  const KernelFn kernel_;
  std::mutex mu_;
  bool valid_ = false;              // guarded by mu_
  std::vector<int64_t> key_;        // guarded by mu_
  std::vector<at::Tensor> outputs_;  // guarded by mu_
};

}  // namespace

void MemoizeSmallIntegerNodes(GraphPlan& plan) {
  for (PlannedNode& node : plan.nodes) {
    if (node.determinism != Determinism::kDeterministic || !node.subgraphs.empty() ||
        !node.fused_as.empty() || node.inputs.empty()) {
      continue;
    }
    auto memo = std::make_shared<SmallIntegerMemo>(std::move(node.kernel));
    node.kernel = [memo](const KernelContext& context) { return memo->Run(context); };
  }
}

}  // namespace aiaas::runtime::onnxrt
