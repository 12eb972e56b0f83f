#include "cli/expires_in.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace aiaas::cli {
namespace {

constexpr int64_t kMaxSeconds = int64_t{100} * 365 * 24 * 3600;

int64_t SecondsPerUnit(char unit) {
  switch (unit) {
    case 's':
      return 1;
    case 'm':
      return 60;
    case 'h':
      return 3600;
    case 'd':
      return int64_t{24} * 3600;
    default:
      return 0;
  }
}

}  // namespace

absl::StatusOr<int64_t> ParseExpiresIn(absl::string_view text) {
  auto invalid = [text](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--expires-in '", text, "' ", why,
                     "; write a whole number and a unit: 3600s, 90m, 12h or 30d"));
  };
  if (text.size() < 2) return invalid("is not a lifetime");
  const int64_t unit = SecondsPerUnit(text.back());
  if (unit == 0) return invalid("has no unit");
  const absl::string_view digits = text.substr(0, text.size() - 1);
  int64_t count = 0;
  for (char c : digits) {
    if (!absl::ascii_isdigit(c)) return invalid("is not a lifetime");
  }
  if (!absl::SimpleAtoi(digits, &count)) return invalid("is too long");
  if (count <= 0) return invalid("must be longer than 0");
  if (count > kMaxSeconds / unit) return invalid("is longer than 100 years");
  return count * unit;
}

}  // namespace aiaas::cli
