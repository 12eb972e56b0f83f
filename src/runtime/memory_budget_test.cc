#include "runtime/memory_budget.h"

#include <torch/torch.h>

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::runtime {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMiB = 1 << 20;

// `bytes` of float32, written so the pages are really used.
at::Tensor Floats(int64_t bytes) { return at::ones({bytes / 4}, at::kFloat); }

class MemoryBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override { InstallBudgetedCpuAllocator(); }
};

TEST_F(MemoryBudgetTest, RefusesAnAllocationBeyondTheLimitAndMarksTheScope) {
  MemoryBudgetScope scope(kMiB);
  at::Tensor half = Floats(kMiB / 2);
  EXPECT_FALSE(scope.exceeded());
  try {
    at::Tensor too_much = Floats(kMiB);
    FAIL() << "a 1 MiB tensor fitted next to 512 KiB under a 1 MiB limit";
  } catch (const c10::Error& error) {
    EXPECT_THAT(error.what_without_backtrace(), HasSubstr("request memory limit of 1048576"));
  }
  EXPECT_TRUE(scope.exceeded());
  EXPECT_GE(scope.peak_bytes(), kMiB / 2);
  EXPECT_LT(scope.peak_bytes(), kMiB);
  EXPECT_FLOAT_EQ(half.sum().item<float>(), static_cast<float>(kMiB / 8));
}

TEST_F(MemoryBudgetTest, FreedTensorsGiveTheirBytesBack) {
  MemoryBudgetScope scope(kMiB);
  for (int i = 0; i < 50; ++i) {
    at::Tensor t = Floats(kMiB * 3 / 4);
    t.mul_(2);
  }
  EXPECT_FALSE(scope.exceeded());
  EXPECT_LT(scope.peak_bytes(), kMiB);
}

TEST_F(MemoryBudgetTest, ALargeModelComputationFailsCleanlyAndTheThreadCarriesOn) {
  torch::nn::Linear linear(256, 256);
  at::Tensor batch = at::randn({4096, 256});  // allocated before the scope: not counted
  {
    MemoryBudgetScope scope(kMiB);
    EXPECT_THROW(linear->forward(batch), c10::Error);  // the output alone is 4 MiB
    EXPECT_TRUE(scope.exceeded());
  }
  // Outside the scope the same computation runs.
  EXPECT_EQ(linear->forward(batch).size(0), 4096);
}

TEST_F(MemoryBudgetTest, TensorsMayOutliveTheirScope) {
  at::Tensor kept;
  {
    MemoryBudgetScope scope(kMiB);
    kept = Floats(kMiB / 4);
  }
  // Freed on another thread after the scope ended: the budget it returns to is alive.
  std::thread([t = std::move(kept)]() mutable { t.reset(); }).join();
  MemoryBudgetScope next(kMiB);
  EXPECT_NO_THROW(Floats(kMiB / 2));
}

TEST_F(MemoryBudgetTest, NoScopeOrLimitZeroMeansNoLimit) {
  EXPECT_EQ(Floats(8 * kMiB).numel(), 2 * kMiB);
  MemoryBudgetScope unlimited(0);
  EXPECT_EQ(Floats(8 * kMiB).numel(), 2 * kMiB);
  EXPECT_FALSE(unlimited.exceeded());
  EXPECT_EQ(unlimited.peak_bytes(), 0);
}

TEST_F(MemoryBudgetTest, ScopesAreThreadLocal) {
  MemoryBudgetScope small(kMiB);
  std::vector<int64_t> sizes;
  std::thread([&] { sizes.push_back(Floats(4 * kMiB).numel()); }).join();
  EXPECT_EQ(sizes, std::vector<int64_t>{kMiB});
  EXPECT_FALSE(small.exceeded());
}

TEST_F(MemoryBudgetTest, EmptyTensorsAndDataAlignment) {
  MemoryBudgetScope scope(kMiB);
  EXPECT_EQ(at::empty({0}).numel(), 0);
  at::Tensor t = Floats(1024);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data_ptr()) % 64, 0u);
}

}  // namespace
}  // namespace aiaas::runtime
