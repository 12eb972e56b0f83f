#include "runtime/onnx/onnx_runtime.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "runtime/aten_tensor.h"
#include "runtime/onnx/element_types.h"
#include "runtime/onnx/interpreter.h"
#include "runtime/onnx/op_families.h"

namespace aiaas::runtime {
namespace {

constexpr char kRuntimeName[] = "ONNX";

absl::StatusOr<TensorSpec> SpecFor(const onnxrt::ValueSpec& value) {
  TensorSpec spec;
  spec.name = value.name;
  if (value.elem_type != 0) {
    AIAAS_ASSIGN_OR_RETURN(DataType type, onnxrt::ElementTypeToDataType(value.elem_type));
    spec.dtype = type;
  }
  spec.shape = value.shape;
  return spec;
}

absl::StatusOr<Signature> GraphSignature(const onnxrt::Interpreter& interpreter,
                                         const onnxrt::StringOutputs& string_outputs) {
  Signature signature;
  for (const auto& input : interpreter.inputs()) {
    AIAAS_ASSIGN_OR_RETURN(TensorSpec spec, SpecFor(input));
    signature.inputs.push_back(std::move(spec));
  }
  for (const auto& output : interpreter.outputs()) {
    AIAAS_ASSIGN_OR_RETURN(TensorSpec spec, SpecFor(output));
    if (string_outputs.count(output.name) > 0) spec.dtype = DataType::kBytes;
    signature.outputs.push_back(std::move(spec));
  }
  return signature;
}

// The strings at the INT64 positions of `positions` (an output of a string table), as a
// BYTES tensor of the same shape: each element a 4-byte little-endian length, then bytes.
absl::StatusOr<Tensor> StringsAt(const Tensor& positions, const std::vector<std::string>& table,
                                 const std::string& name) {
  if (positions.dtype != DataType::kInt64) {
    return absl::InternalError(absl::StrCat("output '", name, "' is not INT64 positions"));
  }
  Tensor out;
  out.dtype = DataType::kBytes;
  out.shape = positions.shape;
  const size_t count = positions.data.size() / sizeof(int64_t);
  for (size_t i = 0; i < count; ++i) {
    int64_t index = 0;
    std::memcpy(&index, positions.data.data() + i * sizeof(int64_t), sizeof(index));
    if (index < 0 || index >= static_cast<int64_t>(table.size())) {
      return absl::InternalError(absl::StrCat("output '", name, "': position ", index,
                                              " outside its table of ", table.size()));
    }
    const std::string& value = table[static_cast<size_t>(index)];
    const uint32_t length = static_cast<uint32_t>(value.size());
    const size_t at = out.data.size();
    out.data.resize(at + sizeof(length) + value.size());
    std::memcpy(out.data.data() + at, &length, sizeof(length));
    std::memcpy(out.data.data() + at + sizeof(length), value.data(), value.size());
  }
  return out;
}

// The declared signature if it fits the graph, otherwise InvalidArgument saying why.
absl::StatusOr<Signature> ResolveSignature(const Signature& graph,
                                           const std::optional<Signature>& declared) {
  if (!declared.has_value()) return graph;
  std::set<std::string> graph_inputs;
  for (const auto& spec : graph.inputs) graph_inputs.insert(spec.name);
  std::set<std::string> declared_inputs;
  for (const auto& spec : declared->inputs) declared_inputs.insert(spec.name);
  if (graph_inputs != declared_inputs) {
    std::string names;
    for (const auto& name : graph_inputs) absl::StrAppend(&names, names.empty() ? "" : ", ", name);
    return absl::InvalidArgumentError(absl::StrCat(
        "the declared signature's inputs must be the graph's inputs: ", names));
  }
  for (const auto& spec : declared->inputs) {
    for (const auto& actual : graph.inputs) {
      if (actual.name == spec.name && spec.dtype && actual.dtype && *spec.dtype != *actual.dtype) {
        return absl::InvalidArgumentError(absl::StrCat(
            "input '", spec.name, "' is declared ", std::string(DataTypeName(*spec.dtype)),
            " but the graph takes ", std::string(DataTypeName(*actual.dtype))));
      }
    }
  }
  Signature signature = *declared;
  if (signature.outputs.empty()) signature.outputs = graph.outputs;
  for (const auto& spec : signature.outputs) {
    bool found = false;
    for (const auto& actual : graph.outputs) found = found || actual.name == spec.name;
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("declared output '", spec.name, "' is not an output of the graph"));
    }
  }
  return signature;
}

class OnnxServable final : public Servable {
 public:
  OnnxServable(std::unique_ptr<onnxrt::Interpreter> interpreter, Signature signature,
               onnxrt::StringOutputs string_outputs, int intra_op_threads)
      : interpreter_(std::move(interpreter)),
        signature_(std::move(signature)),
        string_outputs_(std::move(string_outputs)),
        intra_op_threads_(intra_op_threads) {
    for (const auto& spec : signature_.outputs) {
      const auto& outputs = interpreter_->outputs();
      for (size_t i = 0; i < outputs.size(); ++i) {
        if (outputs[i].name == spec.name) output_indices_.push_back(i);
      }
    }
  }

  const Signature& signature() const override { return signature_; }
  int64_t memory_bytes() const override { return interpreter_->constant_bytes(); }

  absl::StatusOr<NamedTensors> Infer(const TensorMap& inputs) override {
    ApplyThreadSettings();
    std::vector<at::Tensor> arguments;
    for (const auto& spec : interpreter_->inputs()) {
      auto it = inputs.find(spec.name);
      if (it == inputs.end()) {
        return absl::InvalidArgumentError(absl::StrCat("missing input '", spec.name, "'"));
      }
      AIAAS_ASSIGN_OR_RETURN(at::Tensor tensor, ToAten(it->second, kRuntimeName));
      arguments.push_back(std::move(tensor));
    }
    AIAAS_ASSIGN_OR_RETURN(std::vector<at::Tensor> results, interpreter_->Run(arguments));
    NamedTensors outputs;
    for (size_t i = 0; i < output_indices_.size(); ++i) {
      AIAAS_ASSIGN_OR_RETURN(Tensor tensor, FromAten(results[output_indices_[i]]));
      const std::string& name = signature_.outputs[i].name;
      if (auto table = string_outputs_.find(name); table != string_outputs_.end()) {
        AIAAS_ASSIGN_OR_RETURN(tensor, StringsAt(tensor, *table->second, name));
      }
      outputs.emplace_back(name, std::move(tensor));
    }
    return outputs;
  }

 private:
  // OpenMP's thread count is per OS thread: set it once on each thread that runs models.
  void ApplyThreadSettings() const {
    thread_local int configured = -1;
    if (configured != intra_op_threads_) {
      at::set_num_threads(intra_op_threads_);
      configured = intra_op_threads_;
    }
  }

  const std::unique_ptr<onnxrt::Interpreter> interpreter_;
  const Signature signature_;
  const onnxrt::StringOutputs string_outputs_;  // output name -> its table of strings
  std::vector<size_t> output_indices_;  // interpreter output per signature output
  const int intra_op_threads_;
};

}  // namespace

OnnxRuntime::OnnxRuntime(const OnnxOptions& options)
    : options_(options), registry_(std::make_unique<onnxrt::OpRegistry>()) {
  onnxrt::RegisterAllOps(*registry_);
}

OnnxRuntime::~OnnxRuntime() = default;

absl::StatusOr<std::unique_ptr<Servable>> OnnxRuntime::Load(
    const std::string& path, const std::optional<Signature>& declared) {
  onnxrt::StringOutputs string_outputs;
  absl::StatusOr<std::unique_ptr<onnxrt::Interpreter>> interpreter = [&]()
      -> absl::StatusOr<std::unique_ptr<onnxrt::Interpreter>> {
    AIAAS_ASSIGN_OR_RETURN(onnxrt::ValidatedModel model,
                           onnxrt::LoadModelFromFile(path, *registry_, options_.load));
    string_outputs = model.string_outputs;
    return onnxrt::Interpreter::Create(std::move(model), *registry_, onnxrt::PlanOptions{});
  }();
  // Whatever the file's problem (malformed, or valid but unsupported), a push of it is
  // the client's error: 400 with the loader's message.
  if (!interpreter.ok()) {
    const absl::Status& status = interpreter.status();
    if (absl::IsInvalidArgument(status) || absl::IsUnimplemented(status)) {
      return absl::InvalidArgumentError(absl::StrCat("cannot load the ONNX model: ",
                                                     status.message()));
    }
    return status;
  }
  AIAAS_ASSIGN_OR_RETURN(Signature graph_signature,
                         GraphSignature(**interpreter, string_outputs));
  AIAAS_ASSIGN_OR_RETURN(Signature signature, ResolveSignature(graph_signature, declared));
  return std::make_unique<OnnxServable>(*std::move(interpreter), std::move(signature),
                                        std::move(string_outputs), options_.intra_op_threads);
}

}  // namespace aiaas::runtime
