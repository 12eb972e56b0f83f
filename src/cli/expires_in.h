#ifndef AIAAS_CLI_EXPIRES_IN_H_
#define AIAAS_CLI_EXPIRES_IN_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aiaas::cli {

// Parses the lifetime given to `aiaas keys create --expires-in`: a positive whole number
// and one unit, s (seconds), m (minutes), h (hours) or d (days): "3600s", "90m", "12h",
// "30d". Returns the lifetime in seconds, at most 100 years. InvalidArgument quoting the
// text and the accepted forms otherwise (a bare number is refused: "30" could mean anything).
[[nodiscard]] absl::StatusOr<int64_t> ParseExpiresIn(absl::string_view text);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_EXPIRES_IN_H_
