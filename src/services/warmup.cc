#include "services/warmup.h"

namespace aiaas::services {

std::optional<TensorMap> WarmupInputs(const Signature& signature) {
  if (signature.inputs.empty()) return std::nullopt;
  constexpr int64_t kMaxWarmupElements = 1 << 24;
  TensorMap inputs;
  for (const auto& spec : signature.inputs) {
    if (!spec.dtype.has_value() || !spec.shape.has_value() || *spec.dtype == DataType::kBytes) {
      return std::nullopt;
    }
    Tensor tensor;
    tensor.dtype = *spec.dtype;
    for (int64_t dim : *spec.shape) tensor.shape.push_back(dim < 0 ? 1 : dim);
    auto count = ElementCount(tensor.shape, kMaxWarmupElements);
    if (!count.ok()) return std::nullopt;
    tensor.data.assign(static_cast<size_t>(*count) * DataTypeSize(tensor.dtype), std::byte{0});
    inputs.emplace(spec.name, std::move(tensor));
  }
  return inputs;
}

}  // namespace aiaas::services
