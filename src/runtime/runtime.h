#ifndef AIAAS_RUNTIME_RUNTIME_H_
#define AIAAS_RUNTIME_RUNTIME_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/tensor.h"
#include "runtime/servable.h"

namespace aiaas::runtime {

// A factory from an artifact file to a Servable; one per model format.
// Adding a format means adding one Runtime and registering it.
//
// Thread-safety: Load() may be called concurrently.
class Runtime {
 public:
  virtual ~Runtime() = default;

  // The format name stored with versions: "torchscript", "onnx", ...
  virtual std::string_view format() const = 0;

  // Loads the artifact at `path`. `declared` is the signature given at push
  // time, if any; the runtime checks it is compatible with the artifact.
  // InvalidArgument when the file is not a loadable model of this format (the
  // message says why); the caller owns the result.
  [[nodiscard]] virtual absl::StatusOr<std::unique_ptr<Servable>> Load(
      const std::string& path, const std::optional<Signature>& declared) = 0;
};

// The runtimes known to this process, by format name. Not thread-safe to
// modify; register everything at start-up, then only Find().
class RuntimeRegistry {
 public:
  void Register(std::unique_ptr<Runtime> runtime);

  // NotFound-free lookup: nullptr when no runtime handles `format`.
  Runtime* Find(std::string_view format) const;

  // Comma-separated list of registered formats, for error messages.
  std::string FormatNames() const;

 private:
  std::map<std::string, std::unique_ptr<Runtime>, std::less<>> runtimes_;
};

}  // namespace aiaas::runtime

#endif  // AIAAS_RUNTIME_RUNTIME_H_
