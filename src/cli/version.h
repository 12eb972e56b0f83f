#ifndef AIAAS_CLI_VERSION_H_
#define AIAAS_CLI_VERSION_H_

#include "absl/strings/string_view.h"

// The project version from CMake (project(aiaas VERSION ...)), as a string literal so it can
// be pasted into other literals such as the User-Agent.
#ifndef AIAAS_CLI_VERSION
#error "AIAAS_CLI_VERSION must be defined by the build (see src/cli/CMakeLists.txt)"
#endif

namespace aiaas::cli {

inline constexpr absl::string_view kClientVersion = AIAAS_CLI_VERSION;

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_VERSION_H_
