// DatasetStore on SQLite: numbering, listing, deletion, the stored-bytes quota
// shared with model versions, digest reference counting and version metadata.

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/test_temp_dir.h"

namespace aiaas::storage {
namespace {

using ::testing::HasSubstr;

constexpr QuotaLimits kGenerous = {1000, int64_t{1} << 40, 4};

class SqliteDatasetStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteMetadataStore::Open(dir_.path() + "/metadata.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->CreateTenant("acme").ok());
  }

  static DatasetVersionRecord Record(const std::string& tenant, const std::string& name,
                                     int64_t size_bytes, const std::string& digest) {
    DatasetVersionRecord record;
    record.tenant = tenant;
    record.name = name;
    record.format = "csv";
    record.digest = digest;
    record.size_bytes = size_bytes;
    record.rows = 150;
    record.schema_json = R"({"columns":[]})";
    record.created_by = "alice";
    return record;
  }

  storage::TestTempDir dir_;
  std::unique_ptr<SqliteMetadataStore> store_;
};

TEST_F(SqliteDatasetStoreTest, VersionsAreNumberedAndNeverReused) {
  auto v1 = store_->CreateDatasetVersion(Record("acme", "iris", 10, "sha256:01"), kGenerous);
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->version, 1);
  auto v2 = store_->CreateDatasetVersion(Record("acme", "iris", 20, "sha256:02"), kGenerous);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->version, 2);

  auto latest = store_->GetDatasetVersion("acme", "iris", 0);
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->digest, "sha256:02");
  EXPECT_EQ(latest->rows, 150);
  EXPECT_EQ(latest->schema_json, R"({"columns":[]})");
  EXPECT_EQ(latest->created_by, "alice");

  auto deleted = store_->DeleteDatasetVersion("acme", "iris", 2);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, "sha256:02");
  auto v3 = store_->CreateDatasetVersion(Record("acme", "iris", 30, "sha256:03"), kGenerous);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->version, 3);  // 2 is not reused
  auto versions = store_->ListDatasetVersions("acme", "iris");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version, 1);
  EXPECT_EQ((*versions)[1].version, 3);
}

TEST_F(SqliteDatasetStoreTest, ListShowsNewestPerDatasetAndIsPerTenant) {
  ASSERT_TRUE(store_->CreateDatasetVersion(Record("acme", "iris", 1, "sha256:a"), kGenerous).ok());
  ASSERT_TRUE(store_->CreateDatasetVersion(Record("acme", "iris", 1, "sha256:b"), kGenerous).ok());
  ASSERT_TRUE(
      store_->CreateDatasetVersion(Record("acme", "digits", 1, "sha256:c"), kGenerous).ok());
  ASSERT_TRUE(
      store_->CreateDatasetVersion(Record("default", "iris", 1, "sha256:d"), kGenerous).ok());
  auto listed = store_->ListDatasets("acme");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "digits");
  EXPECT_EQ((*listed)[1].name, "iris");
  EXPECT_EQ((*listed)[1].version, 2);
  EXPECT_TRUE(absl::IsNotFound(store_->GetDatasetVersion("acme", "nope", 0).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->GetDatasetVersion("acme", "iris", 7).status()));
  EXPECT_TRUE(absl::IsNotFound(store_->ListDatasets("ghost").status()));
  // Another tenant's dataset of the same name is a different dataset.
  EXPECT_EQ(store_->GetDatasetVersion("default", "iris", 0)->digest, "sha256:d");
}

TEST_F(SqliteDatasetStoreTest, DeleteDatasetReturnsDigestsAndFreesReferences) {
  ASSERT_TRUE(store_->CreateDatasetVersion(Record("acme", "iris", 1, "sha256:a"), kGenerous).ok());
  ASSERT_TRUE(store_->CreateDatasetVersion(Record("acme", "iris", 1, "sha256:a"), kGenerous).ok());
  ASSERT_TRUE(store_->CreateDatasetVersion(Record("acme", "iris", 1, "sha256:b"), kGenerous).ok());
  EXPECT_EQ(*store_->CountDigestReferences("sha256:a"), 2);
  auto digests = store_->DeleteDataset("acme", "iris");
  ASSERT_TRUE(digests.ok()) << digests.status();
  EXPECT_EQ(*digests, (std::vector<std::string>{"sha256:a", "sha256:b"}));
  EXPECT_EQ(*store_->CountDigestReferences("sha256:a"), 0);
  EXPECT_TRUE(absl::IsNotFound(store_->ListDatasetVersions("acme", "iris").status()));
}

TEST_F(SqliteDatasetStoreTest, DatasetBytesShareTheStoredBytesQuotaWithModels) {
  QuotaLimits tight = kGenerous;
  tight.max_stored_bytes = 100;
  VersionRecord model_version;
  model_version.tenant = "acme";
  model_version.model = "m";
  model_version.format = "torchscript";
  model_version.digest = "sha256:m";
  model_version.size_bytes = 60;
  ASSERT_TRUE(store_->CreateVersionWithinQuota(model_version, tight, MissingModel::kCreate).ok());
  auto refused = store_->CreateDatasetVersion(Record("acme", "big", 50, "sha256:x"), tight);
  ASSERT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("max_stored_bytes"));
  EXPECT_TRUE(absl::IsNotFound(store_->GetDatasetVersion("acme", "big", 0).status()));
  ASSERT_TRUE(store_->CreateDatasetVersion(Record("acme", "small", 40, "sha256:y"), tight).ok());
  EXPECT_EQ(store_->GetQuotaUsage("acme")->stored_bytes, 100);
  // Now the model side is full too.
  model_version.digest = "sha256:m2";
  model_version.size_bytes = 1;
  EXPECT_TRUE(absl::IsPermissionDenied(
      store_->CreateVersionWithinQuota(model_version, tight, MissingModel::kCreate).status()));
}

TEST_F(SqliteDatasetStoreTest, VersionMetricsAndLineageRoundTrip) {
  VersionRecord version;
  version.tenant = "acme";
  version.model = "trained";
  version.format = "native";
  version.digest = "sha256:n";
  version.size_bytes = 5;
  version.metrics_json = R"({"accuracy":0.97})";
  version.lineage_json = R"({"dataset":"digits","dataset_version":1,"job":"job-1"})";
  ASSERT_TRUE(store_->CreateVersionWithinQuota(version, kGenerous, MissingModel::kCreate).ok());
  auto read = store_->GetVersion("acme", "trained", 1);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->metrics_json, version.metrics_json);
  EXPECT_EQ(read->lineage_json, version.lineage_json);
  version.metrics_json.clear();
  version.lineage_json.clear();
  ASSERT_TRUE(store_->CreateVersionWithinQuota(version, kGenerous, MissingModel::kCreate).ok());
  EXPECT_EQ(store_->GetVersion("acme", "trained", 2)->metrics_json, "{}");
}

TEST_F(SqliteDatasetStoreTest, ADatasetAQueuedOrRunningJobUsesIsNotDeleted) {
  ASSERT_TRUE(store_->CreateDatasetVersion(Record("acme", "iris", 10, "sha256:01"), kGenerous).ok());
  ASSERT_TRUE(store_->CreateDatasetVersion(Record("acme", "iris", 10, "sha256:02"), kGenerous).ok());
  ASSERT_TRUE(store_->CreateDatasetVersion(Record("acme", "other", 10, "sha256:03"), kGenerous).ok());
  JobRecord job;
  job.id = "job-1";
  job.tenant = "acme";
  job.type = "train";
  job.spec_json = R"({"type":"train","dataset":"iris","dataset_version":2})";
  ASSERT_TRUE(store_->CreateJob(job, kGenerous).ok());

  auto whole = store_->DeleteDataset("acme", "iris");
  EXPECT_TRUE(absl::IsFailedPrecondition(whole.status())) << whole.status();
  EXPECT_THAT(whole.status().message(), HasSubstr("used by job job-1 (queued)"));
  auto pinned = store_->DeleteDatasetVersion("acme", "iris", 2);
  EXPECT_TRUE(absl::IsFailedPrecondition(pinned.status())) << pinned.status();
  EXPECT_THAT(pinned.status().message(), HasSubstr("dataset 'iris' version 2 is used by job job-1"));
  EXPECT_EQ(store_->ListDatasetVersions("acme", "iris")->size(), 2u);
  EXPECT_TRUE(store_->DeleteDatasetVersion("acme", "iris", 1).ok());  // not the pinned one
  EXPECT_TRUE(store_->DeleteDataset("acme", "other").ok());

  ASSERT_TRUE(store_->ClaimNextJob().ok());  // running: still refused
  EXPECT_THAT(store_->DeleteDataset("acme", "iris").status().message(), HasSubstr("(running)"));
  JobOutcome done;
  done.state = kJobSucceeded;
  ASSERT_TRUE(store_->FinishJob("job-1", done).ok());
  EXPECT_TRUE(store_->DeleteDataset("acme", "iris").ok());  // a finished job needs nothing
}

}  // namespace
}  // namespace aiaas::storage
