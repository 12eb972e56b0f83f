#include "cli/url.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::HasSubstr;

TEST(PercentEncodeTest, KeepsUnreservedEncodesTheRest) {
  EXPECT_EQ(PercentEncode("mnist-mlp_v1.2~x"), "mnist-mlp_v1.2~x");
  EXPECT_EQ(PercentEncode("a b/c?d#e%f&g=h"), "a%20b%2Fc%3Fd%23e%25f%26g%3Dh");
  EXPECT_EQ(PercentEncode("\xC3\xA9"), "%C3%A9");
  EXPECT_EQ(PercentEncode(""), "");
}

TEST(PercentEncodeTest, DotSegmentsCannotWalkThePath) {
  EXPECT_EQ(PercentEncode("."), "%2E");
  EXPECT_EQ(PercentEncode(".."), "%2E%2E");
  EXPECT_EQ(PercentEncode("..."), "...");
}

TEST(UrlPathTest, EncodesEachSegment) {
  EXPECT_EQ(UrlPath({"api", "v1", "models", "a/b", "versions", "1"}),
            "/api/v1/models/a%2Fb/versions/1");
  EXPECT_EQ(UrlPath({"v2", "models", "..", "infer"}), "/v2/models/%2E%2E/infer");
  EXPECT_EQ(UrlPath({}), "/");
}

TEST(WithQueryTest, EncodesValuesAndSkipsEmptyOnes) {
  EXPECT_EQ(WithQuery("/m", {{"page_size", "100"}, {"page_token", ""}}), "/m?page_size=100");
  EXPECT_EQ(WithQuery("/m", {{"a", "x y"}, {"b", "1&2"}}), "/m?a=x%20y&b=1%262");
  EXPECT_EQ(WithQuery("/m", {}), "/m");
}

TEST(NormalizeServerUrlTest, AcceptedSpellings) {
  EXPECT_EQ(NormalizeServerUrl("http://127.0.0.1:8080").value(), "http://127.0.0.1:8080");
  EXPECT_EQ(NormalizeServerUrl("HTTPS://host//").value(), "https://host");
  EXPECT_EQ(NormalizeServerUrl("localhost:8080").value(), "http://localhost:8080");
  EXPECT_EQ(NormalizeServerUrl("http://host/prefix/").value(), "http://host/prefix");
  EXPECT_EQ(NormalizeServerUrl("http://[::1]:8080").value(), "http://[::1]:8080");
}

TEST(NormalizeServerUrlTest, Rejections) {
  EXPECT_THAT(std::string(NormalizeServerUrl("file:///etc/passwd").status().message()),
              HasSubstr("only http:// and https://"));
  EXPECT_THAT(std::string(NormalizeServerUrl("http://").status().message()), HasSubstr("no host"));
  EXPECT_THAT(std::string(NormalizeServerUrl("").status().message()), HasSubstr("no host"));
  EXPECT_THAT(std::string(NormalizeServerUrl("http://h/?x=1").status().message()),
              HasSubstr("query"));
  EXPECT_THAT(std::string(NormalizeServerUrl("http://h :1").status().message()),
              HasSubstr("whitespace"));
}

TEST(JoinUrlTest, OneSlashBetween) {
  EXPECT_EQ(JoinUrl("http://h:1", "/v2"), "http://h:1/v2");
  EXPECT_EQ(JoinUrl("http://h:1/", "/v2"), "http://h:1/v2");
  EXPECT_EQ(JoinUrl("http://h:1/p", "v2"), "http://h:1/p/v2");
}

}  // namespace
}  // namespace aiaas::cli
