// A structure-aware mutation for onnx_loader_fuzz: parses the input as a ModelProto
// and changes one value where kernels and checks are most likely to go wrong -- an
// attribute (NaN, infinities, zero, negative and huge numbers, list lengths), an
// initializer element (the same edge values, or its dims regrouped with the same
// element count), or the opset. Byte-level mutations alone rarely get past the
// protobuf parse and the ONNX checker with such a change, and constant folding runs
// the kernels of initializer-only nodes at load time on exactly these values.
#ifndef AIAAS_FUZZ_ONNX_MODEL_MUTATOR_H_
#define AIAAS_FUZZ_ONNX_MODEL_MUTATOR_H_

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace aiaas::fuzz {

class OnnxModelMutator {
 public:
  explicit OnnxModelMutator(unsigned int seed) : rng_(seed) {}

  // Changes one thing in `model`; false when it found nothing to change.
  bool Mutate(onnx::ModelProto& model) {
    switch (Below(8)) {
      case 0:
        if (model.opset_import_size() == 0) return false;
        model.mutable_opset_import(0)->set_version(static_cast<int64_t>(Below(18)));
        return true;
      case 1:
      case 2:
      case 3:
        return MutateInitializer(*model.mutable_graph());
      default:
        return MutateAttribute(*model.mutable_graph());
    }
  }

 private:
  uint32_t Below(uint32_t n) { return n == 0 ? 0 : static_cast<uint32_t>(rng_() % n); }

  double EdgeDouble() {
    static const double kValues[] = {std::numeric_limits<double>::quiet_NaN(),
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity(),
                                     0.0, -0.0, -1.0, 1.0, 0.5, 1e-45, 3e38, -3e38, 1e300};
    return kValues[Below(sizeof(kValues) / sizeof(kValues[0]))];
  }

  // Float values, chosen separately: a double beyond float's range does not convert.
  float EdgeFloat() {
    static const float kValues[] = {std::numeric_limits<float>::quiet_NaN(),
                                    std::numeric_limits<float>::infinity(),
                                    -std::numeric_limits<float>::infinity(),
                                    0.0f, -0.0f, -1.0f, 1.0f, 0.5f, 1e-45f, 3e38f, -3e38f};
    return kValues[Below(sizeof(kValues) / sizeof(kValues[0]))];
  }

  int64_t EdgeInt() {
    static const int64_t kValues[] = {0, 1, -1, 2, -2, 3, 7, 64, 255, 1 << 16, 1 << 30,
                                      int64_t{1} << 40,
                                      std::numeric_limits<int32_t>::max(),
                                      std::numeric_limits<int32_t>::min(),
                                      std::numeric_limits<int64_t>::max(),
                                      std::numeric_limits<int64_t>::min()};
    return kValues[Below(sizeof(kValues) / sizeof(kValues[0]))];
  }

  // A graph chosen among `graph` and the subgraphs of its nodes' attributes.
  onnx::GraphProto& PickGraph(onnx::GraphProto& graph) {
    onnx::GraphProto* picked = &graph;
    for (int depth = 0; depth < 4 && Below(3) == 0; ++depth) {
      std::vector<onnx::GraphProto*> subgraphs;
      for (onnx::NodeProto& node : *picked->mutable_node()) {
        for (onnx::AttributeProto& attribute : *node.mutable_attribute()) {
          if (attribute.has_g()) subgraphs.push_back(attribute.mutable_g());
        }
      }
      if (subgraphs.empty()) break;
      picked = subgraphs[Below(static_cast<uint32_t>(subgraphs.size()))];
    }
    return *picked;
  }

  bool MutateAttribute(onnx::GraphProto& root) {
    onnx::GraphProto& graph = PickGraph(root);
    if (graph.node_size() == 0) return false;
    onnx::NodeProto& node = *graph.mutable_node(static_cast<int>(Below(graph.node_size())));
    if (node.attribute_size() == 0) return false;
    onnx::AttributeProto& attribute =
        *node.mutable_attribute(static_cast<int>(Below(node.attribute_size())));
    switch (attribute.type()) {
      case onnx::AttributeProto::FLOAT:
        attribute.set_f(EdgeFloat());
        return true;
      case onnx::AttributeProto::INT:
        // A step of -2..2, wrapping around (unsigned) rather than overflowing.
        attribute.set_i(Below(2) == 0 ? EdgeInt()
                                      : static_cast<int64_t>(static_cast<uint64_t>(attribute.i()) +
                                                             Below(5) - 2));
        return true;
      case onnx::AttributeProto::INTS:
        if (attribute.ints_size() == 0 || Below(4) == 0) {
          attribute.add_ints(EdgeInt());
        } else if (Below(4) == 0) {
          attribute.mutable_ints()->RemoveLast();
        } else {
          attribute.set_ints(static_cast<int>(Below(attribute.ints_size())), EdgeInt());
        }
        return true;
      case onnx::AttributeProto::FLOATS:
        if (attribute.floats_size() == 0 || Below(4) == 0) {
          attribute.add_floats(EdgeFloat());
        } else {
          attribute.set_floats(static_cast<int>(Below(attribute.floats_size())),
                               EdgeFloat());
        }
        return true;
      case onnx::AttributeProto::TENSOR:
        return MutateTensor(*attribute.mutable_t());
      default:
        return false;
    }
  }

  bool MutateInitializer(onnx::GraphProto& root) {
    onnx::GraphProto& graph = PickGraph(root);
    if (graph.initializer_size() == 0) return false;
    return MutateTensor(
        *graph.mutable_initializer(static_cast<int>(Below(graph.initializer_size()))));
  }

  bool MutateTensor(onnx::TensorProto& tensor) {
    if (Below(4) == 0) return RegroupDims(tensor);
    switch (tensor.data_type()) {
      case onnx::TensorProto::FLOAT:
        return SetElement<float>(tensor, tensor.mutable_float_data(),
                                 EdgeFloat());
      case onnx::TensorProto::DOUBLE:
        return SetElement<double>(tensor, tensor.mutable_double_data(), EdgeDouble());
      case onnx::TensorProto::INT64:
        return SetElement<int64_t>(tensor, tensor.mutable_int64_data(), EdgeInt());
      case onnx::TensorProto::INT32:
        return SetElement<int32_t>(tensor, tensor.mutable_int32_data(),
                                   static_cast<int32_t>(EdgeInt()));
      default:
        return false;
    }
  }

  // Writes `value` over one element, in raw_data or in the typed field.
  template <typename T, typename Field, typename V>
  bool SetElement(onnx::TensorProto& tensor, Field* typed, V value) {
    if (tensor.has_raw_data()) {
      std::string& raw = *tensor.mutable_raw_data();
      const size_t count = raw.size() / sizeof(T);
      if (count == 0) return false;
      const T element = static_cast<T>(value);
      std::memcpy(&raw[Below(static_cast<uint32_t>(count)) * sizeof(T)], &element, sizeof(T));
      return true;
    }
    if (typed->size() == 0) return false;
    typed->Set(static_cast<int>(Below(typed->size())), value);
    return true;
  }

  // Same element count, different dims: flatten, add or drop a 1, or swap two dims.
  bool RegroupDims(onnx::TensorProto& tensor) {
    auto& dims = *tensor.mutable_dims();
    switch (Below(4)) {
      case 0: {
        int64_t count = 1;
        for (int64_t dim : dims) {
          if (dim < 0 || __builtin_mul_overflow(count, dim, &count)) return false;
        }
        dims.Clear();
        if (Below(2) == 0) dims.Add(count);  // otherwise a scalar, valid only for count 1
        return true;
      }
      case 1:
        dims.Add(1);
        return true;
      case 2:
        for (int i = 0; i < dims.size(); ++i) {
          if (dims.Get(i) == 1) {
            dims.erase(dims.begin() + i);
            return true;
          }
        }
        return false;
      default:
        if (dims.size() < 2) return false;
        dims.SwapElements(static_cast<int>(Below(dims.size())),
                          static_cast<int>(Below(dims.size())));
        return true;
    }
  }

  std::minstd_rand rng_;
};

}  // namespace aiaas::fuzz

#endif  // AIAAS_FUZZ_ONNX_MODEL_MUTATOR_H_
