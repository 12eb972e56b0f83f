#ifndef AIAAS_CLI_MODEL_REF_H_
#define AIAAS_CLI_MODEL_REF_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace aiaas::cli {

// How the CLI names a model the caller may read: "NAME" for one of the caller's tenant, or
// "TENANT/NAME" for a model another tenant shared (a grant or public visibility). The
// server's routes take the slash as it is: /api/v1/models/TENANT/NAME/...,
// /v2/models/TENANT/NAME/infer.

// OK for a tenant name: the model-name rule ([a-z0-9][a-z0-9._-]{0,127}), and not
// "versions", which would make /models/{tenant}/{model}/versions/... ambiguous.
[[nodiscard]] absl::Status ValidateTenantName(absl::string_view name);

// OK for "NAME" (see ValidateModelName) or "TENANT/NAME". The InvalidArgument message
// starts "invalid model name '<ref>'" and says which spellings are accepted.
[[nodiscard]] absl::Status ValidateModelRef(absl::string_view ref);

// The path segments of a checked reference: "m" -> {"m"}, "team-a/m" -> {"team-a", "m"}.
std::vector<absl::string_view> ModelRefSegments(absl::string_view ref);

// True for "TENANT/NAME".
bool IsSharedModelRef(absl::string_view ref);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_MODEL_REF_H_
