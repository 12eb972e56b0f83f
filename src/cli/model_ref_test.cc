#include "cli/model_ref.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

TEST(ModelRefTest, OwnAndSharedModels) {
  EXPECT_TRUE(ValidateModelRef("classifier").ok());
  EXPECT_TRUE(ValidateModelRef("team-a/classifier").ok());
  EXPECT_THAT(ModelRefSegments("classifier"), ElementsAre("classifier"));
  EXPECT_THAT(ModelRefSegments("team-a/classifier"), ElementsAre("team-a", "classifier"));
  EXPECT_FALSE(IsSharedModelRef("classifier"));
  EXPECT_TRUE(IsSharedModelRef("team-a/classifier"));
}

TEST(ModelRefTest, RejectsBadReferences) {
  for (const char* ref :
       {"Bad/Name", "a/b/c", "/m", "m/", "versions/m", "../m", "a/..", "", "a//b"}) {
    const absl::Status status = ValidateModelRef(ref);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << ref;
    EXPECT_THAT(std::string(status.message()), StartsWith("invalid model name '")) << ref;
  }
}

TEST(ModelRefTest, TenantNames) {
  EXPECT_TRUE(ValidateTenantName("team-a").ok());
  EXPECT_TRUE(ValidateTenantName("default").ok());
  EXPECT_THAT(std::string(ValidateTenantName("versions").message()),
              StartsWith("invalid tenant name 'versions'"));
  EXPECT_THAT(std::string(ValidateTenantName("Team A").message()),
              StartsWith("invalid tenant name 'Team A'"));
  EXPECT_FALSE(ValidateTenantName("").ok());
  EXPECT_FALSE(ValidateTenantName("a/b").ok());
}

}  // namespace
}  // namespace aiaas::cli
