// Every named architecture builds for a typical input and runs forward for N = 1 and 5.
#include "training/model/architectures.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "training/model/model_builder.h"
#include "training/model/model_summary.h"

namespace aiaas::training {
namespace {

struct Case {
  std::string spec;
  Shape input;
  Task task;
  int64_t outputs;
  Shape expected_output;    // per sample
  int64_t token_vocab = 0;  // > 0: inputs are token ids below this
};

std::vector<int64_t> Batched(int64_t batch, const Shape& sample) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return shape;
}

std::shared_ptr<TrainableModel> Build(const Case& c) {
  absl::StatusOr<ModelSpec> spec = ParseModelSpecText(c.spec);
  EXPECT_TRUE(spec.ok()) << spec.status();
  if (!spec.ok()) return nullptr;
  BuildOptions options;
  options.input_shape = c.input;
  options.task = c.task;
  options.num_outputs = c.outputs;
  options.seed = 3;
  auto model = BuildModel(*spec, options);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

at::Tensor InputFor(const Case& c, int64_t batch) {
  if (c.token_vocab > 0) {
    return torch::randint(0, c.token_vocab, Batched(batch, c.input)).to(torch::kFloat);
  }
  return torch::randn(Batched(batch, c.input));
}

TEST(ArchitecturesTest, EachBuildsAndRunsForAnyBatchSize) {
  const std::vector<Case> cases = {
      {R"({"architecture": "linear_regression"})", {8}, Task::kRegression, 1, {1}},
      {R"({"architecture": "logistic_regression"})", {8}, Task::kClassification, 3, {3}},
      {R"({"architecture": "mlp", "hidden": [32, 16], "dropout": 0.2})",
       {1, 8, 8},
       Task::kClassification,
       10,
       {10}},
      {R"({"architecture": "mlp", "activation": "tanh"})", {5}, Task::kRegression, 1, {1}},
      {R"({"architecture": "cnn"})", {1, 8, 8}, Task::kClassification, 10, {10}},
      {R"({"architecture": "cnn", "filters": [4], "kernel": 5, "dense": [], "dropout": 0.1})",
       {3, 12, 10},
       Task::kRegression,
       2,
       {2}},
      {R"({"architecture": "rnn_classifier"})", {12, 4}, Task::kClassification, 3, {3}},
      {R"({"architecture": "rnn_classifier", "cell": "gru", "units": 8, "num_layers": 2,
          "bidirectional": true, "dropout": 0.1})",
       {12, 4},
       Task::kClassification,
       3,
       {3}},
      {R"({"architecture": "rnn_classifier", "cell": "rnn", "embedding": {"vocab": 50,
          "dim": 6}})",
       {12},
       Task::kClassification,
       2,
       {2},
       50},
      {R"({"architecture": "autoencoder", "encoder": [32], "latent": 4,
          "output_activation": "sigmoid"})",
       {1, 8, 8},
       Task::kReconstruction,
       0,
       {1, 8, 8}},
      {R"({"architecture": "vae", "encoder": [32, 16], "latent": 3})",
       {20},
       Task::kReconstruction,
       0,
       {20}},
      {R"({"architecture": "vae", "encoder": [16], "latent": 2})",
       {2, 4, 3},
       Task::kReconstruction,
       0,
       {2, 4, 3}},
      {R"({"architecture": "transformer_encoder_classifier", "d_model": 16, "heads": 2,
          "ff_dim": 32})",
       {10, 6},
       Task::kClassification,
       4,
       {4}},
      {R"({"architecture": "transformer_encoder_classifier", "d_model": 8, "heads": 2,
          "num_layers": 1, "vocab": 30})",
       {7},
       Task::kRegression,
       1,
       {1},
       30},
      {R"({"layers": [{"type": "reshape", "shape": [1, 8, 8]},
          {"type": "conv2d", "filters": 4, "kernel": 3, "padding": "same", "activation": "relu"},
          {"type": "batchnorm"}, {"type": "avgpool2d", "pool": 2}, {"type": "flatten"},
          {"type": "dense", "units": 16, "activation": "relu"}, {"type": "dropout", "rate": 0.3},
          {"type": "layernorm"}]})",
       {64},
       Task::kClassification,
       5,
       {5}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.spec);
    std::shared_ptr<TrainableModel> model = Build(c);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->InputShape(), c.input);
    EXPECT_EQ(model->OutputShape(), c.expected_output);
    for (bool training : {false, true}) {
      model->train(training);
      for (int64_t batch : {1, 5}) {
        if (training && batch == 1) continue;  // batchnorm needs > 1 sample to train
        ModelOutput out = model->Forward(InputFor(c, batch));
        EXPECT_EQ(out.output.sizes().vec(), Batched(batch, c.expected_output))
            << "batch " << batch << " training " << training;
        EXPECT_TRUE(torch::isfinite(out.output).all().item<bool>());
      }
    }
    // The planner's analytic parameter count matches what LibTorch allocated.
    nlohmann::json summary = ModelSummary(*model);
    auto* zoo = dynamic_cast<ZooModel*>(model.get());
    ASSERT_NE(zoo, nullptr);
    EXPECT_EQ(summary["parameters"].get<int64_t>(), zoo->plan().parameters);
    int64_t in_rows = 0;
    for (const auto& row : summary["layers"]) in_rows += row["parameters"].get<int64_t>();
    EXPECT_EQ(in_rows, summary["parameters"].get<int64_t>());
  }
}

TEST(ArchitecturesTest, VaeSamplesInTrainingAndUsesTheMeanInEval) {
  Case c{R"({"architecture": "vae", "encoder": [16], "latent": 3})",
         {10},
         Task::kReconstruction,
         0,
         {10}};
  std::shared_ptr<TrainableModel> model = Build(c);
  ASSERT_NE(model, nullptr);
  at::Tensor x = torch::randn({4, 10});

  model->eval();
  ModelOutput a = model->Forward(x);
  ModelOutput b = model->Forward(x);
  ASSERT_TRUE(a.mu.defined() && a.logvar.defined());
  EXPECT_EQ(a.mu.sizes().vec(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(a.logvar.sizes().vec(), (std::vector<int64_t>{4, 3}));
  EXPECT_TRUE(a.output.equal(b.output));  // z = mu: deterministic

  model->train();
  ModelOutput t1 = model->Forward(x);
  ModelOutput t2 = model->Forward(x);
  EXPECT_TRUE(t1.mu.equal(a.mu));  // the encoder has no dropout: same distribution
  EXPECT_TRUE(t1.logvar.equal(a.logvar));
  EXPECT_FALSE(t1.output.equal(t2.output));  // z = mu + eps * sigma: sampled
  EXPECT_FALSE(t1.output.equal(a.output));

  // Gradients reach the encoder through mu and logvar.
  (t1.output.sum() + t1.mu.sum() + t1.logvar.sum()).backward();
  for (const auto& parameter : model->parameters()) {
    ASSERT_TRUE(parameter.grad().defined());
  }

  Case plain{R"({"architecture": "autoencoder"})", {10}, Task::kReconstruction, 0, {10}};
  std::shared_ptr<TrainableModel> autoencoder = Build(plain);
  ASSERT_NE(autoencoder, nullptr);
  EXPECT_FALSE(autoencoder->Forward(x).mu.defined());
}

std::shared_ptr<TrainableModel> BuildVae(uint64_t seed) {
  absl::StatusOr<ModelSpec> spec =
      ParseModelSpecText(R"({"architecture": "vae", "encoder": [64], "latent": 8})");
  EXPECT_TRUE(spec.ok()) << spec.status();
  BuildOptions options;
  options.input_shape = {64};
  options.task = Task::kReconstruction;
  options.seed = seed;
  auto model = BuildModel(*spec, options);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

TEST(ArchitecturesTest, VaeSamplesAreSeededByThePlan) {
  at::Tensor x = torch::randn({6, 64});
  std::shared_ptr<TrainableModel> a = BuildVae(5);
  std::shared_ptr<TrainableModel> b = BuildVae(5);
  std::shared_ptr<TrainableModel> c = BuildVae(6);
  ASSERT_TRUE(a && b && c);
  a->train();
  b->train();
  c->train();
  // The same seed, the same draws, even with torch's global generator used in between.
  at::Tensor first = a->Forward(x).output;
  (void)torch::randn({100});
  EXPECT_TRUE(first.equal(b->Forward(x).output));
  EXPECT_TRUE(a->Forward(x).output.equal(b->Forward(x).output));
  EXPECT_FALSE(c->Forward(x).output.equal(first));
}

TEST(ArchitecturesTest, VaePosteriorsStartNearThePrior) {
  std::shared_ptr<TrainableModel> model = BuildVae(7);
  ASSERT_NE(model, nullptr);
  model->eval();
  torch::NoGradGuard no_grad;
  at::Tensor x = torch::randn({32, 64});  // standardized data
  ModelOutput out = model->Forward(x);
  // exp(logvar) near 1 and mu near 0: the KL term starts small. (Xavier heads gave
  // |logvar| up to ~4 here.)
  EXPECT_LT(out.logvar.abs().max().item<double>(), 1.0);
  EXPECT_LT(out.mu.abs().max().item<double>(), 1.0);
}

TEST(ArchitecturesTest, SmallMlpLearnsASeparableProblem) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(11);
  const int64_t n = 200;
  at::Tensor labels = torch::arange(n) % 2;
  at::Tensor centers = labels.to(torch::kFloat).unsqueeze(1) * 2.0 - 1.0;  // -1 or +1
  at::Tensor features = centers.expand({n, 4}) + 0.6 * at::randn({n, 4}, gen);

  Case c{R"({"architecture": "mlp", "hidden": [16]})", {4}, Task::kClassification, 2, {2}};
  std::shared_ptr<TrainableModel> model = Build(c);
  ASSERT_NE(model, nullptr);
  torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(0.01));
  model->train();
  for (int step = 0; step < 150; ++step) {
    optimizer.zero_grad();
    at::Tensor loss = torch::nn::functional::cross_entropy(model->Forward(features).output, labels);
    loss.backward();
    optimizer.step();
  }
  model->eval();
  torch::NoGradGuard no_grad;
  at::Tensor predicted = model->Forward(features).output.argmax(1);
  const double accuracy = predicted.eq(labels).to(torch::kDouble).mean().item<double>();
  EXPECT_GE(accuracy, 0.95);
}

}  // namespace
}  // namespace aiaas::training
