#include "cli/model_ref.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/model_name.h"

namespace aiaas::cli {
namespace {

// common/ takes std::string_view, which absl::string_view is not in every build.
std::string_view Std(absl::string_view text) { return {text.data(), text.size()}; }

}  // namespace

absl::Status ValidateTenantName(absl::string_view name) {
  if (!ValidateModelName(Std(name)).ok()) {
    std::string shown(name.substr(0, 64));
    if (name.size() > 64) shown += "...";
    return absl::InvalidArgumentError(
        absl::StrCat("invalid tenant name '", shown,
                     "': names must match [a-z0-9][a-z0-9._-]{0,127} (lowercase letters, digits, "
                     "'.', '_', '-'; start with a letter or digit; at most 128 characters)"));
  }
  if (name == "versions") {
    return absl::InvalidArgumentError("invalid tenant name 'versions': the word is reserved");
  }
  return absl::OkStatus();
}

absl::Status ValidateModelRef(absl::string_view ref) {
  if (!absl::StrContains(ref, '/')) return ValidateModelName(Std(ref));
  const std::vector<absl::string_view> parts = absl::StrSplit(ref, '/');
  if (parts.size() == 2 && ValidateTenantName(parts[0]).ok() &&
      ValidateModelName(Std(parts[1])).ok()) {
    return absl::OkStatus();
  }
  std::string shown(ref.substr(0, 140));
  if (ref.size() > 140) shown += "...";
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid model name '", shown,
      "': write NAME for your own model or TENANT/NAME for one another tenant shared, each "
      "part matching [a-z0-9][a-z0-9._-]{0,127} (a tenant may not be called 'versions')"));
}

std::vector<absl::string_view> ModelRefSegments(absl::string_view ref) {
  return absl::StrSplit(ref, '/');
}

bool IsSharedModelRef(absl::string_view ref) { return absl::StrContains(ref, '/'); }

}  // namespace aiaas::cli
