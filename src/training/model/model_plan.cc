#include "training/model/model_plan.h"

#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace aiaas::training {
namespace {

// Parameter counts are estimated in double so an absurd spec cannot overflow int64
// before the budget check rejects it.
double LayerParameters(const LayerSpec& layer, const Shape& input) {
  const double in_last = static_cast<double>(input.back());
  const double in_first = static_cast<double>(input.front());
  switch (layer.type) {
    case LayerType::kDense:
      return in_last * layer.units + layer.units;
    case LayerType::kConv1d:
      return in_first * layer.filters * layer.kernel + layer.filters;
    case LayerType::kConv2d:
      return in_first * layer.filters * layer.kernel * layer.kernel + layer.filters;
    case LayerType::kBatchNorm:
      return 2 * in_first;
    case LayerType::kLayerNorm:
      return 2 * in_last;
    case LayerType::kEmbedding:
      return static_cast<double>(layer.vocab) * layer.dim;
    case LayerType::kRnn:
    case LayerType::kLstm:
    case LayerType::kGru: {
      const double gates = layer.type == LayerType::kLstm  ? 4
                           : layer.type == LayerType::kGru ? 3
                                                           : 1;
      const double directions = layer.bidirectional ? 2 : 1;
      const double hidden = static_cast<double>(layer.units);
      double total = 0;
      double width = in_last;
      for (int64_t i = 0; i < layer.num_layers; ++i) {
        total += directions * (gates * hidden * (width + hidden) + 2 * gates * hidden);
        width = hidden * directions;
      }
      return total;
    }
    default:
      return 0;
  }
}

LayerSpec Dense(int64_t units, Activation activation = Activation::kNone) {
  LayerSpec layer;
  layer.type = LayerType::kDense;
  layer.units = units;
  layer.activation = activation;
  return layer;
}

LayerSpec Simple(LayerType type) {
  LayerSpec layer;
  layer.type = type;
  return layer;
}

LayerSpec Dropout(double rate) {
  LayerSpec layer = Simple(LayerType::kDropout);
  layer.rate = rate;
  return layer;
}

LayerSpec Reshape(const Shape& shape) {
  LayerSpec layer = Simple(LayerType::kReshape);
  layer.shape = shape;
  return layer;
}

// Appends layers one by one, inferring shapes and counting parameters as it goes.
class LayerChain {
 public:
  LayerChain(std::string prefix, Shape input, double* parameters)
      : prefix_(std::move(prefix)), shape_(std::move(input)), parameters_(parameters) {}

  // `named_by_index`: "model.layers[i] (type)" for user layers, else
  // "<prefix> layer i (type)" for expanded ones.
  absl::Status Add(const LayerSpec& spec, bool from_task = false) {
    PlannedLayer layer;
    layer.spec = spec;
    layer.from_task = from_task;
    if (from_task) {
      layer.where = absl::StrCat("output head (", LayerTypeName(spec.type), ")");
    } else if (prefix_ == "model.layers") {
      layer.where = absl::StrCat("model.layers[", index_, "] (", LayerTypeName(spec.type), ")");
    } else {
      layer.where = absl::StrCat(prefix_, " layer ", index_, " (", LayerTypeName(spec.type), ")");
    }
    ++index_;
    layer.input_shape = shape_;
    AIAAS_ASSIGN_OR_RETURN(layer.output_shape, InferLayerOutputShape(spec, shape_, layer.where));
    const double count = LayerParameters(spec, shape_);
    *parameters_ += count;
    layer.parameters = count > 9e18 ? INT64_MAX : static_cast<int64_t>(count);
    shape_ = layer.output_shape;
    layers_.push_back(std::move(layer));
    return absl::OkStatus();
  }

  // Flattens when the current shape has more than one axis.
  absl::Status FlattenIfNeeded(bool from_task = false) {
    if (shape_.size() <= 1) return absl::OkStatus();
    return Add(Simple(LayerType::kFlatten), from_task);
  }

  const Shape& shape() const { return shape_; }
  std::vector<PlannedLayer>& layers() { return layers_; }

 private:
  std::string prefix_;
  Shape shape_;
  double* parameters_;
  std::vector<PlannedLayer> layers_;
  int index_ = 0;
};

absl::Status AppendHead(const BuildOptions& options, const Shape& input_shape, LayerChain& chain) {
  const std::vector<PlannedLayer>& layers = chain.layers();
  if (options.task == Task::kReconstruction) {
    if (chain.shape() == input_shape) return absl::OkStatus();
    const bool dense_of_right_size = !layers.empty() &&
                                     layers.back().spec.type == LayerType::kDense &&
                                     ShapeProduct(chain.shape()) == ShapeProduct(input_shape);
    if (dense_of_right_size) return chain.Add(Reshape(input_shape), true);
    AIAAS_RETURN_IF_ERROR(chain.FlattenIfNeeded(true));
    AIAAS_RETURN_IF_ERROR(chain.Add(Dense(ShapeProduct(input_shape)), true));
    if (input_shape.size() > 1) AIAAS_RETURN_IF_ERROR(chain.Add(Reshape(input_shape), true));
    return absl::OkStatus();
  }
  if (!layers.empty()) {
    const PlannedLayer& last = layers.back();
    const bool softmax_last =
        last.spec.activation == Activation::kSoftmax &&
        (last.spec.type == LayerType::kDense || last.spec.type == LayerType::kActivation);
    if (options.task == Task::kClassification && softmax_last) {
      return absl::InvalidArgumentError(absl::StrCat(
          last.where,
          ": a classifier must end in logits (the loss applies softmax itself); remove the "
          "softmax activation"));
    }
    if (last.spec.type == LayerType::kDense && last.spec.units == options.num_outputs) {
      return absl::OkStatus();
    }
  }
  AIAAS_RETURN_IF_ERROR(chain.FlattenIfNeeded(true));
  return chain.Add(Dense(options.num_outputs), true);
}

absl::Status CheckTask(const ModelSpec& spec, Task task) {
  const Architecture architecture = spec.architecture;
  absl::string_view needs;
  bool ok = true;
  switch (architecture) {
    case Architecture::kSequential:
    case Architecture::kMlp:
      break;
    case Architecture::kLinearRegression:
      ok = task == Task::kRegression;
      needs = "regression";
      break;
    case Architecture::kLogisticRegression:
      ok = task == Task::kClassification;
      needs = "classification";
      break;
    case Architecture::kAutoencoder:
    case Architecture::kVae:
      ok = task == Task::kReconstruction;
      needs = "reconstruction";
      break;
    case Architecture::kCnn:
    case Architecture::kRnnClassifier:
    case Architecture::kTransformerEncoderClassifier:
      ok = task != Task::kReconstruction;
      needs = "classification or regression";
      break;
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("model (", ArchitectureName(architecture), "): needs task ", needs));
}

absl::Status ExpandArchitecture(const ModelSpec& spec, LayerChain& chain) {
  const ArchitectureOptions& o = spec.options;
  const std::string where = absl::StrCat("model (", ArchitectureName(spec.architecture), ")");
  switch (spec.architecture) {
    case Architecture::kSequential:
      for (const LayerSpec& layer : spec.layers) AIAAS_RETURN_IF_ERROR(chain.Add(layer));
      return absl::OkStatus();
    case Architecture::kLinearRegression:
    case Architecture::kLogisticRegression:
      return absl::OkStatus();  // the head is the whole model
    case Architecture::kMlp:
      AIAAS_RETURN_IF_ERROR(chain.FlattenIfNeeded());
      for (int64_t units : o.hidden) {
        AIAAS_RETURN_IF_ERROR(chain.Add(Dense(units, o.activation)));
        if (o.dropout > 0) AIAAS_RETURN_IF_ERROR(chain.Add(Dropout(o.dropout)));
      }
      return absl::OkStatus();
    case Architecture::kCnn: {
      if (chain.shape().size() != 3) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": input ", ShapeToString(chain.shape()),
                         " must be [channels, height, width] (e.g. [1, 28, 28])"));
      }
      for (int64_t filters : o.filters) {
        LayerSpec conv = Simple(LayerType::kConv2d);
        conv.filters = filters;
        conv.kernel = o.kernel;
        conv.padding = PaddingMode::kSame;
        conv.activation = o.activation;
        AIAAS_RETURN_IF_ERROR(chain.Add(conv));
        LayerSpec pool = Simple(LayerType::kMaxPool2d);
        pool.pool = o.pool;
        pool.stride = o.pool;
        AIAAS_RETURN_IF_ERROR(chain.Add(pool));
      }
      AIAAS_RETURN_IF_ERROR(chain.Add(Simple(LayerType::kFlatten)));
      for (int64_t units : o.dense) {
        AIAAS_RETURN_IF_ERROR(chain.Add(Dense(units, o.activation)));
        if (o.dropout > 0) AIAAS_RETURN_IF_ERROR(chain.Add(Dropout(o.dropout)));
      }
      return absl::OkStatus();
    }
    case Architecture::kRnnClassifier: {
      if (o.embedding_vocab > 0) {
        LayerSpec embedding = Simple(LayerType::kEmbedding);
        embedding.vocab = o.embedding_vocab;
        embedding.dim = o.embedding_dim;
        AIAAS_RETURN_IF_ERROR(chain.Add(embedding));
      }
      LayerSpec cell = Simple(o.cell);
      cell.units = o.units;
      cell.num_layers = o.num_layers;
      cell.bidirectional = o.bidirectional;
      AIAAS_RETURN_IF_ERROR(chain.Add(cell));
      if (o.dropout > 0) AIAAS_RETURN_IF_ERROR(chain.Add(Dropout(o.dropout)));
      return absl::OkStatus();
    }
    case Architecture::kAutoencoder:
    case Architecture::kVae: {
      const Shape input = chain.shape();
      AIAAS_RETURN_IF_ERROR(chain.FlattenIfNeeded());
      for (int64_t units : o.encoder) AIAAS_RETURN_IF_ERROR(chain.Add(Dense(units, o.activation)));
      if (spec.architecture == Architecture::kVae) return absl::OkStatus();
      AIAAS_RETURN_IF_ERROR(chain.Add(Dense(o.latent)));
      for (auto it = o.encoder.rbegin(); it != o.encoder.rend(); ++it) {
        AIAAS_RETURN_IF_ERROR(chain.Add(Dense(*it, o.activation)));
      }
      AIAAS_RETURN_IF_ERROR(chain.Add(Dense(ShapeProduct(input), o.output_activation)));
      if (input.size() > 1) AIAAS_RETURN_IF_ERROR(chain.Add(Reshape(input)));
      return absl::OkStatus();
    }
    case Architecture::kTransformerEncoderClassifier:
      return absl::OkStatus();  // planned by PlanTransformer
  }
  return absl::OkStatus();
}

absl::Status PlanTransformer(const ModelSpec& spec, const BuildOptions& options,
                             double* parameters) {
  const ArchitectureOptions& o = spec.options;
  const Shape& input = options.input_shape;
  const bool tokens = o.vocab > 0;
  if (input.size() != (tokens ? 1u : 2u)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model (transformer_encoder_classifier): input ", ShapeToString(input),
                     tokens ? " must be [time] token ids (vocab is set)"
                            : " must be [time, features]; for token ids set vocab"));
  }
  const double d = static_cast<double>(o.d_model);
  const double time = static_cast<double>(input[0]);
  double total = tokens ? static_cast<double>(o.vocab) * d : input[1] * d + d;
  total += time * d;                                      // learned positional embedding
  const double block = (3 * d * d + 3 * d) + (d * d + d)  // self-attention in/out projections
                       + 4 * d                            // two LayerNorms
                       + (d * o.ff_dim + o.ff_dim) + (o.ff_dim * d + d);  // feed-forward
  total += block * static_cast<double>(o.num_layers);
  total += d * options.num_outputs + options.num_outputs;  // head
  *parameters = total;
  return absl::OkStatus();
}

absl::Status CheckOptions(const BuildOptions& options) {
  if (options.input_shape.empty() || options.input_shape.size() > 4) {
    return absl::InvalidArgumentError(absl::StrCat("model: input shape ",
                                                   ShapeToString(options.input_shape),
                                                   " must have 1 to 4 axes per sample"));
  }
  for (int64_t dim : options.input_shape) {
    if (dim <= 0 || dim > (int64_t{1} << 31)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "model: input shape ", ShapeToString(options.input_shape), " has an invalid axis"));
    }
  }
  if (options.task != Task::kReconstruction &&
      (options.num_outputs <= 0 || options.num_outputs > (int64_t{1} << 24))) {
    return absl::InvalidArgumentError(
        absl::StrCat("model: number of outputs must be positive (got ", options.num_outputs, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ModelPlan> PlanModel(const ModelSpec& spec, const BuildOptions& options) {
  AIAAS_RETURN_IF_ERROR(CheckOptions(options));
  AIAAS_RETURN_IF_ERROR(CheckTask(spec, options.task));
  ModelPlan plan;
  plan.architecture = spec.architecture;
  plan.options = spec.options;
  plan.task = options.task;
  plan.init = options.init != InitScheme::kDefault ? options.init : spec.init;
  plan.seed = options.seed;
  plan.input_shape = options.input_shape;

  double parameters = 0;
  if (spec.architecture == Architecture::kTransformerEncoderClassifier) {
    AIAAS_RETURN_IF_ERROR(PlanTransformer(spec, options, &parameters));
    plan.output_shape = {options.num_outputs};
  } else {
    const std::string prefix =
        spec.architecture == Architecture::kSequential
            ? "model.layers"
            : absl::StrCat("model (", ArchitectureName(spec.architecture), ")");
    LayerChain chain(prefix, options.input_shape, &parameters);
    AIAAS_RETURN_IF_ERROR(ExpandArchitecture(spec, chain));
    if (spec.architecture == Architecture::kVae) {
      // The decoder mirrors the encoder from the latent sample back to the input.
      LayerChain decoder("model (vae) decoder", {spec.options.latent}, &parameters);
      for (auto it = spec.options.encoder.rbegin(); it != spec.options.encoder.rend(); ++it) {
        AIAAS_RETURN_IF_ERROR(decoder.Add(Dense(*it, spec.options.activation)));
      }
      AIAAS_RETURN_IF_ERROR(
          decoder.Add(Dense(ShapeProduct(options.input_shape), spec.options.output_activation)));
      if (options.input_shape.size() > 1) {
        AIAAS_RETURN_IF_ERROR(decoder.Add(Reshape(options.input_shape)));
      }
      // mu and logvar heads: dense(latent) each, from the encoder's last width.
      parameters += 2 * (static_cast<double>(chain.shape().back()) + 1) * spec.options.latent;
      plan.decoder_layers = std::move(decoder.layers());
      plan.output_shape = options.input_shape;
    } else {
      AIAAS_RETURN_IF_ERROR(AppendHead(options, options.input_shape, chain));
      plan.output_shape = chain.shape();
    }
    plan.layers = std::move(chain.layers());
  }
  if (parameters > static_cast<double>(options.max_parameters)) {
    return absl::InvalidArgumentError(
        absl::StrCat("model: ", static_cast<int64_t>(parameters < 9e18 ? parameters : 9e18),
                     " parameters exceed the limit of ", options.max_parameters));
  }
  plan.parameters = static_cast<int64_t>(parameters);
  return plan;
}

}  // namespace aiaas::training
