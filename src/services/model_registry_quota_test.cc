// ModelRegistry with Quotas: pushes and model creation beyond a tenant's
// quotas are refused and leave nothing behind (no row, no blob), also when
// many pushes race for the last allowed model.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/model_registry.h"
#include "services/quotas.h"
#include "services/registry_test_env.h"

namespace aiaas::services {
namespace {

using ::testing::HasSubstr;

class ModelRegistryQuotaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    QuotaOptions options;
    options.max_models = 2;
    options.max_stored_bytes = 100;
    ASSERT_TRUE(env_.Open(std::make_unique<AcceptingRuntime>(), options).ok());
    metadata_ = env_.metadata.get();
    ASSERT_TRUE(metadata_->CreateTenant("acme").ok());
    registry_ = env_.registry.get();
  }

  absl::StatusOr<storage::VersionRecord> Push(const std::string& model, const std::string& bytes,
                                              const std::string& tenant = "acme") {
    return env_.Push(tenant, model, bytes, "fake");
  }

  size_t BlobCount() { return env_.BlobCount(); }

  RegistryTestEnv env_;
  storage::SqliteMetadataStore* metadata_ = nullptr;
  ModelRegistry* registry_ = nullptr;
};

TEST_F(ModelRegistryQuotaTest, PushBeyondStoredBytesLeavesNoRowAndNoBlob) {
  ASSERT_TRUE(Push("m", std::string(60, 'a')).ok());
  auto refused = Push("m", std::string(41, 'b'));
  EXPECT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();
  EXPECT_EQ(refused.status().message(),
            "tenant 'acme' quota max_stored_bytes exceeded: 60 used + 41 new > 100");
  EXPECT_EQ(registry_->ListVersions("acme", "m")->size(), 1u);
  EXPECT_EQ(BlobCount(), 1u);
  // A refused push that would have created a model leaves no model either.
  EXPECT_TRUE(absl::IsPermissionDenied(Push("n", std::string(41, 'c')).status()));
  EXPECT_TRUE(absl::IsNotFound(registry_->GetModel("acme", "n").status()));
  EXPECT_EQ(BlobCount(), 1u);
  // Up to the limit is fine.
  EXPECT_TRUE(Push("m", std::string(40, 'd')).ok());
}

TEST_F(ModelRegistryQuotaTest, RefusedPushOfSharedBytesKeepsTheBlob) {
  ASSERT_TRUE(Push("m", std::string(60, 'a')).ok());
  // The same bytes again would count twice: 120 > 100. The blob stays for version 1.
  EXPECT_TRUE(absl::IsPermissionDenied(Push("m", std::string(60, 'a')).status()));
  EXPECT_EQ(BlobCount(), 1u);
  EXPECT_TRUE(registry_->VerifyArtifact(*registry_->GetVersion("acme", "m", "1")).ok());
}

TEST_F(ModelRegistryQuotaTest, CreateModelBeyondMaxModels) {
  ASSERT_TRUE(registry_->CreateModel("acme", "a", "", {}).ok());
  ASSERT_TRUE(Push("b", "x").ok());
  auto refused = registry_->CreateModel("acme", "c", "", {});
  EXPECT_TRUE(absl::IsPermissionDenied(refused.status()));
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("quota max_models exceeded"));
  EXPECT_TRUE(absl::IsPermissionDenied(Push("c", "x").status()));
  // Pushing to an existing model is still fine; deleting frees a slot.
  EXPECT_TRUE(Push("a", "y").ok());
  ASSERT_TRUE(registry_->DeleteModel("acme", "b").ok());
  EXPECT_TRUE(Push("c", "x").ok());
}

TEST_F(ModelRegistryQuotaTest, CheckPushQuotaBeforeStreaming) {
  ASSERT_TRUE(Push("a", std::string(90, 'a')).ok());
  auto budget = registry_->CheckPushQuota("acme", "a", 10);
  ASSERT_TRUE(budget.ok()) << budget.status();
  EXPECT_TRUE(budget->Check(10).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(budget->Check(11)));
  EXPECT_TRUE(absl::IsPermissionDenied(registry_->CheckPushQuota("acme", "a", 11).status()));
  ASSERT_TRUE(Push("b", "b").ok());
  EXPECT_TRUE(registry_->CheckPushQuota("acme", "b", 0).ok());
  auto new_model = registry_->CheckPushQuota("acme", "c", 0);
  EXPECT_THAT(std::string(new_model.status().message()), HasSubstr("max_models"));
  EXPECT_TRUE(absl::IsInvalidArgument(registry_->CheckPushQuota("acme", "Bad Name", 0).status()));
}

TEST_F(ModelRegistryQuotaTest, WithoutQuotasNothingIsLimited) {
  ModelRegistry unlimited(metadata_, env_.artifacts.get(), &env_.runtimes);
  auto budget = unlimited.CheckPushQuota("acme", "z", int64_t{1} << 50);
  ASSERT_TRUE(budget.ok());
  EXPECT_TRUE(budget->Check(int64_t{1} << 50).ok());
  for (const char* name : {"a", "b", "c"}) {
    EXPECT_TRUE(unlimited.CreateModel("acme", name, "", {}).ok());
  }
}

TEST_F(ModelRegistryQuotaTest, RacingPushesGetExactlyTheLastAllowedModels) {
  ASSERT_TRUE(Push("first", "1").ok());  // one of two models taken
  constexpr int kThreads = 10;
  std::atomic<int> succeeded{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &succeeded, &refused] {
      auto pushed = Push("m" + std::to_string(t), "bytes " + std::to_string(t));
      if (pushed.ok()) ++succeeded;
      if (absl::IsPermissionDenied(pushed.status())) ++refused;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), 1);
  EXPECT_EQ(refused.load(), kThreads - 1);
  EXPECT_EQ(metadata_->GetQuotaUsage("acme")->models, 2);
  EXPECT_EQ(BlobCount(), 2u);  // refused pushes removed their blobs
}

}  // namespace
}  // namespace aiaas::services
