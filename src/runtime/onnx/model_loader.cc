#include "runtime/onnx/model_loader.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "onnx/checker.h"
#include "onnx/defs/schema.h"
#include "onnx/defs/shape_inference.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"
#include "runtime/onnx/display_names.h"
#include "runtime/onnx/element_types.h"
#include "runtime/onnx/graph_check.h"
#include "runtime/onnx/op_registry.h"
#include "runtime/onnx/wire_prescan.h"

// Last: <sys/mman.h> defines MAP_TYPE, an enumerator name in onnx/defs/parser.h.
#include <sys/mman.h>

namespace aiaas::runtime::onnxrt {
namespace {

constexpr int64_t kMinIrVersion = 3;  // the first with opset imports
constexpr int64_t kMaxIrVersion = onnx::Version::IR_VERSION;
constexpr size_t kMaxListedOperators = 20;
constexpr size_t kMaxMessageChars = 1000;
// Attribute bounds refused at load (see GuardedSchemaRegistry); far beyond real models.
constexpr int64_t kMaxRoiAlignSamplingRatio = 64;
constexpr int64_t kMaxRoiAlignOutputSide = 1 << 14;
constexpr int64_t kMaxUnpoolAttribute = 1 << 20;
constexpr int64_t kMaxHiddenSize = 1 << 20;
constexpr int64_t kMaxBlocksize = 1 << 16;

std::string Bounded(std::string message) {
  if (message.size() > kMaxMessageChars) message = message.substr(0, kMaxMessageChars) + "...";
  return message;
}

absl::Status CheckVersions(const onnx::ModelProto& model, std::map<std::string, int>* opsets) {
  if (!model.has_ir_version() || model.ir_version() == 0 || !model.has_graph()) {
    return absl::InvalidArgumentError(
        "the file is not an ONNX model: it has no IR version or no graph");
  }
  if (model.ir_version() < kMinIrVersion || model.ir_version() > kMaxIrVersion) {
    return absl::UnimplementedError(absl::StrCat("ONNX IR version ", model.ir_version(),
                                                 " is not supported; this server reads IR ",
                                                 "versions ", kMinIrVersion, " to ",
                                                 kMaxIrVersion));
  }
  for (const onnx::OperatorSetIdProto& opset : model.opset_import()) {
    std::string domain(OpRegistry::CanonicalDomain(opset.domain()));
    if (!opsets->emplace(domain, static_cast<int>(opset.version())).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the model imports domain ", QuoteName(opset.domain()), " more than once"));
    }
  }
  // A model whose nodes all live in other domains need not import the default one.
  auto it = opsets->find("");
  if (it != opsets->end() && (it->second < kMinOpset || it->second > kMaxOpset)) {
    return absl::UnimplementedError(absl::StrCat(
        "opset ", it->second, " of the default ONNX domain is not supported; this server runs ",
        "opsets ", kMinOpset, " to ", kMaxOpset));
  }
  return absl::OkStatus();
}

// One entry per unsupported (domain, op_type, opset): the first node that uses it.
struct UnsupportedOps {
  std::set<std::string> seen;
  std::vector<std::string> listed;
};

std::string RangesText(const std::vector<OpsetRange>& ranges) {
  std::vector<std::string> parts;
  for (const OpsetRange& range : ranges) {
    parts.push_back(range.first == range.last ? absl::StrCat(range.first)
                                              : absl::StrCat(range.first, "-", range.last));
  }
  return absl::StrJoin(parts, ", ");
}

absl::Status FindUnsupportedOps(const onnx::GraphProto& graph,
                                const std::map<std::string, int>& opsets,
                                const OpRegistry& registry, UnsupportedOps* unsupported) {
  for (const onnx::NodeProto& node : graph.node()) {
    const std::string domain(OpRegistry::CanonicalDomain(node.domain()));
    auto opset = opsets.find(domain);
    if (opset == opsets.end()) {
      return absl::InvalidArgumentError(absl::StrCat(NodeLabel(node), " uses domain ",
                                                     QuoteName(node.domain()),
                                                     ", which the model does not import"));
    }
    if (registry.Find(domain, node.op_type(), opset->second) == nullptr) {
      const std::string key = absl::StrCat(domain, "\n", node.op_type());
      if (unsupported->seen.insert(key).second) {
        std::string entry = QuoteName(node.op_type());
        entry = entry.substr(1, entry.size() - 2);  // bare op name, still sanitized
        if (!domain.empty()) absl::StrAppend(&entry, " of domain ", QuoteName(domain));
        const std::vector<OpsetRange> ranges = registry.Ranges(domain, node.op_type());
        if (!ranges.empty()) {
          absl::StrAppend(&entry, " at opset ", opset->second, " (supported: opsets ",
                          RangesText(ranges), ")");
        }
        absl::StrAppend(&entry, node.name().empty() ? "" : absl::StrCat(" in node ",
                                                                        QuoteName(node.name())));
        unsupported->listed.push_back(std::move(entry));
      }
    }
    for (const onnx::AttributeProto& attribute : node.attribute()) {
      if (attribute.has_g()) {
        AIAAS_RETURN_IF_ERROR(FindUnsupportedOps(attribute.g(), opsets, registry, unsupported));
      }
      for (const onnx::GraphProto& subgraph : attribute.graphs()) {
        AIAAS_RETURN_IF_ERROR(FindUnsupportedOps(subgraph, opsets, registry, unsupported));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOperators(const onnx::GraphProto& graph,
                            const std::map<std::string, int>& opsets,
                            const OpRegistry& registry) {
  UnsupportedOps unsupported;
  AIAAS_RETURN_IF_ERROR(FindUnsupportedOps(graph, opsets, registry, &unsupported));
  if (unsupported.listed.empty()) return absl::OkStatus();
  std::vector<std::string> listed = unsupported.listed;
  const size_t total = listed.size();
  if (total > kMaxListedOperators) listed.resize(kMaxListedOperators);
  return absl::UnimplementedError(absl::StrCat(
      total == 1 ? "unsupported operator: " : "unsupported operators: ",
      absl::StrJoin(listed, ", "),
      total > listed.size() ? absl::StrCat(" and ", total - listed.size(), " more") : ""));
}

// A value's type must be a tensor of a supported element type (UNDEFINED passes: the
// type of an intermediate value may be unknown).
absl::Status CheckValueType(const onnx::ValueInfoProto& value, const char* what) {
  if (!value.has_type()) return absl::OkStatus();
  const onnx::TypeProto& type = value.type();
  if (!type.has_tensor_type()) {
    const char* kind = type.has_sequence_type()   ? "a sequence"
                       : type.has_map_type()      ? "a map"
                       : type.has_optional_type() ? "an optional"
                       : type.has_sparse_tensor_type() ? "a sparse tensor"
                                                       : "not a tensor";
    return absl::UnimplementedError(absl::StrCat(what, " ", QuoteName(value.name()), " is ",
                                                 kind, "; only tensors are supported"));
  }
  const int32_t elem_type = type.tensor_type().elem_type();
  if (elem_type != onnx::TensorProto::UNDEFINED && !IsSupportedElementType(elem_type)) {
    return absl::UnimplementedError(absl::StrCat(what, " ", QuoteName(value.name()),
                                                 " has element type ", ElementTypeName(elem_type),
                                                 ", which is not supported"));
  }
  return absl::OkStatus();
}

absl::Status CheckGraphTypes(const onnx::GraphProto& graph) {
  for (const auto& input : graph.input()) AIAAS_RETURN_IF_ERROR(CheckValueType(input, "input"));
  for (const auto& output : graph.output()) {
    AIAAS_RETURN_IF_ERROR(CheckValueType(output, "output"));
  }
  for (const auto& value : graph.value_info()) {
    AIAAS_RETURN_IF_ERROR(CheckValueType(value, "value"));
  }
  for (const onnx::NodeProto& node : graph.node()) {
    for (const onnx::AttributeProto& attribute : node.attribute()) {
      if (attribute.has_g()) AIAAS_RETURN_IF_ERROR(CheckGraphTypes(attribute.g()));
      for (const auto& subgraph : attribute.graphs()) {
        AIAAS_RETURN_IF_ERROR(CheckGraphTypes(subgraph));
      }
    }
  }
  return absl::OkStatus();
}

// ONNX's operator schemas, except where an inference function of the ONNX release we
// build against trusts an attribute it must check: those are wrapped with the missing
// check, which fails shape inference instead. All found by fuzz/onnx_loader_fuzz.cc.
//  - LayerNormalization-17 with more than one output writes through
//    mutable_dim(axis) for an axis below -rank, or one that truncates to a negative
//    int: a heap write out of bounds in ONNX 1.12 (fixed upstream in onnx/onnx#8466).
//  - Scan sizes vectors by num_scan_inputs before comparing it with the node's inputs:
//    a few bytes ask for terabytes (bad_alloc) or gigabytes (allocated and zeroed).
//  - RoiAlign, MaxUnpool, LSTM/GRU/RNN take sizes and sample counts from attributes that
//    no inference function bounds; absurd values (a sampling_ratio of 2^30, a kernel of
//    2^40, a negative hidden_size) are refused here rather than at every request.
//  - ConvTranspose reads W's dims 1..rank(X)-1 unchecked: a 1-D W crashed the server.
//  - DepthToSpace divides by blocksize^2 unchecked: a blocksize of 2^40 divided by zero.
class GuardedSchemaRegistry final : public onnx::ISchemaRegistry {
 public:
  GuardedSchemaRegistry() {
    Guard("LayerNormalization", {17}, CheckAxisInRank);
    Guard("Scan", {8, 9, 11, 16}, CheckScanInputCount);
    Guard("RoiAlign", {10, 16}, CheckRoiAlignAttributes);
    Guard("MaxUnpool", {9, 11}, CheckUnpoolAttributes);
    Guard("LSTM", {1, 7, 14}, CheckHiddenSize);
    Guard("GRU", {1, 3, 7, 14}, CheckHiddenSize);
    Guard("RNN", {1, 7, 14}, CheckHiddenSize);
    Guard("ConvTranspose", {1, 11}, CheckConvTransposeWeightRank);
    Guard("DepthToSpace", {1, 11, 13}, CheckBlocksize);
    Guard("SpaceToDepth", {1, 13}, CheckBlocksize);
  }

  const onnx::OpSchema* GetSchema(const std::string& key, const int max_inclusive_version,
                                  const std::string& domain) const override {
    const onnx::OpSchema* schema =
        onnx::OpSchemaRegistry::Schema(key, max_inclusive_version, domain);
    auto guarded = guarded_.find(schema);
    return guarded != guarded_.end() ? guarded->second.get() : schema;
  }

 private:
  using Check = void (*)(onnx::InferenceContext&);

  // Replaces the default-domain schemas `name` of `versions` by copies that run `check`
  // before their own inference.
  void Guard(const char* name, std::initializer_list<int> versions, Check check) {
    for (int version : versions) {
      const onnx::OpSchema* original = onnx::OpSchemaRegistry::Schema(name, version, "");
      if (original == nullptr || original->SinceVersion() != version) continue;
      auto copy = std::make_unique<onnx::OpSchema>(*original);
      onnx::InferenceFunction infer = original->GetTypeAndShapeInferenceFunction();
      copy->TypeAndShapeInferenceFunction([infer, check](onnx::InferenceContext& context) {
        check(context);
        if (infer) infer(context);
      });
      guarded_[original] = std::move(copy);
    }
  }

  // LayerNormalization: `axis` (default -1) must lie in [-rank, rank) of input 0 when its
  // shape is known (the wrapped function does nothing with an unknown shape).
  static void CheckAxisInRank(onnx::InferenceContext& context) {
    if (!onnx::hasNInputShapes(context, 1)) return;
    const int64_t rank = context.getInputType(0)->tensor_type().shape().dim_size();
    const onnx::AttributeProto* attribute = context.getAttribute("axis");
    const int64_t axis = attribute != nullptr ? attribute->i() : -1;
    if (axis < -rank || axis >= rank) {
      fail_shape_inference("axis ", axis, " is out of range for an input of rank ", rank);
    }
  }

  // Scan: num_scan_inputs counts some of the node's inputs.
  static void CheckScanInputCount(onnx::InferenceContext& context) {
    const onnx::AttributeProto* attribute = context.getAttribute("num_scan_inputs");
    if (attribute == nullptr) return;  // the checker requires it
    const auto inputs = static_cast<int64_t>(context.getNumInputs());
    if (attribute->i() < 1 || attribute->i() > inputs) {
      fail_shape_inference("num_scan_inputs ", attribute->i(), " is not between 1 and the ",
                           inputs, " inputs of the node");
    }
  }

  // RoiAlign: the kernel (ops_detection.cc) refuses these too, at every run; refusing them
  // here makes an unusable model fail its push instead.
  static void CheckRoiAlignAttributes(onnx::InferenceContext& context) {
    const onnx::AttributeProto* ratio = context.getAttribute("sampling_ratio");
    if (ratio != nullptr && (ratio->i() < 0 || ratio->i() > kMaxRoiAlignSamplingRatio)) {
      fail_shape_inference("sampling_ratio ", ratio->i(), " is not between 0 and ",
                           kMaxRoiAlignSamplingRatio);
    }
    const onnx::AttributeProto* scale = context.getAttribute("spatial_scale");
    if (scale != nullptr && !std::isfinite(scale->f())) {
      fail_shape_inference("spatial_scale is not finite");
    }
    for (const char* name : {"output_height", "output_width"}) {
      const onnx::AttributeProto* side = context.getAttribute(name);
      if (side != nullptr && (side->i() < 1 || side->i() > kMaxRoiAlignOutputSide)) {
        fail_shape_inference(name, " ", side->i(), " is not between 1 and ",
                             kMaxRoiAlignOutputSide);
      }
    }
  }

  // MaxUnpool: its output size comes from these; ONNX's own inference multiplies them
  // unchecked.
  static void CheckUnpoolAttributes(onnx::InferenceContext& context) {
    for (const char* name : {"kernel_shape", "strides", "pads"}) {
      const onnx::AttributeProto* attribute = context.getAttribute(name);
      if (attribute == nullptr) continue;
      const int64_t min = std::string_view(name) == "pads" ? 0 : 1;
      for (int64_t value : attribute->ints()) {
        if (value < min || value > kMaxUnpoolAttribute) {
          fail_shape_inference(name, " value ", value, " is not between ", min, " and ",
                               kMaxUnpoolAttribute);
        }
      }
    }
  }

  // LSTM, GRU, RNN: hidden_size sizes the weights and states (the kernel checks it
  // against R too).
  static void CheckHiddenSize(onnx::InferenceContext& context) {
    const onnx::AttributeProto* hidden = context.getAttribute("hidden_size");
    if (hidden != nullptr && (hidden->i() < 1 || hidden->i() > kMaxHiddenSize)) {
      fail_shape_inference("hidden_size ", hidden->i(), " is not between 1 and ",
                           kMaxHiddenSize);
    }
  }

  // ConvTranspose: W is [C, M / group, k1, ..., kn], of X's rank. ONNX's inference reads
  // W's dim 1 and one kernel dim per spatial axis of X without checking W's rank.
  static void CheckConvTransposeWeightRank(onnx::InferenceContext& context) {
    if (!onnx::hasNInputShapes(context, 2)) return;
    const int64_t x_rank = context.getInputType(0)->tensor_type().shape().dim_size();
    const int64_t w_rank = context.getInputType(1)->tensor_type().shape().dim_size();
    if (x_rank >= 2 && w_rank != x_rank) {
      fail_shape_inference("W has rank ", w_rank, "; it must have the rank of X, ", x_rank);
    }
  }

  // DepthToSpace, SpaceToDepth: ONNX's inference divides by blocksize * blocksize, which
  // overflows to 0 for a blocksize of 2^32 or more (SIGFPE).
  static void CheckBlocksize(onnx::InferenceContext& context) {
    const onnx::AttributeProto* blocksize = context.getAttribute("blocksize");
    if (blocksize != nullptr && (blocksize->i() < 1 || blocksize->i() > kMaxBlocksize)) {
      fail_shape_inference("blocksize ", blocksize->i(), " is not between 1 and ",
                           kMaxBlocksize);
    }
  }

  std::map<const onnx::OpSchema*, std::unique_ptr<onnx::OpSchema>> guarded_;
};

// The ONNX library's own checks. They throw; this is the one place that catches them.
absl::Status RunOnnxChecks(onnx::ModelProto* model) {
  try {
    onnx::checker::check_model(*model);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        Bounded(absl::StrCat("the ONNX checker rejected the model: ", e.what())));
  }
  try {
    onnx::ShapeInferenceOptions options(/*check_type_val=*/false, /*strict_mode_val=*/1,
                                        /*data_prop_val=*/false);
    static const GuardedSchemaRegistry registry;
    onnx::shape_inference::InferShapes(*model, &registry, options);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        Bounded(absl::StrCat("ONNX shape inference rejected the model: ", e.what())));
  }
  return absl::OkStatus();
}

// Anonymous pages of their own for the file's bytes, returned to the OS when the load ends.
// A heap buffer would not be: once glibc has freed one large block it serves the next ones
// from the calling thread's arena and keeps them, so every server thread that refused a
// big file (say a 10^6-node graph) would keep one file's size resident for good.
struct PagesDeleter {
  size_t size_bytes = 0;
  void operator()(char* pages) const { munmap(pages, size_bytes); }
};
using PrivatePages = std::unique_ptr<char, PagesDeleter>;

absl::StatusOr<PrivatePages> AllocatePrivatePages(size_t size_bytes) {
  void* pages =
      mmap(nullptr, size_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot allocate ", size_bytes, " bytes to read the model file"));
  }
  return PrivatePages(static_cast<char*>(pages), PagesDeleter{size_bytes});
}

}  // namespace

absl::StatusOr<ValidatedModel> LoadModelFromBytes(std::string_view bytes,
                                                  const OpRegistry& registry,
                                                  const ModelLoadOptions& options) {
  if (bytes.empty()) return absl::InvalidArgumentError("the model file is empty");
  if (static_cast<int64_t>(bytes.size()) > options.max_model_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("the model is ", bytes.size(),
                                                   " bytes; the limit is ",
                                                   options.max_model_bytes));
  }
  AIAAS_ASSIGN_OR_RETURN(int64_t node_count, CountNodesInModelBytes(bytes, options.max_nodes));
  if (node_count > options.max_nodes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the model has more than ", options.max_nodes, " nodes, the most this server loads"));
  }
  ValidatedModel model;
  model.proto = std::make_unique<onnx::ModelProto>();
  if (!model.proto->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(
        "the file is not a valid ONNX model: the protobuf data is truncated or malformed");
  }
  AIAAS_RETURN_IF_ERROR(CheckVersions(*model.proto, &model.opsets));
  AIAAS_ASSIGN_OR_RETURN(model.string_outputs, ExtractStringTables(model.proto.get()));
  AIAAS_RETURN_IF_ERROR(CheckModelTensors(*model.proto));
  AIAAS_RETURN_IF_ERROR(CheckAndSortGraphs(model.proto.get(), options.max_nodes));
  AIAAS_RETURN_IF_ERROR(CheckOperators(model.proto->graph(), model.opsets, registry));
  AIAAS_RETURN_IF_ERROR(CheckGraphTypes(model.proto->graph()));
  AIAAS_RETURN_IF_ERROR(RunOnnxChecks(model.proto.get()));
  AIAAS_RETURN_IF_ERROR(CheckGraphTypes(model.proto->graph()));  // now with inferred types
  return model;
}

absl::StatusOr<ValidatedModel> LoadModelFromFile(const std::string& path,
                                                 const OpRegistry& registry,
                                                 const ModelLoadOptions& options) {
  std::error_code error;
  const std::uintmax_t size = std::filesystem::file_size(path, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the model file: ", error.message()));
  }
  if (size > static_cast<std::uintmax_t>(options.max_model_bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("the model is ", size, " bytes; the limit is ",
                                                   options.max_model_bytes));
  }
  if (size == 0) return LoadModelFromBytes({}, registry, options);
  AIAAS_ASSIGN_OR_RETURN(PrivatePages bytes, AllocatePrivatePages(static_cast<size_t>(size)));
  std::ifstream file(path, std::ios::binary);
  if (!file || !file.read(bytes.get(), static_cast<std::streamsize>(size))) {
    return absl::InvalidArgumentError("cannot read the model file");
  }
  return LoadModelFromBytes(std::string_view(bytes.get(), static_cast<size_t>(size)), registry,
                            options);
}

}  // namespace aiaas::runtime::onnxrt
