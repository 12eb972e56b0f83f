#ifndef AIAAS_RUNTIME_SERVABLE_H_
#define AIAAS_RUNTIME_SERVABLE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/tensor.h"

namespace aiaas::runtime {

// Named output tensors in the model's output order.
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// A loaded model version, ready to run. Held through a std::shared_ptr so a
// version can be unloaded or replaced while requests still finish on it.
//
// Thread-safety: Infer() may be called concurrently from many threads.
class Servable {
 public:
  virtual ~Servable() = default;

  // The model's inputs and outputs: the declared signature if one was given at
  // push time, otherwise what the runtime could derive from the artifact.
  virtual const Signature& signature() const = 0;

  // Runs the model once. `inputs` must hold every input of signature() (the
  // caller validated names, datatypes and fixed dims). Returns the outputs in
  // signature order. InvalidArgument when the model rejects the inputs (the
  // message quotes the framework's reason); Internal for anything else.
  [[nodiscard]] virtual absl::StatusOr<NamedTensors> Infer(const TensorMap& inputs) = 0;

  // Bytes the loaded model holds (weights and buffers), measured at load.
  // Used for the model memory budget; 0 when unknown.
  virtual int64_t memory_bytes() const { return 0; }
};

}  // namespace aiaas::runtime

#endif  // AIAAS_RUNTIME_SERVABLE_H_
