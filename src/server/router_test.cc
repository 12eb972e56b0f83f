#include "server/router.h"

#include "gtest/gtest.h"
#include "server/http_errors.h"

namespace aiaas::server {
namespace {

HttpResponse Named(const char* name) {
  HttpResponse response;
  response.body = name;
  return response;
}

Router MakeRouter() {
  Router router;
  router.Handle("GET", "/v2/models/{model}", [](const HttpRequest&) { return Named("meta"); });
  router.Handle("POST", "/v2/models/{model}/infer", [](const HttpRequest&) { return Named("infer"); });
  router.Handle("POST", "/v2/models/{model}/versions/{version}/infer",
                [](const HttpRequest&) { return Named("infer-v"); });
  router.Handle("POST", "/v1/models/{model}:predict",
                [](const HttpRequest&) { return Named("predict"); });
  router.HandleStream("POST", "/api/v1/models/{name}/versions",
                      [](const HttpRequest&) -> absl::StatusOr<std::unique_ptr<BodyConsumer>> {
                        return absl::UnimplementedError("test");
                      });
  return router;
}

TEST(RouterTest, MatchesParamsAndMethods) {
  Router router = MakeRouter();
  auto match = router.Find("POST", "/v2/models/mlp/versions/3/infer");
  ASSERT_EQ(match.status, 200);
  ASSERT_NE(match.handler, nullptr);
  HttpResponse response;
  (*match.handler)(HttpRequest{}, [&](HttpResponse r) { response = std::move(r); });
  EXPECT_EQ(response.body, "infer-v");
  EXPECT_EQ(*match.pattern, "/v2/models/{model}/versions/{version}/infer");
  EXPECT_EQ(match.params.at("model"), "mlp");
  EXPECT_EQ(match.params.at("version"), "3");
}

TEST(RouterTest, SuffixSegment) {
  Router router = MakeRouter();
  auto match = router.Find("POST", "/v1/models/my-model:predict");
  ASSERT_EQ(match.status, 200);
  EXPECT_EQ(match.params.at("model"), "my-model");
  EXPECT_EQ(router.Find("POST", "/v1/models/:predict").status, 404);
  EXPECT_EQ(router.Find("POST", "/v1/models/x:explain").status, 404);
}

TEST(RouterTest, WrongMethodIs405WithAllow) {
  Router router = MakeRouter();
  auto match = router.Find("DELETE", "/v2/models/mlp");
  EXPECT_EQ(match.status, 405);
  EXPECT_EQ(match.allow, "GET");
}

TEST(RouterTest, UnknownPathIs404) {
  Router router = MakeRouter();
  EXPECT_EQ(router.Find("GET", "/nope").status, 404);
  EXPECT_EQ(router.Find("GET", "/v2/models").status, 404);
  EXPECT_EQ(router.Find("GET", "/v2/models/a/b/c/d/e").status, 404);
}

TEST(RouterTest, StreamRoute) {
  Router router = MakeRouter();
  auto match = router.Find("POST", "/api/v1/models/m/versions");
  ASSERT_EQ(match.status, 200);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_NE(match.stream_handler, nullptr);
}

TEST(RouterTest, PercentDecodesSegmentsAndTrailingSlash) {
  Router router = MakeRouter();
  auto match = router.Find("GET", "/v2/models/a%20b/");
  ASSERT_EQ(match.status, 200);
  EXPECT_EQ(match.params.at("model"), "a b");
  // A decoded slash stays inside its segment: it can never become a path.
  match = router.Find("GET", "/v2/models/..%2F..%2Fetc");
  ASSERT_EQ(match.status, 200);
  EXPECT_EQ(match.params.at("model"), "../../etc");
}

TEST(RouterTest, ParseQuery) {
  auto query = ParseQuery("page_size=10&page_token=a%2Bb&flag&x=1+2");
  EXPECT_EQ(query.at("page_size"), "10");
  EXPECT_EQ(query.at("page_token"), "a+b");
  EXPECT_EQ(query.at("flag"), "");
  EXPECT_EQ(query.at("x"), "1 2");
  EXPECT_EQ(PercentDecode("%zz%4", false), "%zz%4");
}

TEST(HttpErrorsTest, StatusMapping) {
  EXPECT_EQ(HttpStatusFor(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusFor(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusFor(absl::AlreadyExistsError("x")), 409);
  EXPECT_EQ(HttpStatusFor(absl::ResourceExhaustedError("x")), 413);
  EXPECT_EQ(HttpStatusFor(absl::UnavailableError("x")), 503);
  EXPECT_EQ(HttpStatusFor(absl::InternalError("x")), 500);
  EXPECT_EQ(HttpStatusFor(WithHttpStatus(absl::InvalidArgumentError("x"), 415)), 415);
}

TEST(HttpErrorsTest, ErrorBodyIsValidJsonForAnyBytes) {
  HttpResponse response = ErrorResponse(400, std::string("bad \"name\"\n\xff\x01", 13));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.body, "{\"error\":\"bad \\\"name\\\"\\n\\u00ff\\u0001\"}");
}

}  // namespace
}  // namespace aiaas::server
