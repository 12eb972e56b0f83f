#include "common/model_name.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace aiaas {
namespace {

constexpr size_t kMaxNameLength = 128;

bool IsLeadChar(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }
bool IsBodyChar(char c) { return IsLeadChar(c) || c == '.' || c == '_' || c == '-'; }

absl::Status ValidateName(std::string_view kind, std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength && IsLeadChar(name.front());
  for (size_t i = 1; ok && i < name.size(); ++i) ok = IsBodyChar(name[i]);
  if (ok) return absl::OkStatus();
  std::string shown(name.substr(0, 64));
  if (name.size() > 64) shown += "...";
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid ", std::string(kind), " name '", shown,
      "': names must match [a-z0-9][a-z0-9._-]{0,127} (lowercase letters, digits, '.', '_', "
      "'-'; start with a letter or digit; at most 128 characters)"));
}

}  // namespace

absl::Status ValidateModelName(std::string_view name) { return ValidateName("model", name); }

absl::Status ValidateAliasName(std::string_view name) {
  auto status = ValidateName("alias", name);
  if (!status.ok()) return status;
  bool all_digits = true;
  for (char c : name) all_digits = all_digits && absl::ascii_isdigit(c);
  if (all_digits) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid alias name '", std::string(name), "': an alias may not be a number"));
  }
  return absl::OkStatus();
}

}  // namespace aiaas
