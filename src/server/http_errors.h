#ifndef AIAAS_SERVER_HTTP_ERRORS_H_
#define AIAAS_SERVER_HTTP_ERRORS_H_

#include <string_view>

#include "absl/status/status.h"
#include "server/http_types.h"

namespace aiaas::server {

// The one place that maps status codes to HTTP statuses for the REST APIs:
// InvalidArgument 400, Unauthenticated 401, PermissionDenied 403, NotFound 404,
// AlreadyExists/FailedPrecondition/Aborted 409, ResourceExhausted 413 (a limit
// on the request's size), Unavailable 503, DeadlineExceeded 504,
// Unimplemented 501, Cancelled 499 (client went away), everything else 500.
// A status carrying an explicit HTTP status (see WithHttpStatus) uses that instead.
int HttpStatusFor(const absl::Status& status);

// Attaches an explicit HTTP status to `status`, for the few HTTP statuses no
// status code expresses (415 Unsupported Media Type).
absl::Status WithHttpStatus(absl::Status status, int http_status);

// `{"error": "<message>"}` with `status`.
HttpResponse ErrorResponse(int status, std::string_view message);

// `{"error": "<status message>"}` with HttpStatusFor(status); a 503 carries
// `Retry-After: 1`.
HttpResponse ErrorResponse(const absl::Status& status);

// Escapes `text` as a JSON string literal, quotes included.
std::string JsonString(std::string_view text);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_HTTP_ERRORS_H_
