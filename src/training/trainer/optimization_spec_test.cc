#include "training/trainer/optimization_spec.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace aiaas::training {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

absl::StatusOr<OptimizationSpec> Parse(const char* text) {
  return ParseOptimizationSpec(json::parse(text));
}

TEST(OptimizationSpecTest, EmptySpecGivesDocumentedDefaults) {
  absl::StatusOr<OptimizationSpec> spec = Parse("{}");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->loss.kind, LossKind::kMse);
  EXPECT_EQ(spec->optimizer.kind, OptimizerKind::kAdam);
  EXPECT_DOUBLE_EQ(spec->optimizer.lr, 1e-3);
  EXPECT_DOUBLE_EQ(spec->optimizer.beta1, 0.9);
  EXPECT_DOUBLE_EQ(spec->optimizer.beta2, 0.999);
  EXPECT_DOUBLE_EQ(spec->gradient_clip_max_norm, 0.0);
  EXPECT_EQ(spec->lr_schedule.kind, ScheduleKind::kConstant);
  EXPECT_EQ(spec->epochs, 10);
  EXPECT_EQ(spec->batch_size, 32);
  EXPECT_EQ(spec->seed, 0u);
  EXPECT_FALSE(spec->early_stopping.has_value());
}

TEST(OptimizationSpecTest, ParsesAFullSpec) {
  absl::StatusOr<OptimizationSpec> spec = Parse(R"({
    "model": {"ignored": true},
    "loss": {"name": "huber", "delta": 2.5},
    "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": true, "weight_decay": 1e-4},
    "gradient_clip": {"max_norm": 5},
    "lr_schedule": {"name": "warmup", "warmup_steps": 100, "then": {"name": "step", "step_size": 30, "gamma": 0.5}},
    "epochs": 3, "batch_size": 64, "seed": 42,
    "early_stopping": {"metric": "val_accuracy", "patience": 2, "min_delta": 0.01}
  })");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->loss.kind, LossKind::kHuber);
  EXPECT_DOUBLE_EQ(spec->loss.huber_delta, 2.5);
  EXPECT_EQ(spec->optimizer.kind, OptimizerKind::kSgd);
  EXPECT_DOUBLE_EQ(spec->optimizer.lr, 0.1);
  EXPECT_DOUBLE_EQ(spec->optimizer.momentum, 0.9);
  EXPECT_TRUE(spec->optimizer.nesterov);
  EXPECT_DOUBLE_EQ(spec->optimizer.weight_decay, 1e-4);
  EXPECT_DOUBLE_EQ(spec->gradient_clip_max_norm, 5.0);
  EXPECT_EQ(spec->lr_schedule.kind, ScheduleKind::kWarmup);
  EXPECT_EQ(spec->lr_schedule.warmup_steps, 100);
  EXPECT_EQ(spec->lr_schedule.then, ScheduleKind::kStep);
  EXPECT_EQ(spec->lr_schedule.step_size, 30);
  EXPECT_DOUBLE_EQ(spec->lr_schedule.gamma, 0.5);
  EXPECT_EQ(spec->epochs, 3);
  EXPECT_EQ(spec->batch_size, 64);
  EXPECT_EQ(spec->seed, 42u);
  ASSERT_TRUE(spec->early_stopping.has_value());
  EXPECT_EQ(spec->early_stopping->metric, EarlyStoppingMetric::kValAccuracy);
  EXPECT_EQ(spec->early_stopping->patience, 2);
  EXPECT_DOUBLE_EQ(spec->early_stopping->min_delta, 0.01);
}

TEST(OptimizationSpecTest, ShorthandsAndPerOptimizerDefaults) {
  absl::StatusOr<OptimizationSpec> spec =
      Parse(R"({"loss": "cross_entropy", "optimizer": "adamw", "gradient_clip": 1.5,
               "lr_schedule": {"name": "warmup", "warmup_steps": 5, "then": "cosine"}})");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->loss.kind, LossKind::kCrossEntropy);
  EXPECT_EQ(spec->optimizer.kind, OptimizerKind::kAdamW);
  EXPECT_DOUBLE_EQ(spec->optimizer.weight_decay, 0.01);
  EXPECT_DOUBLE_EQ(spec->gradient_clip_max_norm, 1.5);
  EXPECT_EQ(spec->lr_schedule.then, ScheduleKind::kCosine);

  spec = Parse(R"({"optimizer": {"name": "sgd"}})");
  ASSERT_TRUE(spec.ok());
  EXPECT_DOUBLE_EQ(spec->optimizer.lr, 0.01);
  spec = Parse(R"({"optimizer": "adagrad", "lr_schedule": {"name": "cosine", "min_lr": 0.001}})");
  ASSERT_TRUE(spec.ok());
  EXPECT_DOUBLE_EQ(spec->optimizer.eps, 1e-10);
  EXPECT_DOUBLE_EQ(spec->lr_schedule.min_lr, 0.001);
}

struct BadSpec {
  const char* json;
  const char* message;  // a substring the error must contain
};

class OptimizationSpecRejects : public ::testing::TestWithParam<BadSpec> {};

TEST_P(OptimizationSpecRejects, WithAMessageNamingTheProblem) {
  absl::StatusOr<OptimizationSpec> spec = Parse(GetParam().json);
  ASSERT_FALSE(spec.ok()) << GetParam().json;
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(spec.status().message()), HasSubstr(GetParam().message))
      << GetParam().json;
}

INSTANTIATE_TEST_SUITE_P(
    BadCombinations, OptimizationSpecRejects,
    ::testing::Values(
        BadSpec{R"([])", "JSON object"}, BadSpec{R"({"loss": "hinge"})", "unknown loss \"hinge\""},
        BadSpec{R"({"loss": {"name": "huber", "delta": -1}})", "loss.delta"},
        BadSpec{R"({"loss": {"name": "mse", "delta": 1}})", "unknown key \"delta\""},
        BadSpec{R"({"loss": 3})", "loss"},
        BadSpec{R"({"optimizer": "lbfgs"})", "unknown optimizer \"lbfgs\""},
        BadSpec{R"({"optimizer": {"name": "sgd", "lr": -0.1}})", "optimizer.lr: must be > 0"},
        BadSpec{R"({"optimizer": {"name": "adam", "lr": 0}})", "optimizer.lr"},
        BadSpec{R"({"optimizer": {"name": "adam", "lr": "fast"}})",
                "optimizer.lr: must be a number"},
        BadSpec{R"({"optimizer": {"name": "sgd", "nesterov": true}})",
                "nesterov needs momentum > 0"},
        BadSpec{R"({"optimizer": {"name": "rmsprop", "momentum": 0.9, "nesterov": true}})",
                "only sgd supports nesterov"},
        BadSpec{R"({"optimizer": {"name": "adam", "momentum": 0.9}})",
                "only sgd and rmsprop take momentum, not adam (use betas)"},
        BadSpec{R"({"optimizer": {"name": "sgd", "momentum": 1.0}})", "optimizer.momentum"},
        BadSpec{R"({"optimizer": {"name": "sgd", "betas": [0.9, 0.99]}})",
                "only adam and adamw take betas"},
        BadSpec{R"({"optimizer": {"name": "adam", "betas": [0.9]}})", "[beta1, beta2]"},
        BadSpec{R"({"optimizer": {"name": "adam", "betas": [0.9, 1.0]}})", "[0, 1)"},
        BadSpec{R"({"optimizer": {"name": "adam", "weight_decay": -1}})", "optimizer.weight_decay"},
        BadSpec{R"({"optimizer": {"name": "adam", "eps": 0}})", "optimizer.eps"},
        BadSpec{R"({"optimizer": {"name": "sgd", "eps": 1e-8}})", "sgd takes no eps"},
        BadSpec{R"({"optimizer": {"name": "adam", "learning_rate": 0.1}})",
                "unknown key \"learning_rate\""},
        BadSpec{R"({"gradient_clip": 0})", "gradient_clip.max_norm: must be > 0"},
        BadSpec{R"({"gradient_clip": {"norm": 1}})", "unknown key"},
        BadSpec{R"({"lr_schedule": {"name": "step"}})", "needs \"step_size\""},
        BadSpec{R"({"lr_schedule": {"name": "step", "step_size": 0}})", "lr_schedule.step_size"},
        BadSpec{R"({"lr_schedule": {"name": "step", "step_size": 5, "gamma": 2}})",
                "lr_schedule.gamma"},
        BadSpec{R"({"lr_schedule": {"name": "cosine", "min_lr": 1}})", "above the optimizer's lr"},
        BadSpec{R"({"lr_schedule": {"name": "warmup"}})", "needs \"warmup_steps\""},
        BadSpec{R"({"lr_schedule": {"name": "warmup", "warmup_steps": 5, "then": "warmup"}})",
                "warmup cannot follow warmup"},
        BadSpec{R"({"lr_schedule": {"name": "exponential"}})", "unknown schedule"},
        BadSpec{R"({"epochs": 0})", "epochs"},
        BadSpec{R"({"epochs": 2.5})", "epochs: must be an integer"},
        BadSpec{R"({"batch_size": -4})", "batch_size"}, BadSpec{R"({"seed": -1})", "seed"},
        BadSpec{R"({"early_stopping": {"metric": "f1"}})", "unknown metric"},
        BadSpec{R"({"early_stopping": {"patience": 0}})", "early_stopping.patience"},
        BadSpec{R"({"early_stopping": {"min_delta": -0.1}})", "early_stopping.min_delta"}));

}  // namespace
}  // namespace aiaas::training
