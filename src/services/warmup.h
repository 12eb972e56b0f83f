#ifndef AIAAS_SERVICES_WARMUP_H_
#define AIAAS_SERVICES_WARMUP_H_

#include <optional>

#include "common/tensor.h"

namespace aiaas::services {

// Zero-filled inputs made from a signature for a warm-up inference: dynamic
// dims (-1) become 1. nullopt when some input's datatype or shape is unknown
// (nothing sensible can be made; warm-up is then skipped).
std::optional<TensorMap> WarmupInputs(const Signature& signature);

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_WARMUP_H_
