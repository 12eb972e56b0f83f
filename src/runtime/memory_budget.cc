#include "runtime/memory_budget.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <c10/util/Exception.h>

#include <atomic>
#include <mutex>

namespace aiaas::runtime {

// Counted bytes of one scope. Each counted tensor holds a reference, so a
// tensor that outlives its scope (a model output) still has a budget to
// return its bytes to.
struct MemoryBudget {
  explicit MemoryBudget(int64_t limit) : limit_bytes(limit) {}
  const int64_t limit_bytes;
  std::atomic<int64_t> live_bytes{0};
  std::atomic<int64_t> peak_bytes{0};
  std::atomic<int64_t> references{1};
  std::atomic<bool> exceeded{false};

  void Unref() {
    if (references.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

namespace {

thread_local MemoryBudget* current_budget = nullptr;

// In front of every block, keeping the data at c10's 64-byte alignment.
struct alignas(64) BlockHeader {
  MemoryBudget* budget;  // null when no scope counted it
  size_t bytes;
};
static_assert(sizeof(BlockHeader) == 64, "the header must keep the alignment");

void DeleteBlock(void* data) {
  if (data == nullptr) return;
  auto* header = reinterpret_cast<BlockHeader*>(static_cast<char*>(data) - sizeof(BlockHeader));
  if (MemoryBudget* budget = header->budget; budget != nullptr) {
    budget->live_bytes.fetch_sub(static_cast<int64_t>(header->bytes), std::memory_order_relaxed);
    budget->Unref();
  }
  c10::free_cpu(header);
}

class BudgetedCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t bytes) const override {
    const c10::Device cpu(c10::DeviceType::CPU);
    if (bytes == 0) return {nullptr, nullptr, &DeleteBlock, cpu};
    MemoryBudget* budget = current_budget;
    if (budget != nullptr) Reserve(*budget, bytes);
    void* block = nullptr;
    try {
      block = c10::alloc_cpu(bytes + sizeof(BlockHeader));
    } catch (...) {
      if (budget != nullptr) {
        budget->live_bytes.fetch_sub(static_cast<int64_t>(bytes), std::memory_order_relaxed);
        budget->Unref();
      }
      throw;
    }
    auto* header = static_cast<BlockHeader*>(block);
    header->budget = budget;
    header->bytes = bytes;
    void* data = static_cast<char*>(block) + sizeof(BlockHeader);
    return {data, data, &DeleteBlock, cpu};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &DeleteBlock; }

 private:
  // Counts `bytes` against the budget and takes a reference, or throws.
  static void Reserve(MemoryBudget& budget, size_t bytes) {
    const int64_t wanted = static_cast<int64_t>(bytes);
    const int64_t live = budget.live_bytes.fetch_add(wanted, std::memory_order_relaxed) + wanted;
    if (wanted < 0 || live > budget.limit_bytes) {
      budget.live_bytes.fetch_sub(wanted, std::memory_order_relaxed);
      budget.exceeded.store(true, std::memory_order_relaxed);
      TORCH_CHECK(false, "running the model needs more than the request memory limit of ",
                  budget.limit_bytes, " bytes (a tensor of ", bytes, " bytes with ", live - wanted,
                  " bytes already in use)");
    }
    int64_t peak = budget.peak_bytes.load(std::memory_order_relaxed);
    while (live > peak &&
           !budget.peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
    }
    budget.references.fetch_add(1, std::memory_order_relaxed);
  }
};

}  // namespace

void InstallBudgetedCpuAllocator() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    // Lives as long as the process: tensors anywhere may still point at it.
    static BudgetedCpuAllocator* allocator = new BudgetedCpuAllocator();
    c10::SetCPUAllocator(allocator, /*priority=*/1);
  });
}

MemoryBudgetScope::MemoryBudgetScope(int64_t limit_bytes) {
  if (limit_bytes <= 0) return;
  budget_ = new MemoryBudget(limit_bytes);
  previous_ = current_budget;
  current_budget = budget_;
}

MemoryBudgetScope::~MemoryBudgetScope() {
  if (budget_ == nullptr) return;
  current_budget = previous_;
  budget_->Unref();
}

bool MemoryBudgetScope::exceeded() const {
  return budget_ != nullptr && budget_->exceeded.load(std::memory_order_relaxed);
}

int64_t MemoryBudgetScope::peak_bytes() const {
  return budget_ == nullptr ? 0 : budget_->peak_bytes.load(std::memory_order_relaxed);
}

}  // namespace aiaas::runtime
