#include "cli/url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace aiaas::cli {
namespace {

bool IsUnreserved(char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const bool dots_only = (text == "." || text == "..");
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (IsUnreserved(c) && !dots_only) {
      out.push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xF]);
  }
  return out;
}

std::string UrlPath(const std::vector<absl::string_view>& segments) {
  std::string path;
  for (absl::string_view segment : segments) absl::StrAppend(&path, "/", PercentEncode(segment));
  return path.empty() ? "/" : path;
}

std::string WithQuery(std::string path,
                      const std::vector<std::pair<absl::string_view, absl::string_view>>& query) {
  char separator = '?';
  for (const auto& [key, value] : query) {
    if (value.empty()) continue;
    absl::StrAppend(&path, absl::string_view(&separator, 1), PercentEncode(key), "=",
                    PercentEncode(value));
    separator = '&';
  }
  return path;
}

absl::StatusOr<std::string> NormalizeServerUrl(absl::string_view url) {
  auto invalid = [url](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("invalid server URL '", url, "': ", why));
  };
  for (char c : url) {
    if (absl::ascii_isspace(c) || absl::ascii_iscntrl(c)) return invalid("contains whitespace");
  }
  std::string normalized(url);
  size_t scheme_end = normalized.find("://");
  if (scheme_end == std::string::npos) {
    normalized = absl::StrCat("http://", normalized);
    scheme_end = 4;
  }
  std::string scheme = absl::AsciiStrToLower(normalized.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return invalid("only http:// and https:// are used");
  normalized.replace(0, scheme_end, scheme);
  absl::string_view rest = absl::string_view(normalized).substr(scheme_end + 3);
  if (rest.empty() || rest[0] == '/' || rest[0] == ':') return invalid("no host");
  if (absl::StrContains(rest, '?') || absl::StrContains(rest, '#')) {
    return invalid("no query or fragment allowed");
  }
  while (absl::EndsWith(normalized, "/")) normalized.pop_back();
  return normalized;
}

std::string JoinUrl(absl::string_view base_url, absl::string_view path) {
  while (absl::ConsumeSuffix(&base_url, "/")) {
  }
  if (!absl::StartsWith(path, "/")) return absl::StrCat(base_url, "/", path);
  return absl::StrCat(base_url, path);
}

}  // namespace aiaas::cli
