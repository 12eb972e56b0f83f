#ifndef AIAAS_RUNTIME_NATIVE_RUNTIME_H_
#define AIAAS_RUNTIME_NATIVE_RUNTIME_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/runtime.h"

namespace aiaas::runtime {

struct NativeOptions {
  // LibTorch intra-op threads of every thread that runs a forward (set per thread).
  int intra_op_threads = 1;
};

// Loads models trained by aiaas (format "native": training/job/native_bundle.h): it
// rebuilds the network from the stored spec, loads the weights, and serves raw,
// unpreprocessed rows through the stored preprocessing.
//
// Signature (F = numeric feature columns, K = categorical ones, both in the dataset's
// column order without the target; C = classes):
//   inputs   features     FP32  [-1, F]   NaN = missing (imputed as in training)
//            categorical  BYTES [-1, K]   only when K > 0; "" = missing
//   outputs  classification: probabilities FP32 [-1, C] (softmax), label [-1]
//                            (INT64 for integer labels, BYTES for string labels)
//            regression:     prediction FP32 [-1, 1] (in the target's units)
//            reconstruction: reconstruction FP32 [-1, ...] (in the encoded space:
//                            after scaling, one-hot and reshape)
// A declared signature must name the same inputs; the derived one is served.
class NativeRuntime final : public Runtime {
 public:
  explicit NativeRuntime(const NativeOptions& options) : options_(options) {}

  std::string_view format() const override { return "native"; }

  // InvalidArgument for a file that is not a native bundle, or whose spec, preprocessing
  // or weights do not fit together (the message says which).
  absl::StatusOr<std::unique_ptr<Servable>> Load(
      const std::string& path, const std::optional<Signature>& declared) override;

 private:
  NativeOptions options_;
};

}  // namespace aiaas::runtime

#endif  // AIAAS_RUNTIME_NATIVE_RUNTIME_H_
