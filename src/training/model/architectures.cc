#include "training/model/architectures.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/transformerlayer.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace aiaas::training {
namespace {

std::string ShapeText(c10::IntArrayRef sizes) {
  return ShapeToString(Shape(sizes.begin(), sizes.end()));
}

// Registers each planned layer under `list` ("layers.0", "layers.1", ...) and keeps
// typed pointers for Forward.
std::vector<std::shared_ptr<Layer>> AddLayers(const std::vector<PlannedLayer>& planned,
                                              torch::nn::ModuleList list) {
  std::vector<std::shared_ptr<Layer>> layers;
  for (const PlannedLayer& layer : planned) {
    layers.push_back(MakeLayer(layer));
    list->push_back(layers.back());
  }
  return layers;
}

void AppendParts(const std::vector<PlannedLayer>& planned,
                 const std::vector<std::shared_ptr<Layer>>& layers, std::vector<ModelPart>* parts) {
  for (size_t i = 0; i < planned.size(); ++i) {
    parts->push_back({planned[i].where, std::string(LayerTypeName(planned[i].spec.type)),
                      planned[i].output_shape, planned[i].from_task, layers[i].get(),
                      layers[i]->DefaultWeightFill()});
  }
}

at::Tensor RunLayers(const std::vector<std::shared_ptr<Layer>>& layers, at::Tensor x) {
  for (const auto& layer : layers) x = layer->Forward(x);
  return x;
}

PlannedLayer DenseLayerPlan(std::string where, int64_t in, int64_t units) {
  PlannedLayer layer;
  layer.spec.type = LayerType::kDense;
  layer.spec.units = units;
  layer.where = std::move(where);
  layer.input_shape = {in};
  layer.output_shape = {units};
  return layer;
}

class SequentialModel : public ZooModel {
 public:
  explicit SequentialModel(ModelPlan plan) : ZooModel(std::move(plan)) {
    auto list = register_module("layers", torch::nn::ModuleList());
    layers_ = AddLayers(this->plan().layers, list);
  }
  ModelOutput Forward(const at::Tensor& input) override {
    return {RunLayers(layers_, CheckedInput(input)), {}, {}};
  }
  std::vector<ModelPart> Parts() override {
    std::vector<ModelPart> parts;
    AppendParts(plan().layers, layers_, &parts);
    return parts;
  }

 private:
  std::vector<std::shared_ptr<Layer>> layers_;
};

class VaeModel : public ZooModel {
 public:
  explicit VaeModel(ModelPlan plan) : ZooModel(std::move(plan)) {
    const ModelPlan& p = this->plan();
    auto encoder = register_module("encoder", torch::nn::ModuleList());
    encoder_ = AddLayers(p.layers, encoder);
    const int64_t width = p.layers.empty() ? p.input_shape.back() : p.layers.back().output_shape[0];
    // Its own noise generator, seeded from the plan: the same seed and spec give the
    // same samples, whatever else runs in the process (other jobs share torch's global
    // generator). A distinct stream from the weight initialization's.
    noise_ = at::make_generator<at::CPUGeneratorImpl>(p.seed ^ 0x9e3779b97f4a7c15ULL);
    mu_ = MakeLayer(DenseLayerPlan("mu (dense)", width, p.options.latent));
    logvar_ = MakeLayer(DenseLayerPlan("logvar (dense)", width, p.options.latent));
    register_module("mu", mu_);
    register_module("logvar", logvar_);
    auto decoder = register_module("decoder", torch::nn::ModuleList());
    decoder_ = AddLayers(p.decoder_layers, decoder);
  }
  ModelOutput Forward(const at::Tensor& input) override {
    at::Tensor hidden = RunLayers(encoder_, CheckedInput(input));
    if (hidden.dim() > 2) hidden = hidden.flatten(1);
    at::Tensor mu = mu_->Forward(hidden);
    at::Tensor logvar = logvar_->Forward(hidden);
    at::Tensor z = mu;
    if (is_training()) {
      z = mu + at::randn(mu.sizes(), noise_, mu.options()) * at::exp(0.5 * logvar);
    }
    return {RunLayers(decoder_, z), mu, logvar};
  }
  std::vector<ModelPart> Parts() override {
    const ModelPlan& p = plan();
    std::vector<ModelPart> parts;
    AppendParts(p.layers, encoder_, &parts);
    // Small initial heads: every sample's posterior starts near the prior N(0, 1).
    // With Xavier heads after a Kaiming encoder, exp(logvar) started large on
    // standardized digits: first-epoch ELBOs of 10^3 on some seeds, and within 8 epochs
    // reconstructions hardly better than the mean image (MSE 0.9x the mean's, against
    // 0.4x with small heads; the same in a plain PyTorch loop with those inits).
    parts.push_back(
        {"mu (dense)", "dense", {p.options.latent}, false, mu_.get(), DefaultFill::kSmallNormal});
    parts.push_back({"logvar (dense)",
                     "dense",
                     {p.options.latent},
                     false,
                     logvar_.get(),
                     DefaultFill::kSmallNormal});
    AppendParts(p.decoder_layers, decoder_, &parts);
    return parts;
  }

 private:
  std::vector<std::shared_ptr<Layer>> encoder_;
  at::Generator noise_;
  std::shared_ptr<Layer> mu_;
  std::shared_ptr<Layer> logvar_;
  std::vector<std::shared_ptr<Layer>> decoder_;
};

// A learned [T, d_model] table added to every sample of the batch.
class PositionalEmbedding : public torch::nn::Module {
 public:
  PositionalEmbedding(int64_t time, int64_t d_model)
      : table_(register_parameter("weight", torch::zeros({time, d_model}))) {}
  at::Tensor Forward(const at::Tensor& x) { return x + table_; }

 private:
  at::Tensor table_;
};

class TransformerEncoderClassifier : public ZooModel {
 public:
  explicit TransformerEncoderClassifier(ModelPlan plan) : ZooModel(std::move(plan)) {
    const ModelPlan& p = this->plan();
    const ArchitectureOptions& o = p.options;
    const int64_t time = p.input_shape[0];
    if (o.vocab > 0) {
      PlannedLayer embedding;
      embedding.spec.type = LayerType::kEmbedding;
      embedding.spec.vocab = o.vocab;
      embedding.spec.dim = o.d_model;
      embedding.input_shape = {time};
      input_ = MakeLayer(embedding);
    } else {
      input_ = MakeLayer(DenseLayerPlan("", p.input_shape[1], o.d_model));
    }
    register_module("input", input_);
    positions_ =
        register_module("positions", std::make_shared<PositionalEmbedding>(time, o.d_model));
    auto blocks = register_module("blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < o.num_layers; ++i) {
      blocks_.push_back(torch::nn::TransformerEncoderLayer(
          torch::nn::TransformerEncoderLayerOptions(o.d_model, o.heads)
              .dim_feedforward(o.ff_dim)
              .dropout(o.dropout)
              .activation(torch::kGELU)));
      blocks->push_back(blocks_.back());
    }
    head_ = MakeLayer(DenseLayerPlan("", o.d_model, p.output_shape[0]));
    register_module("head", head_);
  }
  ModelOutput Forward(const at::Tensor& input) override {
    at::Tensor x = positions_->Forward(input_->Forward(CheckedInput(input)));  // [N, T, d]
    x = at::dropout(x, plan().options.dropout, is_training());
    x = x.transpose(0, 1);  // the C++ encoder layers take [T, N, d]
    for (auto& block : blocks_) x = block->forward(x);
    return {head_->Forward(x.mean(0)), {}, {}};
  }
  std::vector<ModelPart> Parts() override {
    const ModelPlan& p = plan();
    const int64_t time = p.input_shape[0];
    const int64_t d = p.options.d_model;
    std::vector<ModelPart> parts;
    if (p.options.vocab > 0) {
      parts.push_back({"token embedding",
                       "embedding",
                       {time, d},
                       false,
                       input_.get(),
                       DefaultFill::kUnitNormal});
    } else {
      parts.push_back({"input projection (dense)",
                       "dense",
                       {time, d},
                       false,
                       input_.get(),
                       DefaultFill::kXavier});
    }
    parts.push_back({"positional embedding",
                     "positional_embedding",
                     {time, d},
                     false,
                     positions_.get(),
                     DefaultFill::kSmallNormal});
    for (size_t i = 0; i < blocks_.size(); ++i) {
      parts.push_back({absl::StrCat("encoder block ", i),
                       "transformer_encoder_block",
                       {time, d},
                       false,
                       blocks_[i].ptr().get(),
                       DefaultFill::kXavier});
    }
    parts.push_back(
        {"output head (dense)", "dense", p.output_shape, true, head_.get(), DefaultFill::kXavier});
    return parts;
  }

 private:
  std::shared_ptr<Layer> input_;
  std::shared_ptr<PositionalEmbedding> positions_;
  std::vector<torch::nn::TransformerEncoderLayer> blocks_;
  std::shared_ptr<Layer> head_;
};

}  // namespace

at::Tensor ZooModel::CheckedInput(const at::Tensor& input) const {
  const Shape& expected = plan_.input_shape;
  bool ok = input.defined() && input.dim() == static_cast<int64_t>(expected.size()) + 1 &&
            input.size(0) >= 1;
  for (size_t i = 0; ok && i < expected.size(); ++i) ok = input.size(i + 1) == expected[i];
  TORCH_CHECK(ok, "model input must be [N, ", absl::StrJoin(expected, ", "), "], got ",
              input.defined() ? ShapeText(input.sizes()) : std::string("an undefined tensor"));
  return input.scalar_type() == at::kFloat ? input : input.to(at::kFloat);
}

std::shared_ptr<ZooModel> InstantiateModel(const ModelPlan& plan) {
  switch (plan.architecture) {
    case Architecture::kVae:
      return std::make_shared<VaeModel>(plan);
    case Architecture::kTransformerEncoderClassifier:
      return std::make_shared<TransformerEncoderClassifier>(plan);
    default:
      return std::make_shared<SequentialModel>(plan);
  }
}

}  // namespace aiaas::training
