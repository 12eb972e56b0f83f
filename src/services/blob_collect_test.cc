#include "services/blob_collect.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "services/registry_test_env.h"

namespace aiaas::services {
namespace {

class BlobSweepTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.Open(std::make_unique<AcceptingRuntime>("any")).ok()); }

  // A blob committed with no row, as a crash before the row leaves it.
  std::string Orphan(const std::string& bytes) {
    auto writer = env_.artifacts->NewWriter(1 << 20);
    EXPECT_TRUE(writer.ok());
    EXPECT_TRUE((*writer)->Append(bytes).ok());
    auto info = (*writer)->Commit();
    EXPECT_TRUE(info.ok());
    return info.ok() ? info->digest : "";
  }

  RegistryTestEnv env_;
};

TEST_F(BlobSweepTest, RemovesOldUnreferencedBlobsOnly) {
  auto version = env_.Push("default", "m", "model bytes", "any");
  ASSERT_TRUE(version.ok()) << version.status();
  const std::string orphan = Orphan("left by a crash");
  ASSERT_EQ(env_.BlobCount(), 2u);

  // Written just now: younger than the cutoff, kept.
  auto young =
      SweepUnreferencedBlobs(*env_.metadata, *env_.artifacts, absl::Now() - absl::Minutes(10));
  ASSERT_TRUE(young.ok()) << young.status();
  EXPECT_EQ(young->removed, 0);
  EXPECT_EQ(env_.BlobCount(), 2u);

  auto swept =
      SweepUnreferencedBlobs(*env_.metadata, *env_.artifacts, absl::Now() + absl::Minutes(1));
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(swept->removed, 1);
  EXPECT_EQ(swept->removed_bytes, 15);
  EXPECT_EQ(env_.BlobCount(), 1u);
  EXPECT_TRUE(absl::IsNotFound(env_.artifacts->Verify(orphan)));
  EXPECT_TRUE(env_.artifacts->Verify(version->digest).ok());
}

TEST_F(BlobSweepTest, ABlobStillHeldByItsWriterIsKept) {
  auto writer = env_.artifacts->NewWriter(1 << 20);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("committing right now").ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  auto swept =
      SweepUnreferencedBlobs(*env_.metadata, *env_.artifacts, absl::Now() + absl::Minutes(1));
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(swept->removed, 0);
  EXPECT_EQ(env_.BlobCount(), 1u);
}

}  // namespace
}  // namespace aiaas::services
