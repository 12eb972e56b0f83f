#include "training/model/model_spec.h"

#include <array>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace aiaas::training {
namespace {

using Json = nlohmann::json;

// Sizes beyond this are a spec mistake; the cap also keeps shape arithmetic far from
// int64 overflow. Parameter budgets are enforced by PlanModel.
constexpr int64_t kMaxInt = (int64_t{1} << 31) - 1;

constexpr std::array<std::pair<LayerType, absl::string_view>, 15> kLayerTypeNames = {{
    {LayerType::kDense, "dense"},
    {LayerType::kConv1d, "conv1d"},
    {LayerType::kConv2d, "conv2d"},
    {LayerType::kMaxPool2d, "maxpool2d"},
    {LayerType::kAvgPool2d, "avgpool2d"},
    {LayerType::kFlatten, "flatten"},
    {LayerType::kDropout, "dropout"},
    {LayerType::kBatchNorm, "batchnorm"},
    {LayerType::kLayerNorm, "layernorm"},
    {LayerType::kEmbedding, "embedding"},
    {LayerType::kRnn, "rnn"},
    {LayerType::kLstm, "lstm"},
    {LayerType::kGru, "gru"},
    {LayerType::kActivation, "activation"},
    {LayerType::kReshape, "reshape"},
}};

constexpr std::array<std::pair<Architecture, absl::string_view>, 9> kArchitectureNames = {{
    {Architecture::kSequential, "sequential"},
    {Architecture::kLinearRegression, "linear_regression"},
    {Architecture::kLogisticRegression, "logistic_regression"},
    {Architecture::kMlp, "mlp"},
    {Architecture::kCnn, "cnn"},
    {Architecture::kRnnClassifier, "rnn_classifier"},
    {Architecture::kAutoencoder, "autoencoder"},
    {Architecture::kVae, "vae"},
    {Architecture::kTransformerEncoderClassifier, "transformer_encoder_classifier"},
}};

// The keys each layer type accepts besides "type".
std::vector<absl::string_view> LayerKeys(LayerType type) {
  switch (type) {
    case LayerType::kDense:
      return {"units", "activation"};
    case LayerType::kConv1d:
    case LayerType::kConv2d:
      return {"filters", "kernel", "stride", "padding", "activation"};
    case LayerType::kMaxPool2d:
    case LayerType::kAvgPool2d:
      return {"pool", "stride"};
    case LayerType::kDropout:
      return {"rate"};
    case LayerType::kEmbedding:
      return {"vocab", "dim"};
    case LayerType::kRnn:
    case LayerType::kLstm:
    case LayerType::kGru:
      return {"units", "return_sequences", "layers", "bidirectional"};
    case LayerType::kActivation:
      return {"activation"};
    case LayerType::kReshape:
      return {"shape"};
    case LayerType::kFlatten:
    case LayerType::kBatchNorm:
    case LayerType::kLayerNorm:
      return {};
  }
  return {};
}

// The option keys each architecture accepts besides "architecture" and "init".
std::vector<absl::string_view> ArchitectureKeys(Architecture architecture) {
  switch (architecture) {
    case Architecture::kSequential:
      return {"layers"};
    case Architecture::kLinearRegression:
    case Architecture::kLogisticRegression:
      return {};
    case Architecture::kMlp:
      return {"hidden", "activation", "dropout"};
    case Architecture::kCnn:
      return {"filters", "kernel", "pool", "activation", "dense", "dropout"};
    case Architecture::kRnnClassifier:
      return {"cell", "units", "num_layers", "bidirectional", "dropout", "embedding"};
    case Architecture::kAutoencoder:
    case Architecture::kVae:
      return {"encoder", "latent", "activation", "output_activation"};
    case Architecture::kTransformerEncoderClassifier:
      return {"d_model", "heads", "num_layers", "ff_dim", "dropout", "vocab"};
  }
  return {};
}

absl::Status Invalid(absl::string_view where, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", message));
}

absl::Status CheckKeys(const Json& object, absl::string_view where,
                       const std::vector<absl::string_view>& allowed,
                       const std::vector<absl::string_view>& always) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (absl::string_view name : allowed) known = known || key == name;
    for (absl::string_view name : always) known = known || key == name;
    if (!known) return Invalid(where, absl::StrCat("unknown key \"", key, "\""));
  }
  return absl::OkStatus();
}

// Reads object[key] into *out when present. Integers must be JSON integers (3, not 3.0).
absl::Status ReadPositiveInt(const Json& object, absl::string_view key, absl::string_view where,
                             int64_t* out) {
  auto it = object.find(std::string(key));
  if (it == object.end()) return absl::OkStatus();
  if (!it->is_number_integer() || it->get<int64_t>() <= 0 || it->get<int64_t>() > kMaxInt) {
    return Invalid(where, absl::StrCat(key, " must be a positive integer"));
  }
  *out = it->get<int64_t>();
  return absl::OkStatus();
}

absl::Status ReadNonNegativeInt(const Json& object, absl::string_view key, absl::string_view where,
                                int64_t* out) {
  auto it = object.find(std::string(key));
  if (it == object.end()) return absl::OkStatus();
  if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > kMaxInt) {
    return Invalid(where, absl::StrCat(key, " must be a non-negative integer"));
  }
  *out = it->get<int64_t>();
  return absl::OkStatus();
}

absl::Status RequireKey(const Json& object, absl::string_view key, absl::string_view where) {
  if (!object.contains(std::string(key))) return Invalid(where, absl::StrCat(key, " is required"));
  return absl::OkStatus();
}

absl::Status ReadBool(const Json& object, absl::string_view key, absl::string_view where,
                      bool* out) {
  auto it = object.find(std::string(key));
  if (it == object.end()) return absl::OkStatus();
  if (!it->is_boolean()) return Invalid(where, absl::StrCat(key, " must be true or false"));
  *out = it->get<bool>();
  return absl::OkStatus();
}

absl::Status ReadRate(const Json& object, absl::string_view key, absl::string_view where,
                      double* out) {
  auto it = object.find(std::string(key));
  if (it == object.end()) return absl::OkStatus();
  if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0.0 ||
      it->get<double>() >= 1.0) {
    return Invalid(where, absl::StrCat(key, " must be a number in [0, 1)"));
  }
  *out = it->get<double>();
  return absl::OkStatus();
}

absl::Status ReadPositiveIntList(const Json& object, absl::string_view key, absl::string_view where,
                                 bool allow_empty, std::vector<int64_t>* out) {
  auto it = object.find(std::string(key));
  if (it == object.end()) return absl::OkStatus();
  absl::string_view what =
      allow_empty ? "a list of positive integers" : "a non-empty list of positive integers";
  if (!it->is_array() || (!allow_empty && it->empty())) {
    return Invalid(where, absl::StrCat(key, " must be ", what));
  }
  std::vector<int64_t> values;
  for (const Json& element : *it) {
    if (!element.is_number_integer() || element.get<int64_t>() <= 0 ||
        element.get<int64_t>() > kMaxInt) {
      return Invalid(where, absl::StrCat(key, " must be ", what));
    }
    values.push_back(element.get<int64_t>());
  }
  *out = std::move(values);
  return absl::OkStatus();
}

absl::StatusOr<Activation> ParseActivationName(const Json& value, absl::string_view key,
                                               absl::string_view where) {
  static constexpr std::array<std::pair<absl::string_view, Activation>, 7> kNames = {{
      {"relu", Activation::kRelu},
      {"tanh", Activation::kTanh},
      {"sigmoid", Activation::kSigmoid},
      {"gelu", Activation::kGelu},
      {"softmax", Activation::kSoftmax},
      {"linear", Activation::kNone},
      {"none", Activation::kNone},
  }};
  if (value.is_string()) {
    for (const auto& [name, activation] : kNames) {
      if (value.get<std::string>() == name) return activation;
    }
  }
  return Invalid(where,
                 absl::StrCat(key, " must be one of relu, tanh, sigmoid, gelu, softmax, linear"));
}

absl::Status ReadActivation(const Json& object, absl::string_view key, absl::string_view where,
                            Activation* out) {
  auto it = object.find(std::string(key));
  if (it == object.end()) return absl::OkStatus();
  AIAAS_ASSIGN_OR_RETURN(*out, ParseActivationName(*it, key, where));
  return absl::OkStatus();
}

absl::Status ReadPadding(const Json& object, absl::string_view where, LayerSpec* layer) {
  auto it = object.find("padding");
  if (it == object.end()) return absl::OkStatus();
  if (it->is_string() && it->get<std::string>() == "same") {
    layer->padding = PaddingMode::kSame;
  } else if (it->is_string() && it->get<std::string>() == "valid") {
    layer->padding = PaddingMode::kValid;
  } else if (it->is_number_integer() && it->get<int64_t>() >= 0) {
    layer->padding = PaddingMode::kExplicit;
    layer->padding_amount = it->get<int64_t>();
  } else {
    return Invalid(where, "padding must be \"same\", \"valid\" or a non-negative integer");
  }
  return absl::OkStatus();
}

absl::Status ReadReshape(const Json& object, absl::string_view where, LayerSpec* layer) {
  AIAAS_RETURN_IF_ERROR(RequireKey(object, "shape", where));
  const Json& shape = object.at("shape");
  constexpr absl::string_view kWhat =
      "shape must be a non-empty list of positive integers with at most one -1";
  if (!shape.is_array() || shape.empty()) return Invalid(where, kWhat);
  int wildcards = 0;
  for (const Json& element : shape) {
    if (!element.is_number_integer()) return Invalid(where, kWhat);
    int64_t dim = element.get<int64_t>();
    if (dim == -1) {
      ++wildcards;
    } else if (dim <= 0 || dim > kMaxInt) {
      return Invalid(where, kWhat);
    }
    layer->shape.push_back(dim);
  }
  if (wildcards > 1) return Invalid(where, kWhat);
  return absl::OkStatus();
}

absl::StatusOr<LayerSpec> ParseLayer(const Json& object, size_t index) {
  std::string where = absl::StrCat("model.layers[", index, "]");
  if (!object.is_object()) return Invalid(where, "must be an object");
  auto type_it = object.find("type");
  if (type_it == object.end() || !type_it->is_string()) {
    return Invalid(where, "\"type\" is required and must be a string");
  }
  LayerSpec layer;
  bool found = false;
  for (const auto& [type, name] : kLayerTypeNames) {
    if (type_it->get<std::string>() == name) {
      layer.type = type;
      found = true;
    }
  }
  if (!found) {
    return Invalid(where, absl::StrCat("unknown layer type \"", type_it->get<std::string>(), "\""));
  }
  absl::StrAppend(&where, " (", LayerTypeName(layer.type), ")");
  AIAAS_RETURN_IF_ERROR(CheckKeys(object, where, LayerKeys(layer.type), {"type"}));

  switch (layer.type) {
    case LayerType::kDense:
      AIAAS_RETURN_IF_ERROR(RequireKey(object, "units", where));
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "units", where, &layer.units));
      AIAAS_RETURN_IF_ERROR(ReadActivation(object, "activation", where, &layer.activation));
      break;
    case LayerType::kConv1d:
    case LayerType::kConv2d:
      AIAAS_RETURN_IF_ERROR(RequireKey(object, "filters", where));
      AIAAS_RETURN_IF_ERROR(RequireKey(object, "kernel", where));
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "filters", where, &layer.filters));
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "kernel", where, &layer.kernel));
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "stride", where, &layer.stride));
      AIAAS_RETURN_IF_ERROR(ReadPadding(object, where, &layer));
      AIAAS_RETURN_IF_ERROR(ReadActivation(object, "activation", where, &layer.activation));
      break;
    case LayerType::kMaxPool2d:
    case LayerType::kAvgPool2d:
      AIAAS_RETURN_IF_ERROR(RequireKey(object, "pool", where));
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "pool", where, &layer.pool));
      layer.stride = layer.pool;
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "stride", where, &layer.stride));
      break;
    case LayerType::kDropout:
      AIAAS_RETURN_IF_ERROR(RequireKey(object, "rate", where));
      AIAAS_RETURN_IF_ERROR(ReadRate(object, "rate", where, &layer.rate));
      break;
    case LayerType::kEmbedding:
      AIAAS_RETURN_IF_ERROR(RequireKey(object, "vocab", where));
      AIAAS_RETURN_IF_ERROR(RequireKey(object, "dim", where));
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "vocab", where, &layer.vocab));
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "dim", where, &layer.dim));
      break;
    case LayerType::kRnn:
    case LayerType::kLstm:
    case LayerType::kGru:
      AIAAS_RETURN_IF_ERROR(RequireKey(object, "units", where));
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "units", where, &layer.units));
      AIAAS_RETURN_IF_ERROR(ReadBool(object, "return_sequences", where, &layer.return_sequences));
      AIAAS_RETURN_IF_ERROR(ReadPositiveInt(object, "layers", where, &layer.num_layers));
      AIAAS_RETURN_IF_ERROR(ReadBool(object, "bidirectional", where, &layer.bidirectional));
      break;
    case LayerType::kActivation:
      AIAAS_RETURN_IF_ERROR(RequireKey(object, "activation", where));
      AIAAS_RETURN_IF_ERROR(ReadActivation(object, "activation", where, &layer.activation));
      break;
    case LayerType::kReshape:
      AIAAS_RETURN_IF_ERROR(ReadReshape(object, where, &layer));
      break;
    case LayerType::kFlatten:
    case LayerType::kBatchNorm:
    case LayerType::kLayerNorm:
      break;
  }
  return layer;
}

absl::Status ParseRnnOptions(const Json& model, absl::string_view where,
                             ArchitectureOptions* options) {
  if (auto it = model.find("cell"); it != model.end()) {
    std::string cell = it->is_string() ? it->get<std::string>() : "";
    if (cell == "lstm") {
      options->cell = LayerType::kLstm;
    } else if (cell == "gru") {
      options->cell = LayerType::kGru;
    } else if (cell == "rnn") {
      options->cell = LayerType::kRnn;
    } else {
      return Invalid(where, "cell must be \"lstm\", \"gru\" or \"rnn\"");
    }
  }
  AIAAS_RETURN_IF_ERROR(ReadPositiveInt(model, "units", where, &options->units));
  AIAAS_RETURN_IF_ERROR(ReadPositiveInt(model, "num_layers", where, &options->num_layers));
  AIAAS_RETURN_IF_ERROR(ReadBool(model, "bidirectional", where, &options->bidirectional));
  if (auto it = model.find("embedding"); it != model.end()) {
    std::string embedding_where = absl::StrCat(where, ".embedding");
    if (!it->is_object()) return Invalid(embedding_where, "must be {\"vocab\": V, \"dim\": D}");
    AIAAS_RETURN_IF_ERROR(CheckKeys(*it, embedding_where, {"vocab", "dim"}, {}));
    AIAAS_RETURN_IF_ERROR(RequireKey(*it, "vocab", embedding_where));
    AIAAS_RETURN_IF_ERROR(RequireKey(*it, "dim", embedding_where));
    AIAAS_RETURN_IF_ERROR(
        ReadPositiveInt(*it, "vocab", embedding_where, &options->embedding_vocab));
    AIAAS_RETURN_IF_ERROR(ReadPositiveInt(*it, "dim", embedding_where, &options->embedding_dim));
  }
  return absl::OkStatus();
}

absl::Status ParseArchitectureOptions(const Json& model, Architecture architecture,
                                      absl::string_view where, ArchitectureOptions* options) {
  AIAAS_RETURN_IF_ERROR(ReadPositiveIntList(model, "hidden", where, true, &options->hidden));
  AIAAS_RETURN_IF_ERROR(ReadActivation(model, "activation", where, &options->activation));
  if (architecture == Architecture::kTransformerEncoderClassifier) {
    options->dropout = 0.1;
    options->num_layers = 2;
  }
  AIAAS_RETURN_IF_ERROR(ReadRate(model, "dropout", where, &options->dropout));
  AIAAS_RETURN_IF_ERROR(ReadPositiveIntList(model, "filters", where, false, &options->filters));
  AIAAS_RETURN_IF_ERROR(ReadPositiveInt(model, "kernel", where, &options->kernel));
  AIAAS_RETURN_IF_ERROR(ReadPositiveInt(model, "pool", where, &options->pool));
  AIAAS_RETURN_IF_ERROR(ReadPositiveIntList(model, "dense", where, true, &options->dense));
  if (architecture == Architecture::kRnnClassifier) {
    AIAAS_RETURN_IF_ERROR(ParseRnnOptions(model, where, options));
  }
  AIAAS_RETURN_IF_ERROR(ReadPositiveIntList(model, "encoder", where, true, &options->encoder));
  AIAAS_RETURN_IF_ERROR(ReadPositiveInt(model, "latent", where, &options->latent));
  AIAAS_RETURN_IF_ERROR(
      ReadActivation(model, "output_activation", where, &options->output_activation));
  AIAAS_RETURN_IF_ERROR(ReadPositiveInt(model, "d_model", where, &options->d_model));
  AIAAS_RETURN_IF_ERROR(ReadPositiveInt(model, "heads", where, &options->heads));
  AIAAS_RETURN_IF_ERROR(ReadPositiveInt(model, "ff_dim", where, &options->ff_dim));
  AIAAS_RETURN_IF_ERROR(ReadNonNegativeInt(model, "vocab", where, &options->vocab));
  if (architecture == Architecture::kTransformerEncoderClassifier) {
    AIAAS_RETURN_IF_ERROR(ReadPositiveInt(model, "num_layers", where, &options->num_layers));
    if (options->d_model % options->heads != 0) {
      return Invalid(where, absl::StrCat("d_model ", options->d_model,
                                         " must be divisible by heads ", options->heads));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view LayerTypeName(LayerType type) {
  for (const auto& [candidate, name] : kLayerTypeNames) {
    if (candidate == type) return name;
  }
  return "unknown";
}

absl::string_view ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kNone:
      return "none";
    case Activation::kRelu:
      return "relu";
    case Activation::kTanh:
      return "tanh";
    case Activation::kSigmoid:
      return "sigmoid";
    case Activation::kGelu:
      return "gelu";
    case Activation::kSoftmax:
      return "softmax";
  }
  return "unknown";
}

absl::string_view InitSchemeName(InitScheme scheme) {
  switch (scheme) {
    case InitScheme::kDefault:
      return "default";
    case InitScheme::kXavier:
      return "xavier";
    case InitScheme::kKaiming:
      return "kaiming";
    case InitScheme::kNormal:
      return "normal";
    case InitScheme::kUniform:
      return "uniform";
    case InitScheme::kZeros:
      return "zeros";
  }
  return "unknown";
}

absl::string_view ArchitectureName(Architecture architecture) {
  for (const auto& [candidate, name] : kArchitectureNames) {
    if (candidate == architecture) return name;
  }
  return "unknown";
}

absl::StatusOr<InitScheme> ParseInitScheme(absl::string_view name) {
  for (InitScheme scheme : {InitScheme::kDefault, InitScheme::kXavier, InitScheme::kKaiming,
                            InitScheme::kNormal, InitScheme::kUniform, InitScheme::kZeros}) {
    if (name == InitSchemeName(scheme)) return scheme;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "model: init must be one of xavier, kaiming, normal, uniform, zeros (got \"", name, "\")"));
}

absl::StatusOr<ModelSpec> ParseModelSpec(const Json& model) {
  if (!model.is_object()) return absl::InvalidArgumentError("model: must be a JSON object");
  ModelSpec spec;
  if (auto it = model.find("architecture"); it != model.end()) {
    bool found = false;
    if (it->is_string()) {
      for (const auto& [architecture, name] : kArchitectureNames) {
        if (it->get<std::string>() == name) {
          spec.architecture = architecture;
          found = true;
        }
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          "model: architecture must be one of sequential, linear_regression, "
          "logistic_regression, mlp, cnn, rnn_classifier, autoencoder, vae, "
          "transformer_encoder_classifier");
    }
  }
  if (auto it = model.find("init"); it != model.end()) {
    if (!it->is_string()) return absl::InvalidArgumentError("model: init must be a string");
    AIAAS_ASSIGN_OR_RETURN(spec.init, ParseInitScheme(it->get<std::string>()));
  }

  if (spec.architecture == Architecture::kSequential) {
    AIAAS_RETURN_IF_ERROR(CheckKeys(model, "model", {"layers"}, {"architecture", "init"}));
    auto layers = model.find("layers");
    if (layers == model.end() || !layers->is_array() || layers->empty()) {
      return absl::InvalidArgumentError(
          "model: give a non-empty \"layers\" list or a named \"architecture\"");
    }
    for (size_t i = 0; i < layers->size(); ++i) {
      AIAAS_ASSIGN_OR_RETURN(LayerSpec layer, ParseLayer((*layers)[i], i));
      spec.layers.push_back(std::move(layer));
    }
    return spec;
  }

  std::string where = absl::StrCat("model (", ArchitectureName(spec.architecture), ")");
  if (model.contains("layers")) {
    return Invalid(where,
                   "\"layers\" cannot be combined with a named architecture; use the "
                   "architecture's options, or give only \"layers\"");
  }
  AIAAS_RETURN_IF_ERROR(
      CheckKeys(model, where, ArchitectureKeys(spec.architecture), {"architecture", "init"}));
  AIAAS_RETURN_IF_ERROR(ParseArchitectureOptions(model, spec.architecture, where, &spec.options));
  return spec;
}

absl::StatusOr<ModelSpec> ParseModelSpecText(absl::string_view json_text) {
  Json model = Json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
  if (model.is_discarded()) return absl::InvalidArgumentError("model: not valid JSON");
  return ParseModelSpec(model);
}

}  // namespace aiaas::training
