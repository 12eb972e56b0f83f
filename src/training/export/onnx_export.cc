#include "training/export/onnx_export.h"

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "onnx/onnx_pb.h"
#include "training/export/onnx_graph_builder.h"
#include "training/export/onnx_layers.h"
#include "training/export/onnx_transformer.h"

namespace aiaas::training {
namespace {

constexpr int64_t kIrVersion = 8;
constexpr char kBatch[] = "batch";

absl::Status NotExportable(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("cannot export to ONNX: ", what));
}

void AddValueInfo(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list,
                  const std::string& name, int32_t elem_type, const std::vector<int64_t>& dims) {
  onnx::ValueInfoProto* value = list->Add();
  value->set_name(name);
  onnx::TypeProto_Tensor* tensor = value->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(elem_type);
  onnx::TensorShapeProto* shape = tensor->mutable_shape();
  shape->add_dim()->set_dim_param(kBatch);
  for (int64_t dim : dims) shape->add_dim()->set_dim_value(dim);
}

std::string Cast(OnnxGraphBuilder& b, const std::string& x, int32_t to, const std::string& hint) {
  onnx::NodeProto* cast = b.Node("Cast", {x}, hint);
  SetInt(cast, "to", to);
  return cast->output(0);
}

// The native preprocessing (feature_transform.cc EncodeNumber) as nodes, on a float32
// [N, F] input; returns the encoded [N, <sample shape>] float32 value.
absl::StatusOr<std::string> EmitPreprocessing(OnnxGraphBuilder& b, const FittedPreprocessor& prep,
                                              const std::string& features) {
  std::vector<std::string> categorical = prep.CategoricalFeatureNames();
  if (!categorical.empty()) {
    return NotExportable(absl::StrCat(
        "categorical (one-hot) features (", absl::StrJoin(categorical, ", "),
        ") need string matching, which ONNX opset 17 has only in the ai.onnx.ml domain "
        "(not supported by aiaas's ONNX runtime); train without them or use "
        "format=safetensors"));
  }
  const int64_t width = static_cast<int64_t>(prep.features().size());
  std::vector<double> impute, offset, divisor;
  bool imputes = false;
  for (const FeatureTransform& f : prep.features()) {
    const bool drop = f.missing == MissingStrategy::kDrop;
    imputes = imputes || !drop;
    impute.push_back(drop ? std::numeric_limits<double>::quiet_NaN() : f.impute_number);
    const bool constant = f.min == f.max;
    switch (prep.scale()) {
      case ScaleMode::kNone:
        offset.push_back(0.0);
        divisor.push_back(1.0);
        break;
      case ScaleMode::kStandard:
        offset.push_back(f.mean);
        divisor.push_back(constant || !(f.std > 0) ? 1.0 : f.std);
        break;
      case ScaleMode::kMinMax:
        offset.push_back(f.min);
        divisor.push_back(constant ? 1.0 : f.max - f.min);
        break;
    }
  }
  std::string x = features;
  if (imputes || prep.scale() != ScaleMode::kNone) {
    // In float64, like the native path (float32 input widened, result rounded once).
    x = Cast(b, x, onnx::TensorProto::DOUBLE, "preprocess/double");
    if (imputes) {
      const std::string missing = b.Op("IsNaN", {x}, "preprocess/missing");
      x = b.Op("Where", {missing, b.Doubles("preprocess.impute", {width}, impute), x},
               "preprocess/imputed");
    }
    if (prep.scale() != ScaleMode::kNone) {
      x = b.Op("Sub", {x, b.Doubles("preprocess.offset", {width}, offset)}, "preprocess/centered");
      x = b.Op("Div", {x, b.Doubles("preprocess.divisor", {width}, divisor)}, "preprocess/scaled");
    }
    x = Cast(b, x, onnx::TensorProto::FLOAT, "preprocess/encoded");
  }
  const std::vector<int64_t>& sample = prep.SampleShape();
  if (sample.size() != 1) {
    std::vector<int64_t> shape = {0};
    shape.insert(shape.end(), sample.begin(), sample.end());
    x = b.Op("Reshape",
             {x, b.Int64s("preprocess.sample_shape", {static_cast<int64_t>(shape.size())}, shape)},
             "preprocess/reshaped");
  }
  return x;
}

absl::StatusOr<std::string> EmitLayers(OnnxGraphBuilder& b, const ExportSource& source,
                                       const std::vector<PlannedLayer>& layers,
                                       const std::string& module, std::string x) {
  for (size_t i = 0; i < layers.size(); ++i) {
    AIAAS_ASSIGN_OR_RETURN(x, EmitLayer(b, source, layers[i], absl::StrCat(module, ".", i), x));
  }
  return x;
}

absl::StatusOr<std::string> EmitModel(OnnxGraphBuilder& b, const ExportSource& source,
                                      std::string x) {
  const ModelPlan& plan = source.plan;
  switch (plan.architecture) {
    case Architecture::kTransformerEncoderClassifier:
      return EmitTransformerClassifier(b, source, x);
    case Architecture::kVae: {
      // Eval mode: z = mu; logvar is not needed.
      AIAAS_ASSIGN_OR_RETURN(x, EmitLayers(b, source, plan.layers, "encoder", x));
      const Shape& body = plan.layers.empty() ? plan.input_shape : plan.layers.back().output_shape;
      if (body.size() > 1) {
        onnx::NodeProto* flatten = b.Node("Flatten", {x}, "encoder/flatten");
        SetInt(flatten, "axis", 1);
        x = flatten->output(0);
      }
      AIAAS_ASSIGN_OR_RETURN(x, EmitLinear(b, source, "mu.linear", x, /*two_dimensional=*/true));
      return EmitLayers(b, source, plan.decoder_layers, "decoder", x);
    }
    default:
      return EmitLayers(b, source, plan.layers, "layers", x);
  }
}

absl::Status EmitOutputs(OnnxGraphBuilder& b, const ExportSource& source, const std::string& output,
                         onnx::GraphProto* graph) {
  switch (source.task) {
    case Task::kClassification: {
      const LabelEncoder& labels = *source.preprocessor->labels();
      const int64_t classes = static_cast<int64_t>(labels.NumClasses());
      onnx::NodeProto* softmax = b.Node("Softmax", {output}, "probabilities");
      SetInt(softmax, "axis", 1);
      onnx::NodeProto* argmax = b.Node("ArgMax", {softmax->output(0)}, "class_index");
      SetInt(argmax, "axis", 1);
      SetInt(argmax, "keepdims", 0);
      // The dataset's own labels: INT64, or STRING (aiaas's ONNX runtime serves a
      // Gather from a string table into an output as BYTES, runtime/onnx/string_tables.h).
      std::string table;
      if (labels.IntegerLabels()) {
        std::vector<int64_t> values;
        for (int64_t i = 0; i < classes; ++i) {
          AIAAS_ASSIGN_OR_RETURN(int64_t label, labels.DecodeInteger(i));
          values.push_back(label);
        }
        table = b.Int64s("class_labels", {classes}, values);
      } else {
        std::vector<std::string> values;
        for (int64_t i = 0; i < classes; ++i) {
          AIAAS_ASSIGN_OR_RETURN(std::string label, labels.DecodeString(i));
          values.push_back(std::move(label));
        }
        table = b.Strings("class_labels", values);
      }
      onnx::NodeProto* gather = b.Node("Gather", {table, argmax->output(0)}, "label");
      SetInt(gather, "axis", 0);
      AddValueInfo(graph->mutable_output(), softmax->output(0), onnx::TensorProto::FLOAT,
                   {classes});
      AddValueInfo(graph->mutable_output(), gather->output(0),
                   labels.IntegerLabels() ? onnx::TensorProto::INT64 : onnx::TensorProto::STRING,
                   {});
      return absl::OkStatus();
    }
    case Task::kRegression: {
      std::string y =
          b.Op("Reshape", {output, b.Int64s("prediction_shape", {2}, {-1, 1})}, "prediction/raw");
      y = Cast(b, y, onnx::TensorProto::DOUBLE, "prediction/double");
      y = b.Op("Mul", {y, b.Doubles("target_scale.std", {}, {source.target_std})},
               "prediction/scaled");
      y = b.Op("Add", {y, b.Doubles("target_scale.mean", {}, {source.target_mean})},
               "prediction/shifted");
      onnx::NodeProto* cast = b.Node("Cast", {y}, "prediction");
      SetInt(cast, "to", onnx::TensorProto::FLOAT);
      AddValueInfo(graph->mutable_output(), cast->output(0), onnx::TensorProto::FLOAT, {1});
      return absl::OkStatus();
    }
    case Task::kReconstruction: {
      const std::string y = b.Op("Identity", {output}, "reconstruction");
      AddValueInfo(graph->mutable_output(), y, onnx::TensorProto::FLOAT, source.plan.output_shape);
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unknown task");
}

}  // namespace

absl::StatusOr<std::string> ExportOnnx(const ExportSource& source) {
  if (!source.preprocessor.has_value()) return absl::InternalError("no preprocessor");
  const FittedPreprocessor& prep = *source.preprocessor;
  if (source.task == Task::kClassification && prep.labels() == nullptr) {
    return absl::InternalError("a classifier without class labels");
  }
  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("aiaas");
  model.set_domain("ai.aiaas");
  model.set_model_version(1);
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxExportOpset);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(absl::StrCat("aiaas_", ArchitectureName(source.plan.architecture)));
  OnnxGraphBuilder builder(graph);

  const std::string features = builder.Fresh("features");
  AddValueInfo(graph->mutable_input(), features, onnx::TensorProto::FLOAT,
               {static_cast<int64_t>(prep.NumericFeatureNames().size())});
  AIAAS_ASSIGN_OR_RETURN(std::string x, EmitPreprocessing(builder, prep, features));
  AIAAS_ASSIGN_OR_RETURN(x, EmitModel(builder, source, x));
  AIAAS_RETURN_IF_ERROR(EmitOutputs(builder, source, x, graph));
  // Value hints never take an output's name; a renamed output would be a bug here.
  for (const onnx::ValueInfoProto& output : graph->output()) {
    if (output.name() != "probabilities" && output.name() != "label" &&
        output.name() != "prediction" && output.name() != "reconstruction") {
      return absl::InternalError(absl::StrCat("ONNX export: output renamed to ", output.name()));
    }
  }

  std::string bytes;
  if (!model.SerializeToString(&bytes)) return absl::InternalError("cannot serialize the model");
  return bytes;
}

}  // namespace aiaas::training
