#ifndef AIAAS_CLI_API_ERROR_H_
#define AIAAS_CLI_API_ERROR_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cli/http_client.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {

// The message to show for a failed response: the server's `{"error": "..."}` text when the
// body has one; else "server answered HTTP <code>" plus the first line of a short non-JSON
// body (a proxy's HTML page, say).
std::string ErrorMessageFromBody(int64_t status_code, absl::string_view body);

// OK for 2xx. Otherwise a status whose code follows the HTTP status (400 InvalidArgument,
// 404 NotFound, 409 AlreadyExists, 503 Unavailable, ...) and whose message is
// ErrorMessageFromBody, except for 401: Unauthenticated "not authenticated (401): <server
// message>. Set AIAAS_API_KEY or run 'aiaas login'.". This is the CLI's one HTTP-to-status
// mapping.
absl::Status StatusFromResponse(const HttpResponse& response);

// The JSON body of a successful call: transport errors pass through, a non-2xx answer is
// StatusFromResponse, an empty body (204) is JSON null, and a body that is not JSON is
// Internal (the server broke the API contract).
[[nodiscard]] absl::StatusOr<nlohmann::json> DecodeJsonResponse(
    const absl::StatusOr<HttpResponse>& response);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_API_ERROR_H_
