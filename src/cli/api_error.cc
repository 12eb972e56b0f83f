#include "cli/api_error.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/json_util.h"

namespace aiaas::cli {
namespace {

constexpr size_t kMaxShownBodyChars = 200;

absl::StatusCode CodeForHttpStatus(int64_t status_code) {
  switch (status_code) {
    case 400:
    case 413:
    case 415:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
    case 405:
      return absl::StatusCode::kNotFound;
    case 409:
      return absl::StatusCode::kAlreadyExists;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 503:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

std::string ErrorMessageFromBody(int64_t status_code, absl::string_view body) {
  absl::StatusOr<nlohmann::json> parsed = ParseJson(body, "error body");
  if (parsed.ok()) {
    std::string message = StringField(*parsed, "error");
    if (!message.empty()) return message;
  }
  std::string message = absl::StrCat("server answered HTTP ", status_code);
  if (status_code >= 300 && status_code < 400) {
    absl::StrAppend(&message, " (a redirect; redirects are not followed, check --server)");
  }
  absl::string_view first_line = absl::StripAsciiWhitespace(body);
  first_line = first_line.substr(0, first_line.find('\n'));
  if (!first_line.empty() && (!parsed.ok() || !parsed->is_object())) {
    absl::StrAppend(&message, ": ", first_line.substr(0, kMaxShownBodyChars),
                    first_line.size() > kMaxShownBodyChars ? "..." : "");
  }
  return message;
}

absl::Status StatusFromResponse(const HttpResponse& response) {
  if (response.ok()) return absl::OkStatus();
  if (response.status_code == 401) {
    const std::string message = ErrorMessageFromBody(response.status_code, response.body);
    const absl::string_view text =
        absl::StripSuffix(absl::StripTrailingAsciiWhitespace(message), ".");
    return absl::UnauthenticatedError(absl::StrCat("not authenticated (401): ", text,
                                                   ". Set AIAAS_API_KEY or run 'aiaas login'."));
  }
  return absl::Status(CodeForHttpStatus(response.status_code),
                      ErrorMessageFromBody(response.status_code, response.body));
}

absl::StatusOr<nlohmann::json> DecodeJsonResponse(const absl::StatusOr<HttpResponse>& response) {
  if (!response.ok()) return response.status();
  if (absl::Status status = StatusFromResponse(*response); !status.ok()) return status;
  if (absl::StripAsciiWhitespace(response->body).empty()) return nlohmann::json(nullptr);
  absl::StatusOr<nlohmann::json> body = ParseJson(response->body, "the server's answer");
  if (!body.ok()) return absl::InternalError(body.status().message());
  return body;
}

}  // namespace aiaas::cli
