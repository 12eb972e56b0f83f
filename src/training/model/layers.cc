#include "training/model/layers.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/modules/rnn.h>

#include <tuple>
#include <utility>
#include <vector>

namespace aiaas::training {
namespace {

// Batched shape: N followed by the per-sample shape.
std::vector<int64_t> Batched(int64_t batch, const Shape& sample) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), sample.begin(), sample.end());
  return shape;
}

class DenseLayer : public Layer {
 public:
  DenseLayer(int64_t in, const LayerSpec& spec)
      : linear_(register_module("linear", torch::nn::Linear(in, spec.units))),
        activation_(spec.activation) {}
  at::Tensor Forward(const at::Tensor& input) override {
    return ApplyActivation(activation_, linear_->forward(input));
  }
  DefaultFill DefaultWeightFill() const override { return FillFor(activation_); }

 private:
  torch::nn::Linear linear_;
  Activation activation_;
};

// conv1d/conv2d with Keras-style "same" padding. When every axis gets as many zeros
// before as after (odd kernels at stride 1, the usual case) the convolution pads itself;
// otherwise (possibly one more zero after than before) the zeros are added explicitly
// first, so any stride works. Both compute the same; the explicit pad costs a copy
// forward and backward (~10% of a training step of the digits CNN).
class ConvLayer : public Layer {
 public:
  explicit ConvLayer(const PlannedLayer& planned) : activation_(planned.spec.activation) {
    const LayerSpec& spec = planned.spec;
    const int64_t channels = planned.input_shape[0];
    bool symmetric = true;
    std::vector<int64_t> conv_padding;  // first spatial axis first
    for (size_t axis = planned.input_shape.size() - 1; axis >= 1; --axis) {
      // constant_pad_nd lists the last axis first.
      AxisGeometry g = ConvAxis(planned.input_shape[axis], spec.kernel, spec.stride, spec.padding,
                                spec.padding_amount);
      pad_.push_back(g.pad_before);
      pad_.push_back(g.pad_after);
      needs_pad_ = needs_pad_ || g.pad_before > 0 || g.pad_after > 0;
      symmetric = symmetric && g.pad_before == g.pad_after;
      conv_padding.insert(conv_padding.begin(), g.pad_before);
    }
    if (symmetric) {
      needs_pad_ = false;
    } else {
      conv_padding.assign(conv_padding.size(), 0);
    }
    if (spec.type == LayerType::kConv1d) {
      conv1d_ = register_module(
          "conv", torch::nn::Conv1d(torch::nn::Conv1dOptions(channels, spec.filters, spec.kernel)
                                        .stride(spec.stride)
                                        .padding(conv_padding[0])));
    } else {
      conv2d_ = register_module(
          "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, spec.filters, spec.kernel)
                                        .stride(spec.stride)
                                        .padding({conv_padding[0], conv_padding[1]})));
    }
  }
  at::Tensor Forward(const at::Tensor& input) override {
    at::Tensor x = needs_pad_ ? at::constant_pad_nd(input, pad_, 0) : input;
    x = conv1d_ ? conv1d_->forward(x) : conv2d_->forward(x);
    return ApplyActivation(activation_, x);
  }
  DefaultFill DefaultWeightFill() const override { return FillFor(activation_); }

 private:
  torch::nn::Conv1d conv1d_{nullptr};
  torch::nn::Conv2d conv2d_{nullptr};
  std::vector<int64_t> pad_;
  bool needs_pad_ = false;
  Activation activation_;
};

class PoolLayer : public Layer {
 public:
  explicit PoolLayer(const LayerSpec& spec)
      : max_(spec.type == LayerType::kMaxPool2d), pool_(spec.pool), stride_(spec.stride) {}
  at::Tensor Forward(const at::Tensor& input) override {
    return max_ ? at::max_pool2d(input, {pool_, pool_}, {stride_, stride_})
                : at::avg_pool2d(input, {pool_, pool_}, {stride_, stride_});
  }

 private:
  bool max_;
  int64_t pool_;
  int64_t stride_;
};

class FlattenLayer : public Layer {
 public:
  at::Tensor Forward(const at::Tensor& input) override { return input.flatten(1); }
};

class DropoutLayer : public Layer {
 public:
  explicit DropoutLayer(double rate) : rate_(rate) {}
  at::Tensor Forward(const at::Tensor& input) override {
    return at::dropout(input, rate_, is_training());
  }

 private:
  double rate_;
};

// Normalizes axis 0 of the sample (axis 1 of the batch): features or channels.
class BatchNormLayer : public Layer {
 public:
  explicit BatchNormLayer(const Shape& input) {
    if (input.size() == 3) {
      bn2d_ = register_module("bn", torch::nn::BatchNorm2d(input[0]));
    } else {
      bn1d_ = register_module("bn", torch::nn::BatchNorm1d(input[0]));
    }
  }
  at::Tensor Forward(const at::Tensor& input) override {
    return bn2d_ ? bn2d_->forward(input) : bn1d_->forward(input);
  }

 private:
  torch::nn::BatchNorm1d bn1d_{nullptr};
  torch::nn::BatchNorm2d bn2d_{nullptr};
};

class LayerNormLayer : public Layer {
 public:
  explicit LayerNormLayer(int64_t last)
      : norm_(register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({last})))) {}
  at::Tensor Forward(const at::Tensor& input) override { return norm_->forward(input); }

 private:
  torch::nn::LayerNorm norm_;
};

// Token ids arrive as floats (the tensors preprocessing makes); they are rounded to
// indices here. An id outside [0, vocab) makes torch throw, which the caller reports.
class EmbeddingLayer : public Layer {
 public:
  explicit EmbeddingLayer(const LayerSpec& spec)
      : embedding_(register_module("embedding", torch::nn::Embedding(spec.vocab, spec.dim))) {}
  at::Tensor Forward(const at::Tensor& input) override {
    at::Tensor ids = input.is_floating_point() ? input.round().to(at::kLong) : input.to(at::kLong);
    return embedding_->forward(ids);
  }
  DefaultFill DefaultWeightFill() const override { return DefaultFill::kUnitNormal; }

 private:
  torch::nn::Embedding embedding_;
};

// rnn/lstm/gru over [N, T, F]. Without return_sequences the output is the last
// layer's final hidden state, both directions concatenated (forward, backward).
class RecurrentLayer : public Layer {
 public:
  RecurrentLayer(int64_t features, const LayerSpec& spec)
      : return_sequences_(spec.return_sequences), directions_(spec.bidirectional ? 2 : 1) {
    if (spec.type == LayerType::kLstm) {
      lstm_ = register_module("rnn", torch::nn::LSTM(torch::nn::LSTMOptions(features, spec.units)
                                                         .num_layers(spec.num_layers)
                                                         .bidirectional(spec.bidirectional)
                                                         .batch_first(true)));
    } else if (spec.type == LayerType::kGru) {
      gru_ = register_module("rnn", torch::nn::GRU(torch::nn::GRUOptions(features, spec.units)
                                                       .num_layers(spec.num_layers)
                                                       .bidirectional(spec.bidirectional)
                                                       .batch_first(true)));
    } else {
      rnn_ = register_module("rnn", torch::nn::RNN(torch::nn::RNNOptions(features, spec.units)
                                                       .num_layers(spec.num_layers)
                                                       .bidirectional(spec.bidirectional)
                                                       .batch_first(true)));
    }
  }
  at::Tensor Forward(const at::Tensor& input) override {
    at::Tensor sequence;
    at::Tensor last_hidden;  // [layers * directions, N, H]
    if (lstm_) {
      auto [output, state] = lstm_->forward(input);
      sequence = output;
      last_hidden = std::get<0>(state);
    } else if (gru_) {
      std::tie(sequence, last_hidden) = gru_->forward(input);
    } else {
      std::tie(sequence, last_hidden) = rnn_->forward(input);
    }
    if (return_sequences_) return sequence;
    const int64_t batch = input.size(0);
    at::Tensor top = last_hidden.narrow(0, last_hidden.size(0) - directions_, directions_);
    return top.permute({1, 0, 2}).reshape({batch, -1});
  }

 private:
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::GRU gru_{nullptr};
  torch::nn::RNN rnn_{nullptr};
  bool return_sequences_;
  int64_t directions_;
};

class ActivationLayer : public Layer {
 public:
  explicit ActivationLayer(Activation activation) : activation_(activation) {}
  at::Tensor Forward(const at::Tensor& input) override {
    return ApplyActivation(activation_, input);
  }

 private:
  Activation activation_;
};

// Reshapes to the planned output shape (a -1 in the spec is already resolved).
class ReshapeLayer : public Layer {
 public:
  explicit ReshapeLayer(Shape output) : output_(std::move(output)) {}
  at::Tensor Forward(const at::Tensor& input) override {
    return input.reshape(Batched(input.size(0), output_));
  }

 private:
  Shape output_;
};

}  // namespace

DefaultFill FillFor(Activation activation) {
  return activation == Activation::kRelu || activation == Activation::kGelu ? DefaultFill::kKaiming
                                                                            : DefaultFill::kXavier;
}

at::Tensor ApplyActivation(Activation activation, const at::Tensor& input) {
  switch (activation) {
    case Activation::kNone:
      return input;
    case Activation::kRelu:
      return at::relu(input);
    case Activation::kTanh:
      return at::tanh(input);
    case Activation::kSigmoid:
      return at::sigmoid(input);
    case Activation::kGelu:
      return at::gelu(input);
    case Activation::kSoftmax:
      return at::softmax(input, -1);
  }
  return input;
}

std::shared_ptr<Layer> MakeLayer(const PlannedLayer& planned) {
  const LayerSpec& spec = planned.spec;
  const Shape& input = planned.input_shape;
  switch (spec.type) {
    case LayerType::kDense:
      return std::make_shared<DenseLayer>(input.back(), spec);
    case LayerType::kConv1d:
    case LayerType::kConv2d:
      return std::make_shared<ConvLayer>(planned);
    case LayerType::kMaxPool2d:
    case LayerType::kAvgPool2d:
      return std::make_shared<PoolLayer>(spec);
    case LayerType::kFlatten:
      return std::make_shared<FlattenLayer>();
    case LayerType::kDropout:
      return std::make_shared<DropoutLayer>(spec.rate);
    case LayerType::kBatchNorm:
      return std::make_shared<BatchNormLayer>(input);
    case LayerType::kLayerNorm:
      return std::make_shared<LayerNormLayer>(input.back());
    case LayerType::kEmbedding:
      return std::make_shared<EmbeddingLayer>(spec);
    case LayerType::kRnn:
    case LayerType::kLstm:
    case LayerType::kGru:
      return std::make_shared<RecurrentLayer>(input.back(), spec);
    case LayerType::kActivation:
      return std::make_shared<ActivationLayer>(spec.activation);
    case LayerType::kReshape:
      return std::make_shared<ReshapeLayer>(planned.output_shape);
  }
  return nullptr;
}

}  // namespace aiaas::training
