#ifndef AIAAS_CLI_URL_H_
#define AIAAS_CLI_URL_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aiaas::cli {

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~),
// so the result is safe as one path segment or one query value. The whole-dot segments
// "." and ".." are encoded as "%2E" too: a user-typed name must never walk up the path.
std::string PercentEncode(absl::string_view text);

// Joins segments into an absolute path, encoding each one:
// UrlPath({"api", "v1", "models", "a b"}) == "/api/v1/models/a%20b".
std::string UrlPath(const std::vector<absl::string_view>& segments);

// Appends "?k=v&k2=v2" with encoded values to `path`; pairs with an empty value are skipped.
std::string WithQuery(std::string path,
                      const std::vector<std::pair<absl::string_view, absl::string_view>>& query);

// Accepts "http://host:port[/prefix]", "https://..." or a bare "host:port" (taken as http)
// and returns it without trailing slashes. InvalidArgument for another scheme, a missing
// host, whitespace, or a query/fragment part.
[[nodiscard]] absl::StatusOr<std::string> NormalizeServerUrl(absl::string_view url);

// `base_url` (as returned by NormalizeServerUrl) followed by `path` (starting with '/').
std::string JoinUrl(absl::string_view base_url, absl::string_view path);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_URL_H_
