#ifndef AIAAS_COMMON_MODEL_NAME_H_
#define AIAAS_COMMON_MODEL_NAME_H_

#include <string_view>

#include "absl/status/status.h"

namespace aiaas {

// The one place that decides what a model (or alias) name may be:
// `[a-z0-9][a-z0-9._-]{0,127}`. Returns InvalidArgument quoting the rule.
[[nodiscard]] absl::Status ValidateModelName(std::string_view name);

// Same rule for alias names ("production", "canary", ...). Aliases may not be
// all digits, so `/versions/{v}` style lookups stay unambiguous.
[[nodiscard]] absl::Status ValidateAliasName(std::string_view name);

}  // namespace aiaas

#endif  // AIAAS_COMMON_MODEL_NAME_H_
