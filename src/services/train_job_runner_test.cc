// TrainJobRunner through the real job service, dataset service, model registry
// (with the native runtime) and SQLite store: submit-time checks, a job that
// trains and registers a native version with metrics and lineage.
#include "services/train_job_runner.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/native_runtime.h"
#include "services/job_service.h"
#include "storage/local_artifact_store.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/test_temp_dir.h"

namespace aiaas::services {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// 120 points in [-1, 1]^2 labelled by x > y, as the integers 7 and 3 (integer labels
// that are not class indices, so serving must map them back).
std::string Csv() {
  std::string csv = "x,y,label\n";
  for (int i = 0; i < 120; ++i) {
    const double x = (i * 37 % 101) / 50.0 - 1.0;
    const double y = (i * 53 % 97) / 48.0 - 1.0;
    absl::StrAppend(&csv, x, ",", y, ",", x > y ? 7 : 3, "\n");
  }
  return csv;
}

class TrainJobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::SqliteMetadataStore::Open(dir_.path() + "/metadata.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    auto artifacts = storage::LocalArtifactStore::Open(dir_.path());
    ASSERT_TRUE(artifacts.ok()) << artifacts.status();
    artifacts_ = std::move(*artifacts);
    quotas_ = std::make_unique<Quotas>(store_.get(), QuotaOptions{});
    runtimes_.Register(std::make_unique<runtime::NativeRuntime>(runtime::NativeOptions{}));
    registry_ = std::make_unique<ModelRegistry>(store_.get(), artifacts_.get(), &runtimes_,
                                                quotas_.get());
    datasets_ = std::make_unique<DatasetService>(store_.get(), store_.get(), artifacts_.get(),
                                                 quotas_.get(), DatasetServiceOptions{});
    runner_ = std::make_unique<TrainJobRunner>(datasets_.get(), registry_.get(),
                                               TrainJobRunnerOptions{});
    JobServiceOptions options;
    options.logs_dir = dir_.path() + "/jobs";
    options.poll_interval = absl::Milliseconds(20);
    jobs_ = std::make_unique<JobService>(store_.get(), store_.get(), artifacts_.get(),
                                         quotas_.get(), options);
    jobs_->RegisterRunner("train", runner_.get());
    ASSERT_TRUE(jobs_->Start().ok());
    caller_.tenant = "default";

    auto upload = datasets_->StartUpload();
    ASSERT_TRUE(upload.ok()) << upload.status();
    ASSERT_TRUE((*upload)->Write(Csv()).ok());
    CreateDatasetRequest request{"default", "points", "csv", "points.csv", "test"};
    auto created = datasets_->Create(request, *std::move(upload));
    ASSERT_TRUE(created.ok()) << created.status();
  }

  void TearDown() override { jobs_->Stop(); }

  json Spec() {
    return {{"type", "train"}, {"dataset", "points"}, {"target", "label"},
            {"task", "classification"}, {"preprocess", {{"scale", "standard"}}},
            {"model", {{"architecture", "mlp"}, {"hidden", {8}}}},
            {"optimizer", {{"name", "adam"}, {"lr", 0.02}}}, {"epochs", 20},
            {"batch_size", 8}, {"seed", 2}, {"output_model", "points"}};
  }

  storage::JobRecord WaitForEnd(const std::string& id) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    storage::JobRecord job;
    while (absl::Now() < deadline) {
      auto read = jobs_->Get("default", id);
      EXPECT_TRUE(read.ok()) << read.status();
      if (!read.ok()) return job;
      job = *read;
      if (storage::IsFinalJobState(job.state)) return job;
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "job " << id << " still " << job.state;
    return job;
  }

  storage::TestTempDir dir_;
  std::unique_ptr<storage::SqliteMetadataStore> store_;
  std::unique_ptr<storage::LocalArtifactStore> artifacts_;
  std::unique_ptr<Quotas> quotas_;
  runtime::RuntimeRegistry runtimes_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<DatasetService> datasets_;
  std::unique_ptr<TrainJobRunner> runner_;
  std::unique_ptr<JobService> jobs_;
  Caller caller_;
};

TEST_F(TrainJobRunnerTest, CheckPinsTheDatasetVersionAndRejectsSpecsThatCannotWork) {
  absl::StatusOr<CheckedJob> checked = runner_->Check("default", Spec());
  ASSERT_TRUE(checked.ok()) << checked.status();
  EXPECT_EQ(checked->spec["dataset_version"], 1);
  EXPECT_EQ(checked->output_model, "points");

  json unknown = Spec();
  unknown["dataset"] = "nope";
  EXPECT_EQ(runner_->Check("default", unknown).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(runner_->Check("other", Spec()).status().code(), absl::StatusCode::kNotFound);
  json wrong_loss = Spec();
  wrong_loss["loss"] = "mse";
  absl::Status status = runner_->Check("default", wrong_loss).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("mse"));
  json conv = Spec();
  conv["model"] = {{"layers", {{{"type", "conv2d"}, {"filters", 2}, {"kernel", 3}}}}};
  EXPECT_THAT(runner_->Check("default", conv).status().message(), HasSubstr("conv2d"));
}

TEST_F(TrainJobRunnerTest, TrainsAndRegistersANativeVersion) {
  absl::StatusOr<storage::JobRecord> submitted = jobs_->Submit(caller_, Spec());
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  storage::JobRecord job = WaitForEnd(submitted->id);
  ASSERT_EQ(job.state, storage::kJobSucceeded) << job.error;
  ASSERT_TRUE(job.output_version.has_value());
  const json metrics = json::parse(job.metrics_json);
  EXPECT_GE(metrics["accuracy"].get<double>(), 0.85) << job.metrics_json;
  EXPECT_EQ(json::parse(job.history_json).size(), 20u);

  absl::StatusOr<storage::VersionRecord> version =
      registry_->GetVersion("default", "points", absl::StrCat(*job.output_version));
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(version->format, "native");
  EXPECT_EQ(json::parse(version->metrics_json)["accuracy"], metrics["accuracy"]);
  const json lineage = json::parse(version->lineage_json);
  EXPECT_EQ(lineage["job"], job.id);
  EXPECT_EQ(lineage["dataset"], "points");
  EXPECT_EQ(lineage["dataset_version"], 1);
  EXPECT_EQ(lineage["test_row_indices"].size(), 24u);
  ASSERT_EQ(version->signature.outputs.size(), 2u);
  EXPECT_EQ(version->signature.outputs[1].name, "label");
  EXPECT_EQ(*version->signature.outputs[1].dtype, DataType::kInt64);
}

}  // namespace
}  // namespace aiaas::services
