#include "training/data/gzip_inflate.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/data/gzip_test_util.h"

namespace aiaas::training {
namespace {

using ::testing::HasSubstr;

TEST(GzipInflateTest, RoundTrip) {
  const std::string text = "hello, gzip\n";
  absl::StatusOr<std::string> out = InflateGzip(GzipCompress(text), 1 << 20);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, text);
}

TEST(GzipInflateTest, ConcatenatedMembers) {
  absl::StatusOr<std::string> out = InflateGzip(GzipCompress("a,b\n") + GzipCompress("1,2\n"), 100);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "a,b\n1,2\n");
}

TEST(GzipInflateTest, ExactlyAtTheLimitIsAcceptedOneOverIsNot) {
  const std::string text(1000, 'x');
  const std::string gz = GzipCompress(text);
  EXPECT_TRUE(InflateGzip(gz, 1000).ok());
  EXPECT_THAT(InflateGzip(gz, 999).status().message(), HasSubstr("more than the limit of 999"));
}

TEST(GzipInflateTest, LargeOutputGrowsPastTheFirstChunk) {
  const std::string gz = GzipCompressZeros(size_t{3} << 20);
  absl::StatusOr<std::string> out = InflateGzip(gz, size_t{3} << 20);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), size_t{3} << 20);
}

TEST(GzipInflateTest, CorruptTruncatedAndTrailingDataAreRefused) {
  std::string gz = GzipCompress("some text that compresses");
  EXPECT_FALSE(InflateGzip(gz.substr(0, gz.size() - 1), 1000).ok());
  EXPECT_FALSE(InflateGzip(gz.substr(0, 3), 1000).ok());
  EXPECT_THAT(InflateGzip(gz + "junk", 1000).status().message(), HasSubstr("after the gzip"));
  gz[12] = static_cast<char>(gz[12] ^ 0xff);
  EXPECT_FALSE(InflateGzip(gz, 1000).ok());
  EXPECT_FALSE(InflateGzip("plain", 1000).ok());
  EXPECT_FALSE(LooksLikeGzip("plain"));
}

}  // namespace
}  // namespace aiaas::training
