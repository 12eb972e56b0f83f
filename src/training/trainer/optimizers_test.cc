#include "training/trainer/optimizers.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "training/trainer/checkpoint.h"
#include "training/trainer/lr_schedule.h"

namespace aiaas::training {
namespace {

constexpr double kPi = 3.14159265358979323846;

OptimizerSpec Optimizer(OptimizerKind kind, double lr) {
  OptimizerSpec spec;
  spec.kind = kind;
  spec.lr = lr;
  return spec;
}

// Least squares ||A w - b||^2 / n: convex, minimum 0 at w = [1, -2, 3].
class ConvexProblem {
 public:
  ConvexProblem() {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(7);
    a_ = at::randn({32, 3}, gen);
    b_ = a_.matmul(at::tensor({1.0f, -2.0f, 3.0f}).reshape({3, 1}));
  }
  at::Tensor Loss(const at::Tensor& w) const { return (a_.matmul(w) - b_).pow(2).mean(); }

 private:
  at::Tensor a_;
  at::Tensor b_;
};

class EachOptimizer : public ::testing::TestWithParam<OptimizerSpec> {};

TEST_P(EachOptimizer, ReducesLossOnAConvexProblem) {
  ConvexProblem problem;
  at::Tensor w = at::zeros({3, 1}).set_requires_grad(true);
  absl::StatusOr<std::unique_ptr<torch::optim::Optimizer>> optimizer =
      MakeOptimizer(GetParam(), {w});
  ASSERT_TRUE(optimizer.ok()) << optimizer.status();
  const double initial = problem.Loss(w).item<double>();
  for (int step = 0; step < 200; ++step) {
    (*optimizer)->zero_grad();
    at::Tensor loss = problem.Loss(w);
    loss.backward();
    (*optimizer)->step();
  }
  const double final_loss = problem.Loss(w).item<double>();
  EXPECT_LT(final_loss, 0.05 * initial)
      << OptimizerKindName(GetParam().kind) << ": " << initial << " -> " << final_loss;
}

OptimizerSpec SgdNesterov() {
  OptimizerSpec spec = Optimizer(OptimizerKind::kSgd, 0.05);
  spec.momentum = 0.9;
  spec.nesterov = true;
  return spec;
}

INSTANTIATE_TEST_SUITE_P(Optimizers, EachOptimizer,
                         ::testing::Values(Optimizer(OptimizerKind::kSgd, 0.1), SgdNesterov(),
                                           Optimizer(OptimizerKind::kAdagrad, 0.5),
                                           Optimizer(OptimizerKind::kRmsprop, 0.01),
                                           Optimizer(OptimizerKind::kAdam, 0.1),
                                           Optimizer(OptimizerKind::kAdamW, 0.1)));

TEST(OptimizersTest, AdamWDecaysWeightsDecoupledFromTheGradient) {
  // With a zero gradient Adam's update is 0, so AdamW only shrinks: w <- w * (1 - lr * wd).
  at::Tensor w = at::full({2}, 2.0).set_requires_grad(true);
  OptimizerSpec spec = Optimizer(OptimizerKind::kAdamW, 0.1);
  spec.weight_decay = 0.5;
  auto optimizer = MakeOptimizer(spec, {w});
  ASSERT_TRUE(optimizer.ok());
  (w * 0).sum().backward();
  (*optimizer)->step();
  EXPECT_NEAR(w[0].item<double>(), 2.0 * (1 - 0.1 * 0.5), 1e-6);
}

// Two copies of the same weights (a matrix, a vector and an odd-sized vector, so the
// vectorized loop's remainder is covered), stepped on the same gradients: one by
// Adam::step, one by OptimizerStep's fused path.
class AdamTwins {
 public:
  explicit AdamTwins(double weight_decay,
                     std::vector<std::vector<int64_t>> shapes = {{7, 5}, {5}, {13}}) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(3);
    for (const std::vector<int64_t>& shape : shapes) {
      at::Tensor w = at::randn(shape, gen);
      torch_weights_.push_back(w.clone().set_requires_grad(true));
      fused_weights_.push_back(w.clone().set_requires_grad(true));
    }
    OptimizerSpec spec = Optimizer(OptimizerKind::kAdam, 0.01);
    spec.weight_decay = weight_decay;
    torch_ = *MakeOptimizer(spec, torch_weights_);
    fused_ = *MakeOptimizer(spec, fused_weights_);
  }
  // Gradients that change with the step (and the weights), the same for both.
  void Step(int step) {
    for (size_t i = 0; i < torch_weights_.size(); ++i) {
      at::Tensor g = at::sin(torch_weights_[i].detach() * (step + 1)) + 0.1 * step;
      torch_weights_[i].mutable_grad() = g.clone();
      fused_weights_[i].mutable_grad() = g.clone();
    }
    torch_->step();
    OptimizerStep(*fused_);
  }
  double MaxDifference() const {
    double worst = 0;
    for (size_t i = 0; i < torch_weights_.size(); ++i) {
      worst = std::max(worst, (torch_weights_[i] - fused_weights_[i]).abs().max().item<double>());
    }
    return worst;
  }
  torch::optim::Optimizer& fused() { return *fused_; }
  std::vector<at::Tensor>& fused_weights() { return fused_weights_; }

 private:
  std::vector<at::Tensor> torch_weights_;
  std::vector<at::Tensor> fused_weights_;
  std::unique_ptr<torch::optim::Optimizer> torch_;
  std::unique_ptr<torch::optim::Optimizer> fused_;
};

TEST(OptimizersTest, FusedAdamStepMatchesTorchAdam) {
  for (double weight_decay : {0.0, 0.05}) {
    AdamTwins twins(weight_decay);
    for (int step = 0; step < 50; ++step) twins.Step(step);
    // The weights moved by ~50 * lr; the two differ by float rounding only.
    EXPECT_LT(twins.MaxDifference(), 2e-6) << "weight_decay " << weight_decay;
  }
}

TEST(OptimizersTest, FusedAdamStepSplitsLargeParametersAcrossThreads) {
  const int threads = at::get_num_threads();
  at::set_num_threads(2);
  AdamTwins twins(0.0, {{300, 301}, {3}});  // 90 300 elements: several chunks
  for (int step = 0; step < 5; ++step) twins.Step(step);
  EXPECT_LT(twins.MaxDifference(), 2e-6);
  at::set_num_threads(threads);
}

TEST(OptimizersTest, FusedAdamStateIsAdamsOwn) {
  AdamTwins twins(0.0);
  for (int step = 0; step < 3; ++step) twins.Step(step);
  // Saved and loaded into a fresh Adam, which then steps with torch's code: same state.
  absl::StatusOr<std::string> saved = SaveOptimizerState(twins.fused());
  ASSERT_TRUE(saved.ok()) << saved.status();
  auto fresh = MakeOptimizer(Optimizer(OptimizerKind::kAdam, 0.01), twins.fused_weights());
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE(LoadOptimizerState(*saved, **fresh).ok());
  for (const auto& [key, state] : (*fresh)->state()) {
    EXPECT_EQ(static_cast<const torch::optim::AdamParamState&>(*state).step(), 3) << key;
  }
  EXPECT_EQ((*fresh)->state().size(), 3u);
  absl::StatusOr<std::string> again = SaveOptimizerState(**fresh);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *saved);
}

TEST(OptimizersTest, SetLearningRateChangesEveryGroup) {
  at::Tensor w = at::zeros({1}).set_requires_grad(true);
  auto optimizer = MakeOptimizer(Optimizer(OptimizerKind::kSgd, 0.1), {w});
  ASSERT_TRUE(optimizer.ok());
  SetLearningRate(**optimizer, 0.025);
  EXPECT_DOUBLE_EQ(GetLearningRate(**optimizer), 0.025);
  w.sum().backward();  // gradient 1
  (*optimizer)->step();
  EXPECT_NEAR(w.item<double>(), -0.025, 1e-7);
}

TEST(OptimizersTest, RejectsAModelWithoutParameters) {
  EXPECT_EQ(MakeOptimizer(Optimizer(OptimizerKind::kAdam, 0.1), {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OptimizersTest, ClippingBoundsTheGradientNorm) {
  at::Tensor a = at::zeros({2}).set_requires_grad(true);
  at::Tensor b = at::zeros({1}).set_requires_grad(true);
  // Gradients (3, 4) and (12): global norm 13.
  ((a * at::tensor({3.0f, 4.0f})).sum() + (b * 12).sum()).backward();
  EXPECT_NEAR(ClipGradientNorm({a, b}, 1.0), 13.0, 1e-5);
  const double clipped =
      std::sqrt(a.grad().pow(2).sum().item<double>() + b.grad().pow(2).sum().item<double>());
  EXPECT_LE(clipped, 1.0 + 1e-5);
  EXPECT_NEAR(a.grad()[0].item<double>(), 3.0 / 13.0, 1e-5);  // direction kept
  // Below the bound nothing changes.
  EXPECT_NEAR(ClipGradientNorm({a, b}, 5.0), clipped, 1e-5);
  EXPECT_NEAR(a.grad()[0].item<double>(), 3.0 / 13.0, 1e-5);
}

TEST(LrScheduleTest, ConstantAndStep) {
  LrScheduleSpec constant;
  EXPECT_DOUBLE_EQ(LearningRateAt(constant, 0.1, 0, 100), 0.1);
  EXPECT_DOUBLE_EQ(LearningRateAt(constant, 0.1, 99, 100), 0.1);
  LrScheduleSpec step;
  step.kind = ScheduleKind::kStep;
  step.step_size = 10;
  step.gamma = 0.5;
  EXPECT_DOUBLE_EQ(LearningRateAt(step, 0.1, 0, 100), 0.1);
  EXPECT_DOUBLE_EQ(LearningRateAt(step, 0.1, 9, 100), 0.1);
  EXPECT_DOUBLE_EQ(LearningRateAt(step, 0.1, 10, 100), 0.05);
  EXPECT_DOUBLE_EQ(LearningRateAt(step, 0.1, 25, 100), 0.025);
}

TEST(LrScheduleTest, CosineAnnealsOverTheRun) {
  LrScheduleSpec cosine;
  cosine.kind = ScheduleKind::kCosine;
  cosine.min_lr = 0.01;
  auto expected = [](int64_t s) {
    return 0.01 + (0.1 - 0.01) * (1 + std::cos(kPi * s / 100.0)) / 2;
  };
  EXPECT_DOUBLE_EQ(LearningRateAt(cosine, 0.1, 0, 100), 0.1);
  EXPECT_NEAR(LearningRateAt(cosine, 0.1, 25, 100), expected(25), 1e-12);
  EXPECT_NEAR(LearningRateAt(cosine, 0.1, 50, 100), 0.055, 1e-12);
  EXPECT_NEAR(LearningRateAt(cosine, 0.1, 99, 100), expected(99), 1e-12);
  EXPECT_NEAR(LearningRateAt(cosine, 0.1, 100, 100), 0.01, 1e-12);
}

TEST(LrScheduleTest, WarmupThenConstantStepOrCosine) {
  LrScheduleSpec warmup;
  warmup.kind = ScheduleKind::kWarmup;
  warmup.warmup_steps = 10;
  EXPECT_DOUBLE_EQ(LearningRateAt(warmup, 0.1, 0, 100), 0.01);
  EXPECT_DOUBLE_EQ(LearningRateAt(warmup, 0.1, 4, 100), 0.05);
  EXPECT_DOUBLE_EQ(LearningRateAt(warmup, 0.1, 9, 100), 0.1);
  EXPECT_DOUBLE_EQ(LearningRateAt(warmup, 0.1, 60, 100), 0.1);

  warmup.then = ScheduleKind::kStep;
  warmup.step_size = 20;
  warmup.gamma = 0.1;
  EXPECT_DOUBLE_EQ(LearningRateAt(warmup, 0.1, 10, 100), 0.1);
  EXPECT_DOUBLE_EQ(LearningRateAt(warmup, 0.1, 29, 100), 0.1);
  EXPECT_NEAR(LearningRateAt(warmup, 0.1, 30, 100), 0.01, 1e-15);

  warmup.then = ScheduleKind::kCosine;
  warmup.min_lr = 0.0;
  EXPECT_DOUBLE_EQ(LearningRateAt(warmup, 0.1, 10, 100), 0.1);
  EXPECT_NEAR(LearningRateAt(warmup, 0.1, 55, 100), 0.05, 1e-12);  // halfway through 90 steps
  EXPECT_NEAR(LearningRateAt(warmup, 0.1, 40, 100), 0.1 * (1 + std::cos(kPi * 30 / 90.0)) / 2,
              1e-12);
}

}  // namespace
}  // namespace aiaas::training
