// JobService with a scripted runner: the state machine through the real
// SQLite store, cancel within a step, checkpoints per epoch, and resuming
// after a stop.
#include "services/job_service.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/local_artifact_store.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/test_temp_dir.h"

namespace aiaas::services {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Counts "epochs" up to spec["epochs"]: each epoch stores the epoch number as
// its checkpoint; resumes from the checkpoint. spec["hold"] makes every step
// wait until Release() (for cancel and stop tests).
class CountingRunner final : public JobRunner {
 public:
  absl::StatusOr<CheckedJob> Check(const std::string&, const json& spec) override {
    if (!spec.contains("epochs") || !spec["epochs"].is_number_integer() || spec["epochs"] < 1) {
      return absl::InvalidArgumentError("epochs must be a positive integer");
    }
    return CheckedJob{spec, spec.value("output_model", "")};
  }

  JobRunResult Run(JobContext& context) override {
    const json spec = json::parse(context.job().spec_json);
    int start = 0;
    auto checkpoint = context.LoadCheckpoint();
    if (!checkpoint.ok()) return JobRunResult::Failed(std::string(checkpoint.status().message()));
    if (checkpoint->has_value()) start = std::stoi(**checkpoint);
    resumed_from = start;
    for (int epoch = start + 1; epoch <= spec["epochs"].get<int>(); ++epoch) {
      if (!started.HasBeenNotified()) started.Notify();
      if (spec.value("hold", false)) {
        while (!release.HasBeenNotified() && !context.ShouldStop()) {
          absl::SleepFor(absl::Milliseconds(2));
        }
      }
      if (context.CancelRequested()) return JobRunResult::Of(JobRunResult::Kind::kCancelled);
      if (context.Stopping()) return JobRunResult::Of(JobRunResult::Kind::kInterrupted);
      context.ReportProgress({{"epoch", epoch}});
      context.Log(absl::StrCat("epoch ", epoch));
      absl::Status stored = context.ReportEpoch(
          {{"epoch", epoch}}, {{"epoch", epoch}, {"loss", 1.0 / epoch}}, std::to_string(epoch));
      if (!stored.ok()) return JobRunResult::Failed(std::string(stored.message()));
    }
    if (spec.value("fail", false)) return JobRunResult::Failed("scripted failure");
    JobRunResult result = JobRunResult::Of(JobRunResult::Kind::kSucceeded);
    result.metrics = {{"accuracy", 0.5}};
    result.output_version = 1;
    return result;
  }

  absl::Notification started;
  absl::Notification release;
  std::atomic<int> resumed_from{-1};
};

class JobServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::SqliteMetadataStore::Open(dir_.path() + "/metadata.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto artifacts = storage::LocalArtifactStore::Open(dir_.path());
    ASSERT_TRUE(artifacts.ok()) << artifacts.status();
    artifacts_ = std::move(*artifacts);
    quotas_ = std::make_unique<Quotas>(store_.get(), QuotaOptions{});
    StartService();
    caller_.tenant = "default";
    caller_.key_id = "k1";
  }

  // As a worker stopped by a crash right after epoch 1 leaves it: the job claimed again,
  // epoch 1's checkpoint blob committed (its writer gone) and recorded on the job.
  void StoreEpochOneCheckpoint(const std::string& id) {
    ASSERT_TRUE(store_->RequeueInterruptedJobs().ok());
    ASSERT_TRUE(store_->ClaimNextJob().ok());
    auto writer = artifacts_->NewWriter(1 << 20);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("1").ok());
    auto blob = (*writer)->Commit();
    ASSERT_TRUE(blob.ok());
    storage::JobProgressUpdate update;
    update.progress_json = R"({"epoch":1})";
    update.history_json = R"([{"epoch":1}])";
    update.checkpoint_digest = blob->digest;
    ASSERT_TRUE(store_->UpdateJobProgress(id, update).ok());
  }

  void StartService() {
    JobServiceOptions options;
    options.logs_dir = dir_.path() + "/jobs";
    options.poll_interval = absl::Milliseconds(20);
    runner_ = std::make_unique<CountingRunner>();
    service_ = std::make_unique<JobService>(store_.get(), store_.get(), artifacts_.get(),
                                            quotas_.get(), options);
    service_->RegisterRunner("train", runner_.get());
    ASSERT_TRUE(service_->Start().ok());
  }

  // Waits (up to 10 s) for the job to reach `state`.
  storage::JobRecord WaitFor(const std::string& id, const std::string& state) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    storage::JobRecord job;
    while (absl::Now() < deadline) {
      auto read = service_->Get("default", id);
      EXPECT_TRUE(read.ok()) << read.status();
      if (!read.ok()) return job;
      job = *read;
      if (job.state == state) return job;
      absl::SleepFor(absl::Milliseconds(10));
    }
    ADD_FAILURE() << "job " << id << " is " << job.state << ", not " << state;
    return job;
  }

  size_t BlobCount() {
    size_t count = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir_.path() + "/blobs/sha256", ec);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
      count += it->is_regular_file();
    }
    return count;
  }

  storage::TestTempDir dir_;
  std::unique_ptr<storage::SqliteMetadataStore> store_;
  std::unique_ptr<storage::LocalArtifactStore> artifacts_;
  std::unique_ptr<Quotas> quotas_;
  std::unique_ptr<CountingRunner> runner_;
  std::unique_ptr<JobService> service_;
  Caller caller_;
};

TEST_F(JobServiceTest, RunsToSuccessWithHistoryMetricsAndLog) {
  auto job = service_->Submit(caller_, {{"epochs", 3}, {"output_model", "m"}});
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(IsJobId(job->id));
  EXPECT_EQ(job->output_model, "m");
  EXPECT_EQ(job->created_by, "aiaas_k1");
  storage::JobRecord done = WaitFor(job->id, storage::kJobSucceeded);
  EXPECT_TRUE(done.checkpoint_digest.empty());
  EXPECT_EQ(json::parse(done.history_json).size(), 3u);
  EXPECT_EQ(json::parse(done.metrics_json)["accuracy"], 0.5);
  for (int i = 0;
       i < 500 && !(service_->Snapshot(job->id).has_value() && service_->Snapshot(job->id)->final);
       ++i) {
    absl::SleepFor(absl::Milliseconds(10));  // the blob goes just before the final event
  }
  EXPECT_EQ(done.output_version, 1);
  EXPECT_EQ(BlobCount(), 0u) << "the last checkpoint outlived its finished job";
  auto snapshot = service_->Snapshot(job->id);
  ASSERT_TRUE(snapshot.has_value());
  EXPECT_TRUE(snapshot->final);
  EXPECT_EQ(snapshot->event["state"], "succeeded");
  EXPECT_EQ(snapshot->event["output"]["model"], "m");

  auto log_path = service_->LogPath("default", job->id);
  ASSERT_TRUE(log_path.ok());
  std::ifstream log(*log_path);
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, HasSubstr("epoch 3"));
  EXPECT_THAT(text, HasSubstr("succeeded"));
}

TEST_F(JobServiceTest, BadSpecsAndUnknownTypesStoreNothing) {
  auto bad = service_->Submit(caller_, {{"epochs", 0}});
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  auto unknown = service_->Submit(caller_, {{"type", "quantize"}, {"epochs", 1}});
  EXPECT_TRUE(absl::IsInvalidArgument(unknown.status()));
  EXPECT_THAT(unknown.status().message(), HasSubstr("known types: train"));
  EXPECT_TRUE(service_->List("default", std::nullopt, 10)->empty());
  EXPECT_TRUE(absl::IsNotFound(service_->Get("default", "../etc/passwd").status()));
}

TEST_F(JobServiceTest, FailureIsRecorded) {
  auto job = service_->Submit(caller_, {{"epochs", 1}, {"fail", true}});
  ASSERT_TRUE(job.ok());
  storage::JobRecord done = WaitFor(job->id, storage::kJobFailed);
  EXPECT_EQ(done.error, "scripted failure");
}

TEST_F(JobServiceTest, CancelStopsARunningJobWithinAStep) {
  auto job = service_->Submit(caller_, {{"epochs", 5}, {"hold", true}});
  ASSERT_TRUE(job.ok());
  runner_->started.WaitForNotification();
  auto cancelled = service_->Cancel("default", job->id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_TRUE(cancelled->cancel_requested);
  storage::JobRecord done = WaitFor(job->id, storage::kJobCancelled);
  EXPECT_TRUE(json::parse(done.history_json).empty());
  auto again = service_->Cancel("default", job->id);  // idempotent
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state, storage::kJobCancelled);
  EXPECT_TRUE(absl::IsNotFound(service_->Cancel("other", job->id).status()));
}

TEST_F(JobServiceTest, CancellingASucceededJobIsFailedPrecondition) {
  auto job = service_->Submit(caller_, {{"epochs", 1}});
  ASSERT_TRUE(job.ok());
  WaitFor(job->id, storage::kJobSucceeded);
  auto refused = service_->Cancel("default", job->id);
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_EQ(service_->Get("default", job->id)->state, storage::kJobSucceeded);
}

// Forwards to a real store; ClaimNextJob calls `after_claim` with the claimed job
// before returning it, i.e. before the worker has registered the job as running.
class ClaimHookStore final : public storage::JobStore {
 public:
  explicit ClaimHookStore(storage::JobStore* store) : store_(store) {}
  std::function<void(const storage::JobRecord&)> after_claim;

  absl::StatusOr<storage::JobRecord> CreateJob(const storage::JobRecord& job,
                                               const storage::QuotaLimits& defaults) override {
    return store_->CreateJob(job, defaults);
  }
  absl::StatusOr<storage::JobRecord> GetJob(const std::string& tenant,
                                            const std::string& id) override {
    return store_->GetJob(tenant, id);
  }
  absl::StatusOr<std::vector<storage::JobRecord>> ListJobs(const std::string& tenant,
                                                           const std::optional<std::string>& state,
                                                           int limit) override {
    return store_->ListJobs(tenant, state, limit);
  }
  absl::StatusOr<std::optional<storage::JobRecord>> ClaimNextJob() override {
    auto claimed = store_->ClaimNextJob();
    if (claimed.ok() && claimed->has_value() && after_claim) after_claim(**claimed);
    return claimed;
  }
  absl::Status UpdateJobProgress(const std::string& id,
                                 const storage::JobProgressUpdate& update) override {
    return store_->UpdateJobProgress(id, update);
  }
  absl::StatusOr<storage::JobRecord> FinishJob(const std::string& id,
                                               const storage::JobOutcome& outcome) override {
    return store_->FinishJob(id, outcome);
  }
  absl::StatusOr<storage::JobRecord> RequestJobCancel(const std::string& tenant,
                                                      const std::string& id) override {
    return store_->RequestJobCancel(tenant, id);
  }
  absl::StatusOr<bool> IsJobCancelRequested(const std::string& id) override {
    return store_->IsJobCancelRequested(id);
  }
  absl::StatusOr<storage::RequeuedJobs> RequeueInterruptedJobs() override {
    return store_->RequeueInterruptedJobs();
  }

 private:
  storage::JobStore* const store_;
};

TEST_F(JobServiceTest, ACancelBetweenClaimAndRunIsNotLost) {
  service_.reset();
  ClaimHookStore hooked(store_.get());
  JobServiceOptions options;
  options.logs_dir = dir_.path() + "/jobs";
  options.poll_interval = absl::Milliseconds(20);
  JobService service(&hooked, store_.get(), artifacts_.get(), quotas_.get(), options);
  service.RegisterRunner("train", runner_.get());
  hooked.after_claim = [&service](const storage::JobRecord& job) {
    // The job is running in the store but its worker has not registered it yet.
    auto cancelled = service.Cancel(job.tenant, job.id);
    EXPECT_TRUE(cancelled.ok()) << cancelled.status();
  };
  auto job = service.Submit(caller_, {{"epochs", 2}});
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(service.Start().ok());
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  storage::JobRecord read;
  while (absl::Now() < deadline) {
    read = *service.Get("default", job->id);
    if (storage::IsFinalJobState(read.state)) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(read.state, storage::kJobCancelled);  // was: succeeded, the cancel ignored
  EXPECT_FALSE(read.output_version.has_value());
  service.Stop();
}

TEST_F(JobServiceTest, StopInterruptsAndTheNextStartResumesFromTheCheckpoint) {
  auto job = service_->Submit(caller_, {{"epochs", 3}, {"hold", true}});
  ASSERT_TRUE(job.ok());
  runner_->started.WaitForNotification();
  service_->Stop();  // interrupts the held first epoch
  EXPECT_EQ(service_->Get("default", job->id)->state, storage::kJobRunning);

  // Pretend epoch 1 had finished before the stop: store its checkpoint by hand.
  StoreEpochOneCheckpoint(job->id);

  service_.reset();
  StartService();  // requeues the running job and resumes it
  runner_->release.Notify();
  storage::JobRecord done = WaitFor(job->id, storage::kJobSucceeded);
  EXPECT_EQ(runner_->resumed_from.load(), 1);
  EXPECT_EQ(done.attempts, 3);
  EXPECT_EQ(json::parse(done.history_json).size(), 3u);
}

TEST_F(JobServiceTest, AJobCancelledBeforeACrashEndsAtStartAndDropsItsCheckpoint) {
  auto job = service_->Submit(caller_, {{"epochs", 3}, {"hold", true}});
  ASSERT_TRUE(job.ok());
  runner_->started.WaitForNotification();
  service_->Stop();  // as good as a crash: the job stays running in the store

  // Epoch 1's checkpoint, then a cancel the stopped worker never saw.
  StoreEpochOneCheckpoint(job->id);
  ASSERT_TRUE(store_->RequestJobCancel("default", job->id).ok());
  ASSERT_EQ(BlobCount(), 1u);

  service_.reset();
  StartService();
  storage::JobRecord done = WaitFor(job->id, storage::kJobCancelled);
  EXPECT_EQ(done.attempts, 2);  // not resumed
  EXPECT_TRUE(done.checkpoint_digest.empty());
  EXPECT_EQ(BlobCount(), 0u);  // was 1: nothing ever removed it
}

TEST_F(JobServiceTest, ConcurrentJobsQuotaRefusesSubmissions) {
  ASSERT_TRUE(
      store_
          ->UpdateQuotaOverrides("default", {std::nullopt, std::nullopt, std::optional<int64_t>(1)})
          .ok());
  auto first = service_->Submit(caller_, {{"epochs", 2}, {"hold", true}});
  ASSERT_TRUE(first.ok());
  auto second = service_->Submit(caller_, {{"epochs", 1}});
  EXPECT_TRUE(absl::IsPermissionDenied(second.status())) << second.status();
  EXPECT_THAT(second.status().message(), HasSubstr("max_concurrent_jobs"));
  runner_->release.Notify();
  WaitFor(first->id, storage::kJobSucceeded);
  EXPECT_TRUE(service_->Submit(caller_, {{"epochs", 1}}).ok());
}

}  // namespace
}  // namespace aiaas::services
