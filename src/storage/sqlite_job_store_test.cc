// JobStore on SQLite: the state machine, the concurrent-jobs quota checked in
// the inserting transaction, cancel in each state, and recovery at start-up.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/test_temp_dir.h"

namespace aiaas::storage {
namespace {

using ::testing::HasSubstr;

constexpr QuotaLimits kTwoJobs = {1000, int64_t{1} << 40, 2};

class SqliteJobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/metadata.db";
    store_ = Open();
    ASSERT_NE(store_, nullptr);
    ASSERT_TRUE(store_->CreateTenant("acme").ok());
  }

  std::unique_ptr<SqliteMetadataStore> Open() {
    SqliteMetadataStoreOptions options;
    options.now_ms = [this] { return ++clock_ms_; };
    auto store = SqliteMetadataStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static JobRecord Job(const std::string& id, const std::string& tenant = "acme") {
    JobRecord job;
    job.id = id;
    job.tenant = tenant;
    job.type = "train";
    job.spec_json = R"({"epochs":3})";
    job.output_model = "digits-cnn";
    job.created_by = "alice";
    return job;
  }

  storage::TestTempDir dir_;
  std::string path_;
  std::atomic<int64_t> clock_ms_{1000};
  std::unique_ptr<SqliteMetadataStore> store_;
};

TEST_F(SqliteJobStoreTest, RunsThroughQueuedRunningSucceeded) {
  auto created = store_->CreateJob(Job("job-1"), kTwoJobs);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->state, kJobQueued);
  EXPECT_EQ(created->spec_json, R"({"epochs":3})");
  EXPECT_FALSE(created->started_at_ms.has_value());

  auto claimed = store_->ClaimNextJob();
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_TRUE(claimed->has_value());
  EXPECT_EQ((*claimed)->id, "job-1");
  EXPECT_EQ((*claimed)->state, kJobRunning);
  EXPECT_EQ((*claimed)->attempts, 1);
  EXPECT_TRUE((*claimed)->started_at_ms.has_value());
  EXPECT_FALSE(store_->ClaimNextJob()->has_value());  // nothing else queued

  JobProgressUpdate progress;
  progress.progress_json = R"({"epoch":1})";
  progress.history_json = R"([{"epoch":1,"loss":0.5}])";
  progress.checkpoint_digest = "sha256:c1";
  ASSERT_TRUE(store_->UpdateJobProgress("job-1", progress).ok());
  progress.progress_json = R"({"epoch":1,"step":3})";
  progress.history_json.reset();
  progress.checkpoint_digest.reset();
  ASSERT_TRUE(store_->UpdateJobProgress("job-1", progress).ok());
  auto read = store_->GetJob("acme", "job-1");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->progress_json, R"({"epoch":1,"step":3})");
  EXPECT_EQ(read->history_json, R"([{"epoch":1,"loss":0.5}])");  // kept
  EXPECT_EQ(read->checkpoint_digest, "sha256:c1");                // kept
  EXPECT_EQ(*store_->CountDigestReferences("sha256:c1"), 1);

  JobOutcome outcome;
  outcome.state = kJobSucceeded;
  outcome.metrics_json = R"({"accuracy":0.98})";
  outcome.output_version = 4;
  auto finished = store_->FinishJob("job-1", outcome);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->state, kJobSucceeded);
  EXPECT_EQ(finished->output_version, 4);
  EXPECT_TRUE(finished->finished_at_ms.has_value());
  // Final states are final.
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->FinishJob("job-1", outcome).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(store_->UpdateJobProgress("job-1", progress)));
}

TEST_F(SqliteJobStoreTest, OtherTenantsJobIsNotFound) {
  ASSERT_TRUE(store_->CreateJob(Job("job-1"), kTwoJobs).ok());
  EXPECT_TRUE(absl::IsNotFound(store_->GetJob("default", "job-1").status()));
  EXPECT_TRUE(absl::IsNotFound(store_->RequestJobCancel("default", "job-1").status()));
  EXPECT_TRUE(store_->ListJobs("default", std::nullopt, 10)->empty());
}

TEST_F(SqliteJobStoreTest, ConcurrentJobsQuotaCountsQueuedAndRunning) {
  ASSERT_TRUE(store_->CreateJob(Job("job-1"), kTwoJobs).ok());
  ASSERT_TRUE(store_->CreateJob(Job("job-2"), kTwoJobs).ok());
  auto refused = store_->CreateJob(Job("job-3"), kTwoJobs);
  ASSERT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("max_concurrent_jobs"));
  EXPECT_TRUE(absl::IsNotFound(store_->GetJob("acme", "job-3").status()));
  // A finished job frees its place.
  ASSERT_TRUE(store_->ClaimNextJob().ok());
  JobOutcome failed;
  failed.state = kJobFailed;
  failed.error = "boom";
  ASSERT_TRUE(store_->FinishJob("job-1", failed).ok());
  EXPECT_TRUE(store_->CreateJob(Job("job-3"), kTwoJobs).ok());
  // Other tenants have their own count.
  EXPECT_TRUE(store_->CreateJob(Job("job-4", "default"), kTwoJobs).ok());
}

TEST_F(SqliteJobStoreTest, ConcurrentSubmissionsNeverOvershootTheQuota) {
  auto second = Open();  // a second connection stands in for another process
  ASSERT_NE(second, nullptr);
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      SqliteMetadataStore* store = i % 2 == 0 ? store_.get() : second.get();
      if (store->CreateJob(Job("job-" + std::to_string(i)), kTwoJobs).ok()) ++accepted;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 2);
  EXPECT_EQ(store_->ListJobs("acme", std::string(kJobQueued), 100)->size(), 2u);
}

TEST_F(SqliteJobStoreTest, CancelQueuedAtOnceRunningByRequestFinishedRefused) {
  ASSERT_TRUE(store_->CreateJob(Job("job-1"), kTwoJobs).ok());
  ASSERT_TRUE(store_->CreateJob(Job("job-2"), kTwoJobs).ok());
  ASSERT_TRUE(store_->ClaimNextJob().ok());  // job-1 runs

  auto queued = store_->RequestJobCancel("acme", "job-2");
  ASSERT_TRUE(queued.ok()) << queued.status();
  EXPECT_EQ(queued->state, kJobCancelled);
  EXPECT_FALSE(store_->ClaimNextJob()->has_value());  // never starts

  EXPECT_FALSE(*store_->IsJobCancelRequested("job-1"));
  auto running = store_->RequestJobCancel("acme", "job-1");
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->state, kJobRunning);
  EXPECT_TRUE(running->cancel_requested);
  EXPECT_TRUE(*store_->IsJobCancelRequested("job-1"));

  JobOutcome cancelled;
  cancelled.state = kJobCancelled;
  ASSERT_TRUE(store_->FinishJob("job-1", cancelled).ok());
  auto again = store_->RequestJobCancel("acme", "job-1");  // idempotent
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state, kJobCancelled);
  EXPECT_EQ(again->finished_at_ms, store_->GetJob("acme", "job-1")->finished_at_ms);
}

TEST_F(SqliteJobStoreTest, CancellingASucceededOrFailedJobIsRefused) {
  ASSERT_TRUE(store_->CreateJob(Job("job-1"), kTwoJobs).ok());
  ASSERT_TRUE(store_->CreateJob(Job("job-2"), kTwoJobs).ok());
  ASSERT_TRUE(store_->ClaimNextJob().ok());
  ASSERT_TRUE(store_->ClaimNextJob().ok());
  JobOutcome succeeded;
  succeeded.state = kJobSucceeded;
  succeeded.output_version = 1;
  ASSERT_TRUE(store_->FinishJob("job-1", succeeded).ok());
  JobOutcome failed;
  failed.state = kJobFailed;
  failed.error = "boom";
  ASSERT_TRUE(store_->FinishJob("job-2", failed).ok());
  auto refused = store_->RequestJobCancel("acme", "job-1");
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("already succeeded"));
  EXPECT_FALSE(store_->GetJob("acme", "job-1")->cancel_requested);
  EXPECT_THAT(store_->RequestJobCancel("acme", "job-2").status().message(),
              HasSubstr("already failed"));
}

TEST_F(SqliteJobStoreTest, RestartRequeuesRunningJobsAndEndsCancelledOnes) {
  ASSERT_TRUE(store_->CreateJob(Job("job-1"), kTwoJobs).ok());
  ASSERT_TRUE(store_->CreateJob(Job("job-2"), kTwoJobs).ok());
  ASSERT_TRUE(store_->ClaimNextJob().ok());
  ASSERT_TRUE(store_->ClaimNextJob().ok());
  for (const char* id : {"job-1", "job-2"}) {
    JobProgressUpdate update;
    update.progress_json = "{}";
    update.checkpoint_digest = std::string(id) == "job-1" ? "sha256:c1" : "sha256:c2";
    ASSERT_TRUE(store_->UpdateJobProgress(id, update).ok());
  }
  ASSERT_TRUE(store_->RequestJobCancel("acme", "job-2").ok());
  store_.reset();  // the server stops mid-job

  store_ = Open();
  ASSERT_NE(store_, nullptr);
  auto requeued = store_->RequeueInterruptedJobs();
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_EQ(requeued->requeued, 1);
  EXPECT_EQ(requeued->released_checkpoints, std::vector<std::string>{"sha256:c2"});
  EXPECT_EQ(store_->GetJob("acme", "job-1")->state, kJobQueued);
  EXPECT_EQ(store_->GetJob("acme", "job-1")->checkpoint_digest, "sha256:c1");  // resumes
  EXPECT_EQ(store_->GetJob("acme", "job-2")->state, kJobCancelled);
  EXPECT_TRUE(store_->GetJob("acme", "job-2")->checkpoint_digest.empty());
  auto resumed = store_->ClaimNextJob();
  ASSERT_TRUE(resumed.ok() && resumed->has_value());
  EXPECT_EQ((*resumed)->id, "job-1");
  EXPECT_EQ((*resumed)->attempts, 2);
}

TEST_F(SqliteJobStoreTest, ACancelledJobWhoseVersionWasPushedIsRequeuedNotCancelled) {
  // job-1 pushed its version, then the server died before recording the end; job-2 did
  // not get that far. Both had a cancel requested.
  ASSERT_TRUE(store_->CreateJob(Job("job-1"), kTwoJobs).ok());
  ASSERT_TRUE(store_->CreateJob(Job("job-2"), kTwoJobs).ok());
  ASSERT_TRUE(store_->ClaimNextJob().ok());
  ASSERT_TRUE(store_->ClaimNextJob().ok());
  ASSERT_TRUE(store_->RequestJobCancel("acme", "job-1").ok());
  ASSERT_TRUE(store_->RequestJobCancel("acme", "job-2").ok());
  VersionRecord version;
  version.tenant = "acme";
  version.model = "digits-cnn";
  version.format = "native";
  version.digest = "sha256:ab";
  version.size_bytes = 5;
  version.lineage_json = R"({"dataset":"digits","dataset_version":1,"job":"job-1"})";
  ASSERT_TRUE(store_->CreateVersionWithinQuota(version, kTwoJobs, MissingModel::kCreate).ok());
  store_.reset();

  store_ = Open();
  ASSERT_NE(store_, nullptr);
  auto requeued = store_->RequeueInterruptedJobs();
  ASSERT_TRUE(requeued.ok()) << requeued.status();
  EXPECT_EQ(requeued->requeued, 1);
  EXPECT_EQ(store_->GetJob("acme", "job-1")->state, kJobQueued);  // was: cancelled
  EXPECT_TRUE(store_->GetJob("acme", "job-1")->cancel_requested);
  EXPECT_EQ(store_->GetJob("acme", "job-2")->state, kJobCancelled);
}

TEST_F(SqliteJobStoreTest, ListIsNewestFirstAndFiltersByState) {
  ASSERT_TRUE(store_->CreateJob(Job("job-a"), kTwoJobs).ok());
  ASSERT_TRUE(store_->CreateJob(Job("job-b"), kTwoJobs).ok());
  ASSERT_TRUE(store_->ClaimNextJob().ok());  // job-a
  auto all = store_->ListJobs("acme", std::nullopt, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "job-b");
  auto running = store_->ListJobs("acme", std::string(kJobRunning), 10);
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].id, "job-a");
  EXPECT_EQ(store_->ListJobs("acme", std::nullopt, 1)->size(), 1u);
}

}  // namespace
}  // namespace aiaas::storage
