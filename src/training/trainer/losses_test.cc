#include "training/trainer/losses.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::training {
namespace {

using ::testing::HasSubstr;

double LossValue(LossSpec spec, const ModelOutput& out, const at::Tensor& input,
                 const at::Tensor& target) {
  absl::StatusOr<at::Tensor> loss = ComputeLoss(spec, out, input, target);
  EXPECT_TRUE(loss.ok()) << loss.status();
  if (!loss.ok()) return std::nan("");
  EXPECT_EQ(loss->dim(), 0);
  return loss->item<double>();
}

LossSpec Spec(LossKind kind, double delta = 1.0) {
  LossSpec spec;
  spec.kind = kind;
  spec.huber_delta = delta;
  return spec;
}

ModelOutput Out(at::Tensor output) { return {std::move(output), {}, {}}; }

TEST(LossesTest, RegressionLossesMatchHandComputation) {
  // Errors 1 and -2.
  ModelOutput out = Out(at::tensor({1.0f, 2.0f}).reshape({2, 1}));
  at::Tensor target = at::tensor({0.0f, 4.0f}).reshape({2, 1});
  at::Tensor x = at::zeros({2, 3});
  EXPECT_NEAR(LossValue(Spec(LossKind::kMse), out, x, target), (1.0 + 4.0) / 2, 1e-6);
  EXPECT_NEAR(LossValue(Spec(LossKind::kMae), out, x, target), (1.0 + 2.0) / 2, 1e-6);
  // Huber(delta=1): 0.5*1^2 = 0.5 and 1*(2 - 0.5) = 1.5.
  EXPECT_NEAR(LossValue(Spec(LossKind::kHuber, 1.0), out, x, target), (0.5 + 1.5) / 2, 1e-6);
  // Huber(delta=2): both quadratic, 0.5 and 2.
  EXPECT_NEAR(LossValue(Spec(LossKind::kHuber, 2.0), out, x, target), (0.5 + 2.0) / 2, 1e-6);
  // [N] targets are accepted for [N, 1] outputs.
  EXPECT_NEAR(LossValue(Spec(LossKind::kMse), out, x, at::tensor({0.0f, 4.0f})), 2.5, 1e-6);
}

TEST(LossesTest, ReconstructionUsesTheInputAsTarget) {
  at::Tensor input = at::tensor({1.0f, 1.0f, 0.0f, 0.0f}).reshape({2, 2});
  ModelOutput out = Out(at::tensor({0.0f, 1.0f, 0.0f, 2.0f}).reshape({2, 2}));
  EXPECT_NEAR(LossValue(Spec(LossKind::kMse), out, input, at::Tensor()), (1.0 + 0 + 0 + 4.0) / 4,
              1e-6);
}

TEST(LossesTest, CrossEntropyMatchesHandComputation) {
  // Row 0: logits [0, 0], class 0 -> log 2. Row 1: logits [0, ln 3], class 1 -> -log(3/4).
  ModelOutput out =
      Out(at::tensor({0.0f, 0.0f, 0.0f, static_cast<float>(std::log(3.0))}).reshape({2, 2}));
  at::Tensor target = at::tensor({0, 1}, at::kLong);
  const double expected = (std::log(2.0) - std::log(0.75)) / 2;
  EXPECT_NEAR(LossValue(Spec(LossKind::kCrossEntropy), out, at::zeros({2, 1}), target), expected,
              1e-6);
}

TEST(LossesTest, BinaryCrossEntropyOnLogits) {
  // Logit 0 -> p = 0.5: -log 0.5 whatever the label; logit ln 3 -> p = 0.75, label 1: -log 0.75.
  ModelOutput out = Out(at::tensor({0.0f, static_cast<float>(std::log(3.0))}).reshape({2, 1}));
  const double expected = (std::log(2.0) - std::log(0.75)) / 2;
  EXPECT_NEAR(
      LossValue(Spec(LossKind::kBce), out, at::zeros({2, 1}), at::tensor({0, 1}, at::kLong)),
      expected, 1e-6);
  // Multi-label: [N, C] float targets.
  ModelOutput multi = Out(at::zeros({1, 2}));
  EXPECT_NEAR(LossValue(Spec(LossKind::kBce), multi, at::zeros({1, 1}),
                        at::tensor({1.0f, 0.0f}).reshape({1, 2})),
              std::log(2.0), 1e-6);
}

TEST(LossesTest, KlDivAgainstTargetDistributions) {
  ModelOutput out = Out(at::zeros({1, 2}));  // model distribution (0.5, 0.5)
  at::Tensor x = at::zeros({1, 1});
  // KL((1, 0) || (0.5, 0.5)) = log 2; KL((0.5, 0.5) || (0.5, 0.5)) = 0.
  EXPECT_NEAR(LossValue(Spec(LossKind::kKlDiv), out, x, at::tensor({1.0f, 0.0f}).reshape({1, 2})),
              std::log(2.0), 1e-6);
  EXPECT_NEAR(LossValue(Spec(LossKind::kKlDiv), out, x, at::tensor({0.5f, 0.5f}).reshape({1, 2})),
              0.0, 1e-6);
  // Class indices are one-hot distributions: kl_div equals cross_entropy.
  ModelOutput logits = Out(at::tensor({0.2f, -1.0f, 0.7f, 2.0f, 0.1f, -0.3f}).reshape({2, 3}));
  at::Tensor labels = at::tensor({2, 0}, at::kLong);
  EXPECT_NEAR(LossValue(Spec(LossKind::kKlDiv), logits, x, labels),
              LossValue(Spec(LossKind::kCrossEntropy), logits, x, labels), 1e-6);
}

TEST(LossesTest, ElboIsReconstructionPlusKl) {
  at::Tensor input = at::tensor({1.0f, 2.0f, 0.0f, 0.0f}).reshape({2, 2});
  ModelOutput out;
  out.output =
      at::tensor({0.0f, 2.0f, 1.0f, 1.0f}).reshape({2, 2});  // squared errors: row0 1, row1 2
  out.mu = at::tensor({1.0f, 0.0f}).reshape({2, 1});
  out.logvar = at::tensor({0.0f, std::log(2.0f)}).reshape({2, 1});
  // KL per row: -0.5 * (1 + logvar - mu^2 - exp(logvar)): row0 0.5, row1 -0.5*(ln 2 - 1).
  const double kl = (0.5 + -0.5 * (std::log(2.0) - 1.0)) / 2;
  const double reconstruction = (1.0 + 2.0) / 2;
  EXPECT_NEAR(LossValue(Spec(LossKind::kElbo), out, input, at::Tensor()), reconstruction + kl,
              1e-6);
}

TEST(LossesTest, MisfitsAreInvalidArgument) {
  at::Tensor x = at::zeros({2, 1});
  auto error = [&](LossKind kind, ModelOutput out, at::Tensor target) {
    absl::StatusOr<at::Tensor> loss = ComputeLoss(Spec(kind), out, x, target);
    EXPECT_EQ(loss.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(loss.status().message());
  };
  EXPECT_THAT(error(LossKind::kCrossEntropy, Out(at::zeros({2, 3})), at::tensor({0, 3}, at::kLong)),
              HasSubstr("class index 3 is out of range for 3 classes"));
  EXPECT_THAT(error(LossKind::kCrossEntropy, Out(at::zeros({2, 3})), at::zeros({2})),
              HasSubstr("int64 class indices"));
  EXPECT_THAT(error(LossKind::kMse, Out(at::zeros({2, 1})), at::zeros({3, 1})),
              HasSubstr("do not fit"));
  EXPECT_THAT(error(LossKind::kElbo, Out(at::zeros({2, 1})), at::Tensor()),
              HasSubstr("needs a VAE"));
  EXPECT_THAT(error(LossKind::kBce, Out(at::zeros({2, 1})), at::tensor({0, 2}, at::kLong)),
              HasSubstr("[0, 1]"));
  EXPECT_THAT(error(LossKind::kKlDiv, Out(at::zeros({2, 3})), at::zeros({2, 2})),
              HasSubstr("logits' shape"));
}

TEST(LossesTest, TargetValuesAreCheckedPerSplitOrPerBatch) {
  const at::Tensor logits = at::zeros({4, 3});
  const at::Tensor x = at::zeros({4, 1});
  auto split_error = [&](LossKind kind, const at::Tensor& output, const at::Tensor& inputs,
                         const at::Tensor& targets) {
    absl::Status status = CheckLossTargetValues(Spec(kind), output, inputs, targets);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    return std::string(status.message());
  };
  // The whole split is read; only the output's width matters (a one-row sample here).
  EXPECT_THAT(split_error(LossKind::kCrossEntropy, at::zeros({1, 3}), x,
                          at::tensor({0, 1, 2, 3}, at::kLong)),
              HasSubstr("class index 3 is out of range for 3 classes"));
  EXPECT_THAT(split_error(LossKind::kKlDiv, at::zeros({1, 3}), x,
                          at::tensor({0.5f, 0.5f, -0.1f}).expand({4, 3})),
              HasSubstr(">= 0"));
  EXPECT_THAT(
      split_error(LossKind::kBce, at::zeros({1, 1}), x, at::tensor({0, 1, 1, 2}, at::kLong)),
      HasSubstr("[0, 1]"));
  // Reconstruction with bce: the inputs are the reference.
  EXPECT_THAT(split_error(LossKind::kBce, at::zeros({1, 1}), at::full({4, 1}, 1.5), at::Tensor()),
              HasSubstr("[0, 1]"));
  EXPECT_TRUE(CheckLossTargetValues(Spec(LossKind::kCrossEntropy), at::zeros({1, 3}), x,
                                    at::tensor({0, 1, 2, 2}, at::kLong))
                  .ok());
  EXPECT_TRUE(
      CheckLossTargetValues(Spec(LossKind::kMse), at::zeros({1, 1}), x, at::full({4, 1}, 9.0f))
          .ok());

  // Per batch: checked by default; skipped on request, while shapes are still checked.
  const at::Tensor not_binary = at::tensor({0, 1, 1, 2}, at::kLong);
  EXPECT_FALSE(ComputeLoss(Spec(LossKind::kBce), Out(at::zeros({4, 1})), x, not_binary).ok());
  EXPECT_TRUE(ComputeLoss(Spec(LossKind::kBce), Out(at::zeros({4, 1})), x, not_binary,
                          /*check_values=*/false)
                  .ok());
  EXPECT_FALSE(ComputeLoss(Spec(LossKind::kCrossEntropy), Out(logits), x, at::zeros({4}),
                           /*check_values=*/false)
                   .ok());
  // An index out of range still fails unchecked (torch's own check), never reads out of bounds.
  EXPECT_FALSE(ComputeLoss(Spec(LossKind::kCrossEntropy), Out(logits), x,
                           at::tensor({0, 1, 2, 3}, at::kLong), /*check_values=*/false)
                   .ok());
}

TEST(LossesTest, CountCorrect) {
  at::Tensor logits = at::tensor({2.0f, 1.0f, 0.0f, 5.0f, 0.0f, 1.0f}).reshape({3, 2});
  absl::StatusOr<CorrectCount> c =
      CountCorrect(Spec(LossKind::kCrossEntropy), logits, at::tensor({0, 1, 0}, at::kLong));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->correct, 2);  // predictions 0, 1, 0
  EXPECT_EQ(c->count, 3);
  c = CountCorrect(Spec(LossKind::kBce), at::tensor({1.0f, -1.0f}).reshape({2, 1}),
                   at::tensor({1, 1}, at::kLong));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->correct, 1);
  EXPECT_EQ(c->count, 2);
}

TEST(LossesTest, LossTaskTable) {
  struct Row {
    LossKind loss;
    Task task;
    bool is_vae;
    bool ok;
  };
  const Row rows[] = {
      {LossKind::kCrossEntropy, Task::kClassification, false, true},
      {LossKind::kBce, Task::kClassification, false, true},
      {LossKind::kKlDiv, Task::kClassification, false, true},
      {LossKind::kMse, Task::kClassification, false, false},
      {LossKind::kMae, Task::kClassification, false, false},
      {LossKind::kHuber, Task::kClassification, false, false},
      {LossKind::kMse, Task::kRegression, false, true},
      {LossKind::kMae, Task::kRegression, false, true},
      {LossKind::kHuber, Task::kRegression, false, true},
      {LossKind::kCrossEntropy, Task::kRegression, false, false},
      {LossKind::kBce, Task::kRegression, false, false},
      {LossKind::kKlDiv, Task::kRegression, false, false},
      {LossKind::kMse, Task::kReconstruction, false, true},
      {LossKind::kBce, Task::kReconstruction, false, true},
      {LossKind::kCrossEntropy, Task::kReconstruction, false, false},
      {LossKind::kElbo, Task::kReconstruction, false, false},
      {LossKind::kElbo, Task::kReconstruction, true, true},
      {LossKind::kMse, Task::kReconstruction, true, true},
      {LossKind::kElbo, Task::kRegression, true, false},
  };
  for (const Row& row : rows) {
    absl::Status status = CheckLossFitsTask(row.loss, row.task, row.is_vae);
    EXPECT_EQ(status.ok(), row.ok)
        << LossKindName(row.loss) << " task " << static_cast<int>(row.task) << " vae " << row.is_vae
        << ": " << status;
    if (!row.ok) EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_THAT(
      std::string(CheckLossFitsTask(LossKind::kMse, Task::kClassification, false).message()),
      HasSubstr("use cross_entropy"));
  EXPECT_THAT(
      std::string(CheckLossFitsTask(LossKind::kCrossEntropy, Task::kRegression, false).message()),
      HasSubstr("loss cross_entropy does not fit a regression task"));
  EXPECT_THAT(
      std::string(CheckLossFitsTask(LossKind::kElbo, Task::kReconstruction, false).message()),
      HasSubstr("needs a VAE"));
}

}  // namespace
}  // namespace aiaas::training
