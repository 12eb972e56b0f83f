// Tiny TrainableModels and datasets for the trainer's tests (the real zoo lives in
// training/model/ and is not a dependency of the trainer).
#ifndef AIAAS_TRAINING_TRAINER_TEST_MODELS_H_
#define AIAAS_TRAINING_TRAINER_TEST_MODELS_H_

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <vector>

#include "training/model/trainable_model.h"
#include "training/trainer/train_loop.h"

namespace aiaas::training::testing {

// y = W x + b.
class LinearModel : public TrainableModel {
 public:
  LinearModel(int64_t in, int64_t out) : in_(in), out_(out) {
    linear_ = register_module("linear", torch::nn::Linear(in, out));
  }
  ModelOutput Forward(const at::Tensor& input) override {
    return {linear_->forward(input), {}, {}};
  }
  std::vector<int64_t> InputShape() const override { return {in_}; }
  std::vector<int64_t> OutputShape() const override { return {out_}; }
  torch::nn::Linear& linear() { return linear_; }

 private:
  int64_t in_;
  int64_t out_;
  torch::nn::Linear linear_{nullptr};
};

// Linear -> tanh -> Linear.
class Mlp : public TrainableModel {
 public:
  Mlp(int64_t in, int64_t hidden, int64_t out) : in_(in), out_(out) {
    fc1_ = register_module("fc1", torch::nn::Linear(in, hidden));
    fc2_ = register_module("fc2", torch::nn::Linear(hidden, out));
  }
  ModelOutput Forward(const at::Tensor& input) override {
    return {fc2_->forward(at::tanh(fc1_->forward(input))), {}, {}};
  }
  std::vector<int64_t> InputShape() const override { return {in_}; }
  std::vector<int64_t> OutputShape() const override { return {out_}; }

 private:
  int64_t in_;
  int64_t out_;
  torch::nn::Linear fc1_{nullptr};
  torch::nn::Linear fc2_{nullptr};
};

// A deterministic stand-in for a VAE: the encoder gives mu and logvar, the decoder
// reconstructs from mu (no sampling, so tests are reproducible).
class FakeVae : public TrainableModel {
 public:
  FakeVae(int64_t dim, int64_t latent) : dim_(dim), latent_(latent) {
    encoder_ = register_module("encoder", torch::nn::Linear(dim, 2 * latent));
    decoder_ = register_module("decoder", torch::nn::Linear(latent, dim));
  }
  ModelOutput Forward(const at::Tensor& input) override {
    at::Tensor h = encoder_->forward(input);
    at::Tensor mu = h.slice(1, 0, latent_);
    at::Tensor logvar = h.slice(1, latent_, 2 * latent_);
    return {decoder_->forward(mu), mu, logvar};
  }
  std::vector<int64_t> InputShape() const override { return {dim_}; }
  std::vector<int64_t> OutputShape() const override { return {dim_}; }

 private:
  int64_t dim_;
  int64_t latent_;
  torch::nn::Linear encoder_{nullptr};
  torch::nn::Linear decoder_{nullptr};
};

inline at::Generator TestGenerator(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

// y = x . [1, -2, 0.5] + 0.3 (+ small noise), x ~ N(0, 1) in 3 dimensions.
inline TrainData RegressionData(int64_t n_train, int64_t n_val, uint64_t seed = 1) {
  at::Generator gen = TestGenerator(seed);
  auto make = [&](int64_t n, at::Tensor& x, at::Tensor& y) {
    x = at::randn({n, 3}, gen);
    at::Tensor w = at::tensor({1.0f, -2.0f, 0.5f}).reshape({3, 1});
    y = x.matmul(w) + 0.3 + 0.01 * at::randn({n, 1}, gen);
  };
  TrainData data;
  make(n_train, data.train_inputs, data.train_targets);
  if (n_val > 0) make(n_val, data.val_inputs, data.val_targets);
  return data;
}

// Three Gaussian blobs in 2 dimensions, class indices int64.
inline TrainData BlobsData(int64_t n_train, int64_t n_val, uint64_t seed = 2) {
  at::Generator gen = TestGenerator(seed);
  at::Tensor centers = at::tensor({-3.0f, 0.0f, 3.0f, 0.0f, 0.0f, 3.0f}).reshape({3, 2});
  auto make = [&](int64_t n, at::Tensor& x, at::Tensor& y) {
    y = at::randint(0, 3, {n}, gen, at::TensorOptions().dtype(at::kLong));
    x = centers.index_select(0, y) + 0.5 * at::randn({n, 2}, gen);
  };
  TrainData data;
  make(n_train, data.train_inputs, data.train_targets);
  if (n_val > 0) make(n_val, data.val_inputs, data.val_targets);
  return data;
}

}  // namespace aiaas::training::testing

#endif  // AIAAS_TRAINING_TRAINER_TEST_MODELS_H_
