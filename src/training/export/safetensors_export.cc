#include "training/export/safetensors_export.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "training/model/layer_shapes.h"

namespace aiaas::training {
namespace {

using nlohmann::json;

const char* TaskName(Task task) {
  switch (task) {
    case Task::kClassification:
      return "classification";
    case Task::kRegression:
      return "regression";
    case Task::kReconstruction:
      return "reconstruction";
  }
  return "classification";
}

json LayerJson(const PlannedLayer& layer, const std::string& module) {
  const LayerSpec& spec = layer.spec;
  json j = {{"module", module},
            {"type", std::string(LayerTypeName(spec.type))},
            {"input_shape", layer.input_shape},
            {"output_shape", layer.output_shape}};
  switch (spec.type) {
    case LayerType::kDense:
      j["units"] = spec.units;
      j["activation"] = std::string(ActivationName(spec.activation));
      break;
    case LayerType::kConv1d:
    case LayerType::kConv2d: {
      j["filters"] = spec.filters;
      j["kernel"] = spec.kernel;
      j["stride"] = spec.stride;
      json pads = json::array();
      for (size_t axis = 1; axis < layer.input_shape.size(); ++axis) {
        AxisGeometry g = ConvAxis(layer.input_shape[axis], spec.kernel, spec.stride, spec.padding,
                                  spec.padding_amount);
        pads.push_back({g.pad_before, g.pad_after});
      }
      j["pads"] = std::move(pads);
      j["activation"] = std::string(ActivationName(spec.activation));
      break;
    }
    case LayerType::kMaxPool2d:
    case LayerType::kAvgPool2d:
      j["pool"] = spec.pool;
      j["stride"] = spec.stride > 0 ? spec.stride : spec.pool;
      break;
    case LayerType::kDropout:
      j["rate"] = spec.rate;
      break;
    case LayerType::kEmbedding:
      j["vocab"] = spec.vocab;
      j["dim"] = spec.dim;
      break;
    case LayerType::kRnn:
    case LayerType::kLstm:
    case LayerType::kGru:
      j["units"] = spec.units;
      j["num_layers"] = spec.num_layers;
      j["bidirectional"] = spec.bidirectional;
      j["return_sequences"] = spec.return_sequences;
      break;
    case LayerType::kActivation:
      j["activation"] = std::string(ActivationName(spec.activation));
      break;
    case LayerType::kReshape:
      j["shape"] = layer.output_shape;
      break;
    case LayerType::kFlatten:
    case LayerType::kBatchNorm:
    case LayerType::kLayerNorm:
      break;
  }
  return j;
}

const char* DTypeName(ExportDType dtype) { return dtype == ExportDType::kFloat32 ? "F32" : "I64"; }

size_t ElementSize(ExportDType dtype) { return dtype == ExportDType::kFloat32 ? 4 : 8; }

}  // namespace

json SafetensorsLayersJson(const ModelPlan& plan) {
  json layers = json::array();
  const bool vae = plan.architecture == Architecture::kVae;
  const std::string body = vae ? "encoder" : "layers";
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    layers.push_back(LayerJson(plan.layers[i], absl::StrCat(body, ".", i)));
  }
  if (vae) {
    const int64_t width = plan.layers.empty() ? ShapeProduct(plan.input_shape)
                                              : ShapeProduct(plan.layers.back().output_shape);
    for (const char* head : {"mu", "logvar"}) {
      layers.push_back({{"module", head},
                        {"type", "dense"},
                        {"units", plan.options.latent},
                        {"activation", "none"},
                        {"input_shape", json::array({width})},
                        {"output_shape", json::array({plan.options.latent})}});
    }
    for (size_t i = 0; i < plan.decoder_layers.size(); ++i) {
      layers.push_back(LayerJson(plan.decoder_layers[i], absl::StrCat("decoder.", i)));
    }
  }
  return layers;
}

absl::StatusOr<std::string> ExportSafetensors(const ExportSource& source) {
  json header = json::object();
  uint64_t offset = 0;
  for (const ExportTensor& tensor : source.tensors) {
    const uint64_t size = tensor.bytes.size();
    if (size != static_cast<uint64_t>(tensor.NumElements()) * ElementSize(tensor.dtype)) {
      return absl::InternalError(absl::StrCat("tensor ", tensor.name, ": size mismatch"));
    }
    header[tensor.name] = {{"dtype", DTypeName(tensor.dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  const json& h = source.header;
  json metadata = {
      {"format", kSafetensorsFormat},
      {"task", TaskName(source.task)},
      {"architecture", std::string(ArchitectureName(source.plan.architecture))},
      {"model", h.value("model", json::object()).dump()},
      {"build", h.value("build", json::object()).dump()},
      {"layers", SafetensorsLayersJson(source.plan).dump()},
      {"preprocessor", source.preprocessor ? source.preprocessor->ToJson().dump() : "{}"},
  };
  if (source.task == Task::kClassification && source.preprocessor &&
      source.preprocessor->labels() != nullptr) {
    const LabelEncoder& labels = *source.preprocessor->labels();
    json names = json::array();
    for (size_t i = 0; i < labels.NumClasses(); ++i) {
      if (labels.IntegerLabels()) {
        names.push_back(labels.DecodeInteger(static_cast<int64_t>(i)).value_or(0));
      } else {
        names.push_back(labels.DecodeString(static_cast<int64_t>(i)).value_or(""));
      }
    }
    metadata["labels"] = names.dump();
  }
  if (source.task == Task::kRegression) {
    metadata["target_scale"] =
        json{{"mean", source.target_mean}, {"std", source.target_std}}.dump();
  }
  header["__metadata__"] = std::move(metadata);
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  const uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  out += text;
  for (const ExportTensor& tensor : source.tensors) out += tensor.bytes;
  return out;
}

}  // namespace aiaas::training
