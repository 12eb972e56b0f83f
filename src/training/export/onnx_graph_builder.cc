#include "training/export/onnx_graph_builder.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace aiaas::training {

std::string OnnxGraphBuilder::Fresh(absl::string_view hint) {
  std::string name(hint.empty() ? absl::string_view("v") : hint);
  for (int i = 2; used_.count(name) > 0; ++i) name = absl::StrCat(hint, "_", i);
  used_.insert(name);
  return name;
}

onnx::NodeProto* OnnxGraphBuilder::Node(absl::string_view op,
                                        const std::vector<std::string>& inputs,
                                        absl::string_view hint, int num_outputs) {
  onnx::NodeProto* node = graph_->add_node();
  node->set_op_type(std::string(op));
  node->set_name(Fresh(absl::StrCat(hint, "/", op)));
  for (const std::string& input : inputs) node->add_input(input);
  for (int i = 0; i < num_outputs; ++i) {
    node->add_output(Fresh(num_outputs == 1 ? std::string(hint) : absl::StrCat(hint, "_", i)));
  }
  return node;
}

std::string OnnxGraphBuilder::Op(absl::string_view op, const std::vector<std::string>& inputs,
                                 absl::string_view hint) {
  return Node(op, inputs, hint)->output(0);
}

onnx::TensorProto* OnnxGraphBuilder::NewInitializer(absl::string_view name, int32_t elem_type,
                                                    const std::vector<int64_t>& shape) {
  onnx::TensorProto* tensor = graph_->add_initializer();
  tensor->set_name(Fresh(name));
  tensor->set_data_type(elem_type);
  for (int64_t dim : shape) tensor->add_dims(dim);
  return tensor;
}

std::string OnnxGraphBuilder::Floats(absl::string_view name, const std::vector<int64_t>& shape,
                                     const std::vector<float>& values) {
  onnx::TensorProto* tensor = NewInitializer(name, onnx::TensorProto::FLOAT, shape);
  tensor->set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
  return tensor->name();
}

std::string OnnxGraphBuilder::Doubles(absl::string_view name, const std::vector<int64_t>& shape,
                                      const std::vector<double>& values) {
  onnx::TensorProto* tensor = NewInitializer(name, onnx::TensorProto::DOUBLE, shape);
  tensor->set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double)));
  return tensor->name();
}

std::string OnnxGraphBuilder::Int64s(absl::string_view name, const std::vector<int64_t>& shape,
                                     const std::vector<int64_t>& values) {
  onnx::TensorProto* tensor = NewInitializer(name, onnx::TensorProto::INT64, shape);
  tensor->set_raw_data(
      std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int64_t)));
  return tensor->name();
}

std::string OnnxGraphBuilder::Strings(absl::string_view name,
                                      const std::vector<std::string>& values) {
  onnx::TensorProto* tensor =
      NewInitializer(name, onnx::TensorProto::STRING, {static_cast<int64_t>(values.size())});
  for (const std::string& value : values) tensor->add_string_data(value);
  return tensor->name();
}

std::string OnnxGraphBuilder::Weight(const ExportTensor& tensor) {
  if (weights_.count(tensor.name) > 0) return tensor.name;
  onnx::TensorProto* proto = NewInitializer(
      tensor.name,
      tensor.dtype == ExportDType::kFloat32 ? onnx::TensorProto::FLOAT : onnx::TensorProto::INT64,
      tensor.shape);
  proto->set_raw_data(tensor.bytes);
  weights_.insert(proto->name());
  return proto->name();
}

namespace {
onnx::AttributeProto* NewAttribute(onnx::NodeProto* node, absl::string_view name,
                                   onnx::AttributeProto::AttributeType type) {
  onnx::AttributeProto* attribute = node->add_attribute();
  attribute->set_name(std::string(name));
  attribute->set_type(type);
  return attribute;
}
}  // namespace

void SetInt(onnx::NodeProto* node, absl::string_view name, int64_t value) {
  NewAttribute(node, name, onnx::AttributeProto::INT)->set_i(value);
}

void SetFloat(onnx::NodeProto* node, absl::string_view name, float value) {
  NewAttribute(node, name, onnx::AttributeProto::FLOAT)->set_f(value);
}

void SetString(onnx::NodeProto* node, absl::string_view name, absl::string_view value) {
  NewAttribute(node, name, onnx::AttributeProto::STRING)->set_s(std::string(value));
}

void SetInts(onnx::NodeProto* node, absl::string_view name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* attribute = NewAttribute(node, name, onnx::AttributeProto::INTS);
  for (int64_t value : values) attribute->add_ints(value);
}

}  // namespace aiaas::training
