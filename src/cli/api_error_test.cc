#include "cli/api_error.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

TEST(ErrorMessageFromBodyTest, UsesTheServersErrorField) {
  EXPECT_EQ(ErrorMessageFromBody(404, R"({"error": "model 'x' not found"})"),
            "model 'x' not found");
  EXPECT_EQ(ErrorMessageFromBody(400, "{\"error\":\"bad \\\"input\\\"\",\"other\":1}\n"),
            "bad \"input\"");
}

TEST(ErrorMessageFromBodyTest, FallsBackToTheStatusCode) {
  EXPECT_EQ(ErrorMessageFromBody(500, ""), "server answered HTTP 500");
  EXPECT_EQ(ErrorMessageFromBody(500, R"({"message": "x"})"), "server answered HTTP 500");
  EXPECT_EQ(ErrorMessageFromBody(500, R"({"error": 42})"), "server answered HTTP 500");
  EXPECT_EQ(ErrorMessageFromBody(502, "<html>Bad Gateway</html>\n<body>...</body>"),
            "server answered HTTP 502: <html>Bad Gateway</html>");
  EXPECT_EQ(ErrorMessageFromBody(503, "  upstream down  "),
            "server answered HTTP 503: upstream down");
  EXPECT_EQ(ErrorMessageFromBody(418, std::string(300, 'x')),
            "server answered HTTP 418: " + std::string(200, 'x') + "...");
  EXPECT_EQ(ErrorMessageFromBody(301, ""),
            "server answered HTTP 301 (a redirect; redirects are not followed, check --server)");
}

TEST(StatusFromResponseTest, MapsHttpCodes) {
  EXPECT_TRUE(StatusFromResponse({200, "", ""}).ok());
  EXPECT_TRUE(StatusFromResponse({204, "", ""}).ok());
  const std::string body = R"({"error": "nope"})";
  EXPECT_EQ(StatusFromResponse({400, body, ""}), absl::InvalidArgumentError("nope"));
  EXPECT_EQ(StatusFromResponse({404, body, ""}), absl::NotFoundError("nope"));
  EXPECT_EQ(StatusFromResponse({409, body, ""}), absl::AlreadyExistsError("nope"));
  EXPECT_EQ(StatusFromResponse({503, body, ""}), absl::UnavailableError("nope"));
  EXPECT_EQ(StatusFromResponse({500, body, ""}), absl::InternalError("nope"));
}

TEST(StatusFromResponseTest, UnauthorizedSaysHowToAuthenticate) {
  const absl::Status expected = absl::UnauthenticatedError(
      "not authenticated (401): invalid or missing API key. Set AIAAS_API_KEY or run "
      "'aiaas login'.");
  EXPECT_EQ(StatusFromResponse({401, R"({"error": "invalid or missing API key"})", ""}), expected);
  // A trailing period in the server's message is not doubled.
  EXPECT_EQ(StatusFromResponse({401, R"({"error": "invalid or missing API key."})", ""}), expected);
  EXPECT_EQ(StatusFromResponse({401, "", ""}).message(),
            "not authenticated (401): server answered HTTP 401. Set AIAAS_API_KEY or run "
            "'aiaas login'.");
}

TEST(DecodeJsonResponseTest, BodyOrError) {
  EXPECT_EQ(DecodeJsonResponse(HttpResponse{200, R"({"a": 1})", ""}).value(),
            nlohmann::json({{"a", 1}}));
  EXPECT_TRUE(DecodeJsonResponse(HttpResponse{204, "", ""}).value().is_null());
  EXPECT_EQ(DecodeJsonResponse(HttpResponse{404, R"({"error": "gone"})", ""}).status(),
            absl::NotFoundError("gone"));
  EXPECT_EQ(DecodeJsonResponse(absl::UnavailableError("down")).status(),
            absl::UnavailableError("down"));
  EXPECT_EQ(DecodeJsonResponse(HttpResponse{200, "not json", ""}).status().code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace aiaas::cli
