// A bound on the memory one model execution may allocate, so that a request
// whose tensors grow with its values (an ONNX ConstantOfShape fed by the
// request, a TorchScript `x.expand(n, n)`) is refused instead of exhausting
// the machine.
//
// InstallBudgetedCpuAllocator() wraps LibTorch's CPU allocator once per
// process. A MemoryBudgetScope on the thread that runs a model then counts
// the bytes of the CPU tensors that thread allocates and still holds; an
// allocation that would take the count past the limit throws a c10::Error
// (the runtimes turn it into an error status) and marks the scope exceeded.
// Allocations of intra-op worker threads and of oneDNN's own buffers are not
// counted. Without a scope, or with limit 0, allocation is as before (plus a
// 64-byte header per tensor).
//
// Torch-free header: the inference service uses it without LibTorch types.
#ifndef AIAAS_RUNTIME_MEMORY_BUDGET_H_
#define AIAAS_RUNTIME_MEMORY_BUDGET_H_

#include <cstdint>

namespace aiaas::runtime {

// Idempotent and thread-safe. Tensors allocated before keep their deleters.
void InstallBudgetedCpuAllocator();

struct MemoryBudget;

class MemoryBudgetScope {
 public:
  // `limit_bytes` 0: no limit (the scope does nothing). Scopes do not nest: an
  // inner scope replaces the outer one until it ends.
  explicit MemoryBudgetScope(int64_t limit_bytes);
  ~MemoryBudgetScope();
  MemoryBudgetScope(const MemoryBudgetScope&) = delete;
  MemoryBudgetScope& operator=(const MemoryBudgetScope&) = delete;

  // Whether an allocation was refused.
  bool exceeded() const;
  // The most bytes live at once under this scope.
  int64_t peak_bytes() const;

 private:
  MemoryBudget* budget_ = nullptr;  // shared with the tensors it counted
  MemoryBudget* previous_ = nullptr;
};

}  // namespace aiaas::runtime

#endif  // AIAAS_RUNTIME_MEMORY_BUDGET_H_
