#ifndef AIAAS_RUNTIME_TORCHSCRIPT_RUNTIME_H_
#define AIAAS_RUNTIME_TORCHSCRIPT_RUNTIME_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/runtime.h"

namespace aiaas::runtime {

struct TorchScriptOptions {
  // LibTorch intra-op threads used by every thread that runs a forward
  // (OpenMP's setting is per thread, so each inference thread applies it).
  int intra_op_threads = 1;
  // Apply torch::jit::freeze + optimize_for_inference after loading (falls
  // back to the plain module when the model cannot be frozen).
  bool optimize = true;
};

// Loads TorchScript archives saved by torch.jit.save / ScriptModule.save.
//
// Derived signature (when none is declared): inputs are named after the
// arguments of `forward` (after `self`), outputs are `output_0`, `output_1`, ...
// for a tuple or list return and `output_0` for a single tensor; a Dict[str,
// Tensor] return uses its keys at run time. Datatypes and shapes are unknown
// (any). A declared signature must have as many inputs as `forward` takes;
// requests are then matched to `forward`'s arguments by name when the
// declared names equal the argument names, and by position otherwise.
class TorchScriptRuntime final : public Runtime {
 public:
  explicit TorchScriptRuntime(const TorchScriptOptions& options) : options_(options) {}

  std::string_view format() const override { return "torchscript"; }

  absl::StatusOr<std::unique_ptr<Servable>> Load(
      const std::string& path, const std::optional<Signature>& declared) override;

 private:
  TorchScriptOptions options_;
};

}  // namespace aiaas::runtime

#endif  // AIAAS_RUNTIME_TORCHSCRIPT_RUNTIME_H_
