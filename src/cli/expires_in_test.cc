#include "cli/expires_in.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::HasSubstr;

TEST(ParseExpiresInTest, NumberAndUnit) {
  EXPECT_EQ(ParseExpiresIn("3600s").value(), 3600);
  EXPECT_EQ(ParseExpiresIn("90m").value(), 5400);
  EXPECT_EQ(ParseExpiresIn("12h").value(), 43200);
  EXPECT_EQ(ParseExpiresIn("30d").value(), 2592000);
  EXPECT_EQ(ParseExpiresIn("1s").value(), 1);
  EXPECT_EQ(ParseExpiresIn("36500d").value(), int64_t{36500} * 86400);
}

TEST(ParseExpiresInTest, RejectsEverythingElse) {
  for (const char* text : {"", "s", "30", "30x", "30D", "-5d", "+5d", "0s", "0d", "1.5h", " 1h",
                           "1h ", "1d2h", "36501d", "99999999999999999999s"}) {
    absl::StatusOr<int64_t> seconds = ParseExpiresIn(text);
    EXPECT_EQ(seconds.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(seconds.status().message()), HasSubstr("3600s, 90m, 12h or 30d"))
        << text;
  }
  EXPECT_THAT(std::string(ParseExpiresIn("30").status().message()),
              HasSubstr("--expires-in '30' has no unit"));
}

}  // namespace
}  // namespace aiaas::cli
