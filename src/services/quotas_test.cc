#include "services/quotas.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/test_temp_dir.h"

namespace aiaas::services {
namespace {

using ::testing::HasSubstr;

Caller Admin(const std::string& tenant) {
  Caller caller;
  caller.tenant = tenant;
  caller.role = Role::kAdmin;
  return caller;
}

Caller ServerAdmin() {
  Caller caller = Admin("default");
  caller.server_admin = true;
  return caller;
}

Caller WithRole(const std::string& tenant, Role role) {
  Caller caller = Admin(tenant);
  caller.role = role;
  return caller;
}

class QuotasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::SqliteMetadataStore::Open(dir_.path() + "/metadata.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->CreateTenant("acme").ok());
    ASSERT_TRUE(store_->CreateTenant("other").ok());
    options_.max_models = 3;
    options_.max_stored_bytes = 1000;
    options_.max_concurrent_jobs = 2;
    quotas_ = std::make_unique<Quotas>(store_.get(), options_);
  }

  static storage::VersionRecord Version(const std::string& tenant, const std::string& model,
                                        int64_t size_bytes) {
    storage::VersionRecord version;
    version.tenant = tenant;
    version.model = model;
    version.format = "torchscript";
    version.digest = "sha256:aa";
    version.size_bytes = size_bytes;
    return version;
  }

  storage::TestTempDir dir_;
  std::unique_ptr<storage::SqliteMetadataStore> store_;
  QuotaOptions options_;
  std::unique_ptr<Quotas> quotas_;
};

TEST(QuotaOptionsTest, DefaultsAreGenerous) {
  QuotaOptions options;
  EXPECT_EQ(options.max_models, 1000);
  EXPECT_EQ(options.max_stored_bytes, int64_t{100} * 1024 * 1024 * 1024);
  EXPECT_EQ(options.max_concurrent_jobs, 4);
}

TEST_F(QuotasTest, GetShowsDefaultsNoOverridesAndUsage) {
  ASSERT_TRUE(quotas_->CreateVersion(Version("acme", "m", 400)).ok());
  auto got = quotas_->Get(Admin("acme"), "acme");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->tenant, "acme");
  EXPECT_EQ(got->limits.max_models, 3);
  EXPECT_EQ(got->limits.max_stored_bytes, 1000);
  EXPECT_EQ(got->limits.max_concurrent_jobs, 2);
  EXPECT_FALSE(got->overrides.max_models.has_value());
  EXPECT_EQ(got->usage.models, 1);
  EXPECT_EQ(got->usage.stored_bytes, 400);
  EXPECT_EQ(got->usage.concurrent_jobs, 0);
}

TEST_F(QuotasTest, ConcurrentJobsCountsTheTenantsQueuedAndRunningJobs) {
  const storage::QuotaLimits limits = {10, 1000, 10};
  auto job = [](const std::string& id, const std::string& tenant) {
    storage::JobRecord record;
    record.id = id;
    record.tenant = tenant;
    record.type = "train";
    record.spec_json = "{}";
    return record;
  };
  for (const char* id : {"job-1", "job-2", "job-3"}) {
    ASSERT_TRUE(store_->CreateJob(job(id, "acme"), limits).ok());
  }
  ASSERT_TRUE(store_->CreateJob(job("job-9", "other"), limits).ok());
  ASSERT_TRUE(store_->ClaimNextJob().ok());  // job-1 runs
  EXPECT_EQ(quotas_->Get(Admin("acme"), "acme")->usage.concurrent_jobs, 3);

  ASSERT_TRUE(store_->ClaimNextJob().ok());  // job-2 runs, then ends
  storage::JobOutcome done;
  done.state = storage::kJobSucceeded;
  ASSERT_TRUE(store_->FinishJob("job-2", done).ok());
  ASSERT_TRUE(store_->RequestJobCancel("acme", "job-3").ok());  // queued: cancelled at once
  auto got = quotas_->Get(Admin("acme"), "acme");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->usage.concurrent_jobs, 1);  // job-1, running
  EXPECT_EQ(quotas_->Get(Admin("other"), "other")->usage.concurrent_jobs, 1);
}

TEST_F(QuotasTest, WhoMayRead) {
  // A tenant admin reads its own tenant only; other roles do not.
  EXPECT_TRUE(quotas_->Get(Admin("acme"), "acme").ok());
  EXPECT_TRUE(absl::IsPermissionDenied(quotas_->Get(Admin("acme"), "other").status()));
  // ... whether or not the other tenant exists (no existence oracle).
  EXPECT_TRUE(absl::IsPermissionDenied(quotas_->Get(Admin("acme"), "nope").status()));
  for (Role role : {Role::kEditor, Role::kViewer, Role::kInference}) {
    auto refused = quotas_->Get(WithRole("acme", role), "acme");
    EXPECT_TRUE(absl::IsPermissionDenied(refused.status())) << RoleName(role);
    EXPECT_THAT(std::string(refused.status().message()), HasSubstr("quotas:read"));
  }
  // An admin key narrowed to other actions cannot read them either.
  Caller narrowed = Admin("acme");
  narrowed.actions = ActionSet::Of({Action::kModelRead});
  EXPECT_TRUE(absl::IsPermissionDenied(quotas_->Get(narrowed, "acme").status()));
  // A server admin reads every tenant; an unknown one is NotFound; a bad name 400.
  EXPECT_TRUE(quotas_->Get(ServerAdmin(), "acme").ok());
  EXPECT_TRUE(absl::IsNotFound(quotas_->Get(ServerAdmin(), "nope").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(quotas_->Get(ServerAdmin(), "../x").status()));
}

TEST_F(QuotasTest, OnlyServerAdminsUpdate) {
  storage::QuotaOverridesUpdate update;
  update.max_models = 1;
  EXPECT_TRUE(absl::IsPermissionDenied(quotas_->Update(Admin("acme"), "acme", update).status()));
  auto updated = quotas_->Update(ServerAdmin(), "acme", update);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->overrides.max_models, 1);
  EXPECT_EQ(updated->limits.max_models, 1);
  EXPECT_EQ(updated->limits.max_stored_bytes, 1000);  // still the default

  storage::QuotaOverridesUpdate clear;
  clear.max_models = std::optional<int64_t>();
  updated = quotas_->Update(ServerAdmin(), "acme", clear);
  ASSERT_TRUE(updated.ok());
  EXPECT_FALSE(updated->overrides.max_models.has_value());
  EXPECT_EQ(updated->limits.max_models, 3);
  EXPECT_TRUE(absl::IsNotFound(quotas_->Update(ServerAdmin(), "nope", update).status()));
}

TEST_F(QuotasTest, CreateModelAndVersionEnforceTheLimits) {
  for (const char* name : {"a", "b", "c"}) {
    storage::ModelRecord model;
    model.tenant = "acme";
    model.name = name;
    ASSERT_TRUE(quotas_->CreateModel(model).ok()) << name;
  }
  storage::ModelRecord fourth;
  fourth.tenant = "acme";
  fourth.name = "d";
  auto refused = quotas_->CreateModel(fourth);
  EXPECT_TRUE(absl::IsPermissionDenied(refused.status()));
  EXPECT_EQ(refused.status().message(),
            "tenant 'acme' quota max_models exceeded: 3 used + 1 new > 3");
  // Versions of existing models count bytes only.
  ASSERT_TRUE(quotas_->CreateVersion(Version("acme", "a", 600)).ok());
  auto too_big = quotas_->CreateVersion(Version("acme", "b", 401));
  EXPECT_EQ(too_big.status().message(),
            "tenant 'acme' quota max_stored_bytes exceeded: 600 used + 401 new > 1000");
  EXPECT_TRUE(quotas_->CreateVersion(Version("acme", "b", 400)).ok());
  // The other tenant is unaffected.
  EXPECT_TRUE(quotas_->CreateVersion(Version("other", "a", 1000)).ok());
}

TEST_F(QuotasTest, CheckUploadRefusesEarly) {
  ASSERT_TRUE(quotas_->CreateVersion(Version("acme", "a", 900)).ok());
  auto budget = quotas_->CheckUpload("acme", UploadTarget::kExistingModel, 50);
  ASSERT_TRUE(budget.ok()) << budget.status();
  EXPECT_EQ(budget->used_bytes, 900);
  EXPECT_EQ(budget->max_stored_bytes, 1000);
  EXPECT_TRUE(budget->Check(100).ok());
  EXPECT_EQ(budget->Check(101).message(),
            "tenant 'acme' quota max_stored_bytes exceeded: 900 used + at least 101 new > 1000");

  auto over = quotas_->CheckUpload("acme", UploadTarget::kExistingModel, 101);
  EXPECT_TRUE(absl::IsPermissionDenied(over.status()));
  EXPECT_THAT(std::string(over.status().message()), HasSubstr("at least 101 new"));

  storage::QuotaOverridesUpdate one_model;
  one_model.max_models = 1;
  ASSERT_TRUE(quotas_->Update(ServerAdmin(), "acme", one_model).ok());
  EXPECT_TRUE(quotas_->CheckUpload("acme", UploadTarget::kExistingModel, 0).ok());
  auto new_model = quotas_->CheckUpload("acme", UploadTarget::kNewModel, 0);
  EXPECT_EQ(new_model.status().message(),
            "tenant 'acme' quota max_models exceeded: 1 used + 1 new > 1");
  EXPECT_TRUE(absl::IsNotFound(quotas_->CheckUpload("nope", UploadTarget::kNewModel, 0).status()));
}

TEST_F(QuotasTest, CheckCanStartJob) {
  EXPECT_TRUE(quotas_->CheckCanStartJob("acme", 0).ok());
  EXPECT_TRUE(quotas_->CheckCanStartJob("acme", 1).ok());
  absl::Status full = quotas_->CheckCanStartJob("acme", 2);
  EXPECT_TRUE(absl::IsPermissionDenied(full));
  EXPECT_EQ(full.message(), "tenant 'acme' quota max_concurrent_jobs exceeded: 2 used + 1 new > 2");
  storage::QuotaOverridesUpdate none;
  none.max_concurrent_jobs = 0;
  ASSERT_TRUE(quotas_->Update(ServerAdmin(), "acme", none).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(quotas_->CheckCanStartJob("acme", 0)));
  EXPECT_TRUE(quotas_->CheckCanStartJob("other", 1).ok());
  EXPECT_TRUE(absl::IsNotFound(quotas_->CheckCanStartJob("nope", 0)));
}

TEST_F(QuotasTest, ConcurrentPushesOfTheLastAllowedModelsSucceedExactlyToTheQuota) {
  constexpr int kThreads = 12;
  std::atomic<int> succeeded{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &succeeded, &refused] {
      auto created = quotas_->CreateVersion(Version("acme", "m" + std::to_string(t), 1));
      if (created.ok()) ++succeeded;
      if (absl::IsPermissionDenied(created.status())) ++refused;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), options_.max_models);
  EXPECT_EQ(refused.load(), kThreads - options_.max_models);
  EXPECT_EQ(store_->GetQuotaUsage("acme")->models, options_.max_models);
}

}  // namespace
}  // namespace aiaas::services
