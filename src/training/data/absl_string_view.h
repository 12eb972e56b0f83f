// Debian's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW 0, so absl::string_view
// is its own type and Abseil's string functions do not take a std::string_view. Internal
// to training/data.
#ifndef AIAAS_TRAINING_DATA_ABSL_STRING_VIEW_H_
#define AIAAS_TRAINING_DATA_ABSL_STRING_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace aiaas::training {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_ABSL_STRING_VIEW_H_
