// Fuzz target: loading an ONNX model exactly as a model push does,
// OnnxRuntime::Load (runtime/onnx/onnx_runtime.h): size limit, wire-format prescan,
// protobuf parse, version, tensor and graph checks, the ONNX checker and shape
// inference (model_loader.h), then Interpreter::Create (initializers to ATen tensors,
// the execution plan, constant folding with ATen kernels) and the derived signature.
// Input: the model file's bytes, nothing else (so every seed is a real .onnx file).
// Under libFuzzer, half the mutations are structure-aware (onnx_model_mutator.h).
// Invariants (trap on violation):
//   - a refused model is InvalidArgument (a push answers 400) with a non-empty
//     message of bounded length; never another code (Internal would be a 500);
//   - a loaded model's signature is the graph's: its inputs are the main graph's
//     inputs that have no initializer and its outputs the graph's outputs, both by
//     name and in order; names are unique; no dim of a known shape is below -1;
//   - memory stays bounded (sanitizer builds only): the heap Load allocates on top of
//     what was live before stays under kHeapPerInputByte bytes per input byte plus a
//     fixed allowance for folded constants (see kHeapAllowance).
#include <ATen/Parallel.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "fuzz/fuzz_util.h"
#include "fuzz/onnx_model_mutator.h"
#include "onnx/onnx_pb.h"
#include "runtime/onnx/execution_plan.h"
#include "runtime/onnx/onnx_runtime.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AIAAS_FUZZ_HEAP_HOOKS 1
#include <sanitizer/allocator_interface.h>
#endif
#endif

namespace {

using aiaas::fuzz::Require;

// Inputs larger than this are refused by the loader itself (scripts/fuzz.sh never
// generates them; a replayed file may be larger). Small, to keep executions fast.
constexpr int64_t kMaxModelBytes = 64 * 1024;
constexpr int64_t kMaxNodes = 2000;
constexpr size_t kMaxMessageChars = 4096;
// Protobuf messages are far larger in memory than on the wire (a NodeProto of a few
// bytes is a few hundred), and the checker and shape inference copy the model.
constexpr int64_t kHeapPerInputByte = 256;
// Constant folding may keep results up to PlanOptions::max_folded_bytes (64 MiB by
// default) per node and holds a node's inputs and outputs at once; on top of that
// ONNX's and ATen's fixed overheads.
const int64_t kHeapAllowance = 4 * aiaas::runtime::onnxrt::PlanOptions{}.max_folded_bytes +
                               (int64_t{32} << 20);

#ifdef AIAAS_FUZZ_HEAP_HOOKS
// Live heap bytes (all threads) and their peak since the last HeapWatch was made.
std::atomic<int64_t> live_bytes{0};
std::atomic<int64_t> peak_bytes{0};

void OnMalloc(const volatile void* /*pointer*/, size_t size) {
  const int64_t now = live_bytes.fetch_add(static_cast<int64_t>(size)) + static_cast<int64_t>(size);
  int64_t peak = peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
}

void OnFree(const volatile void* pointer) {
  // Called before the memory is released, so its size is still known.
  live_bytes.fetch_sub(static_cast<int64_t>(__sanitizer_get_allocated_size(pointer)));
}
#endif

// Heap growth over one call: construct before it, PeakGrowth() after.
class HeapWatch {
 public:
  HeapWatch() {
#ifdef AIAAS_FUZZ_HEAP_HOOKS
    start_ = live_bytes.load();
    peak_bytes.store(start_);
#endif
  }
  // Largest live heap minus the live heap at construction; 0 without sanitizer hooks.
  int64_t PeakGrowth() const {
#ifdef AIAAS_FUZZ_HEAP_HOOKS
    return peak_bytes.load() - start_;
#else
    return 0;
#endif
  }

 private:
  int64_t start_ = 0;
};

// The runtime and a scratch file the input is written to, for the whole process.
struct Fixture {
  std::optional<aiaas::runtime::OnnxRuntime> runtime;
  std::string model_path;
};

// The scratch directory, removed at exit (libFuzzer and the replay both exit()).
std::string& ScratchDirectory() {
  static std::string* directory = new std::string;  // outlives every exit handler
  return *directory;
}

void RemoveScratchDirectory() {
  std::error_code ignored;
  std::filesystem::remove_all(ScratchDirectory(), ignored);
}

Fixture& TheFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;  // never destroyed: loads may still hold LibTorch state at exit
    aiaas::runtime::OnnxOptions options;
    options.load.max_model_bytes = kMaxModelBytes;
    options.load.max_nodes = kMaxNodes;
    f->runtime.emplace(options);
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/onnx_loader_fuzz.XXXXXX";
    Require(mkdtemp(pattern.data()) != nullptr, "a scratch directory can be created");
    ScratchDirectory() = pattern;
    std::atexit(RemoveScratchDirectory);
    f->model_path = pattern + "/model.onnx";
    return f;
  }();
  return *fixture;
}

absl::StatusOr<std::unique_ptr<aiaas::runtime::Servable>> Load(const uint8_t* data, size_t size) {
  Fixture& fixture = TheFixture();
  {
    std::ofstream file(fixture.model_path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    Require(static_cast<bool>(file), "the scratch file can be written");
  }
  return fixture.runtime->Load(fixture.model_path, std::nullopt);
}

// A tiny valid model (Y = Relu(X)), loaded once so that one-time initialisation (the
// operator schema registry, LibTorch's dispatcher) is not charged to the first input.
std::string WarmUpModel() {
  onnx::ModelProto model;
  model.set_ir_version(7);
  model.add_opset_import()->set_version(13);
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("warm_up");
  onnx::NodeProto* node = graph->add_node();
  node->set_op_type("Relu");
  node->add_input("X");
  node->add_output("Y");
  for (auto [list, name] : {std::pair{graph->mutable_input(), "X"},
                            std::pair{graph->mutable_output(), "Y"}}) {
    onnx::ValueInfoProto* value = list->Add();
    value->set_name(name);
    auto* tensor_type = value->mutable_type()->mutable_tensor_type();
    tensor_type->set_elem_type(onnx::TensorProto::FLOAT);
    tensor_type->mutable_shape()->add_dim()->set_dim_value(4);
  }
  return model.SerializeAsString();
}

void CheckSignature(const aiaas::Signature& signature, const uint8_t* data, size_t size) {
  onnx::ModelProto model;
  Require(model.ParseFromArray(data, static_cast<int>(size)), "a loaded model parses");
  const onnx::GraphProto& graph = model.graph();
  std::unordered_set<std::string> initializers;
  for (const auto& initializer : graph.initializer()) initializers.insert(initializer.name());
  std::vector<std::string> expected_inputs;
  for (const auto& input : graph.input()) {
    if (initializers.count(input.name()) == 0) expected_inputs.push_back(input.name());
  }
  std::vector<std::string> expected_outputs;
  for (const auto& output : graph.output()) expected_outputs.push_back(output.name());

  auto check = [](const std::vector<aiaas::TensorSpec>& specs,
                  const std::vector<std::string>& expected, const char* what) {
    Require(specs.size() == expected.size(), what);
    std::set<std::string> names;
    for (size_t i = 0; i < specs.size(); ++i) {
      Require(specs[i].name == expected[i], what);
      Require(names.insert(specs[i].name).second, "signature names are unique");
      if (!specs[i].shape.has_value()) continue;
      for (int64_t dim : *specs[i].shape) Require(dim >= -1, "a signature dim is -1 or more");
    }
  };
  check(signature.inputs, expected_inputs,
        "signature inputs are the graph inputs without initializers, in order");
  check(signature.outputs, expected_outputs, "signature outputs are the graph outputs, in order");
  for (const auto& input : signature.inputs) {
    Require(!input.name.empty(), "a signature input has a name");
  }
}

// Once per process, before the first input (the replay build has no
// LLVMFuzzerInitialize, so both builds start here).
bool Initialize() {
  at::set_num_threads(1);  // as the server's default; keeps the heap watch single-threaded
  const std::string warm_up = WarmUpModel();
  const auto loaded = Load(reinterpret_cast<const uint8_t*>(warm_up.data()), warm_up.size());
  Require(loaded.ok(), "the warm-up model loads");
#ifdef AIAAS_FUZZ_HEAP_HOOKS
  __sanitizer_install_malloc_and_free_hooks(OnMalloc, OnFree);
#endif
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool initialized = Initialize();
  (void)initialized;
  const HeapWatch heap;
  auto loaded = Load(data, size);
  const int64_t growth = heap.PeakGrowth();
  if (growth > kHeapAllowance + kHeapPerInputByte * static_cast<int64_t>(size)) {
    std::fprintf(stderr, "heap grew by %lld bytes for a %zu-byte model\n",
                 static_cast<long long>(growth), size);
    Require(false, "loading allocates at most kHeapPerInputByte per input byte + kHeapAllowance");
  }
  if (!loaded.ok()) {
    const absl::Status& status = loaded.status();
    if (status.code() != absl::StatusCode::kInvalidArgument) {
      std::fprintf(stderr, "status: %s\n", status.ToString().c_str());
    }
    Require(status.code() == absl::StatusCode::kInvalidArgument,
            "a refused model is InvalidArgument");
    Require(!status.message().empty(), "a refusal says why");
    Require(status.message().size() <= kMaxMessageChars, "a refusal message is bounded");
    return 0;
  }
  Require(static_cast<int64_t>(size) <= kMaxModelBytes, "the size limit holds");
  CheckSignature((*loaded)->signature(), data, size);
  Require((*loaded)->memory_bytes() >= 0, "memory_bytes is not negative");
  return 0;
}

#ifdef AIAAS_LIBFUZZER
extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

// Half the time libFuzzer's own byte-level mutation; otherwise, when the input parses
// as a model, one OnnxModelMutator change.
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  if (seed % 2 == 0) return LLVMFuzzerMutate(data, size, max_size);
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size)) ||
      !aiaas::fuzz::OnnxModelMutator(seed).Mutate(model)) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  const std::string mutated = model.SerializeAsString();
  if (mutated.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, mutated.data(), mutated.size());
  return mutated.size();
}
#endif
