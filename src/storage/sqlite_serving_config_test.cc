// Serving configs in SqliteMetadataStore: storage, update, schema step 2.
#include <sqlite3.h>

#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/sqlite_connection.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/sqlite_schema.h"
#include "storage/test_raw_sql.h"
#include "storage/test_temp_dir.h"

namespace aiaas::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Every field, so that EXPECT_EQ compares (and prints) whole configs.
auto Fields(const ServingConfig& c) {
  return std::make_tuple(c.max_batch_size, c.max_queue_delay_us, c.preferred_batch_sizes,
                         c.instance_count, c.max_queue_size, c.default_timeout_ms, c.warmup,
                         c.pinned);
}

// Differs from the defaults in every field.
ServingConfig Tuned() {
  ServingConfig config;
  config.max_batch_size = 32;
  config.max_queue_delay_us = 2'500;
  config.preferred_batch_sizes = {4, 8, 32};
  config.instance_count = 3;
  config.max_queue_size = 77;
  config.default_timeout_ms = 1'234;
  config.warmup = false;
  config.pinned = true;
  return config;
}

// The SQLite result code of `sql` run outside the store (foreign keys off).
int RawSqlCode(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

class SqliteServingConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = dir_.path() + "/metadata.db"; }

  // Opens the store at `path_` and creates model "mnist" unless it exists.
  void OpenStore() {
    auto store = SqliteMetadataStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ModelRecord model;
    model.tenant = "default";
    model.name = "mnist";
    auto created = store_->CreateModel(model);
    ASSERT_TRUE(created.ok() || absl::IsAlreadyExists(created.status())) << created.status();
  }

  absl::StatusOr<VersionRecord> CreateVersion(const std::optional<ServingConfig>& config) {
    VersionRecord version;
    version.tenant = "default";
    version.model = "mnist";
    version.format = "torchscript";
    version.digest = "sha256:aa";
    version.signature.inputs = {TensorSpec{"x", DataType::kFp32, std::vector<int64_t>{-1, 4}}};
    if (config.has_value()) version.config = *config;
    return store_->CreateVersion(version);
  }

  int64_t ConfigRows() { return RawSql(path_, "SELECT COUNT(*) FROM version_serving_configs"); }

  TestTempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteMetadataStore> store_;
};

TEST_F(SqliteServingConfigTest, DefaultsWhenNeverSet) {
  OpenStore();
  ASSERT_TRUE(CreateVersion(std::nullopt).ok());
  auto got = store_->GetVersion("default", "mnist", 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Fields(got->config), Fields(ServingConfig{}));
  EXPECT_EQ(ConfigRows(), 1);  // CreateVersion always writes the row
}

TEST_F(SqliteServingConfigTest, CreateVersionRoundTripsEveryField) {
  OpenStore();
  auto created = CreateVersion(Tuned());
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(Fields(created->config), Fields(Tuned()));

  auto got = store_->GetVersion("default", "mnist", 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Fields(got->config), Fields(Tuned()));
  EXPECT_EQ(got->signature.inputs.size(), 1u);
  auto latest = store_->GetLatestVersion("default", "mnist");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(Fields(latest->config), Fields(Tuned()));
  auto listed = store_->ListVersions("default", "mnist");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(Fields((*listed)[0].config), Fields(Tuned()));
}

TEST_F(SqliteServingConfigTest, BooleansAndSizeListEdgeCases) {
  OpenStore();
  ServingConfig one = Tuned();
  one.preferred_batch_sizes = {32};
  one.warmup = true;
  one.pinned = false;
  ServingConfig none = Tuned();
  none.max_batch_size = 0;
  none.preferred_batch_sizes = {};
  ASSERT_TRUE(CreateVersion(one).ok());
  ASSERT_TRUE(CreateVersion(none).ok());
  EXPECT_EQ(Fields(store_->GetVersion("default", "mnist", 1)->config), Fields(one));
  EXPECT_EQ(Fields(store_->GetVersion("default", "mnist", 2)->config), Fields(none));
}

TEST_F(SqliteServingConfigTest, UpdateSurvivesReopenAndTouchesOnlyItsVersion) {
  OpenStore();
  ASSERT_TRUE(CreateVersion(std::nullopt).ok());
  ASSERT_TRUE(CreateVersion(std::nullopt).ok());
  auto updated = store_->UpdateServingConfig("default", "mnist", 1, Tuned());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->version, 1);
  EXPECT_EQ(updated->digest, "sha256:aa");
  EXPECT_EQ(updated->signature.inputs.size(), 1u);
  EXPECT_EQ(Fields(updated->config), Fields(Tuned()));

  store_.reset();
  OpenStore();
  auto got = store_->GetVersion("default", "mnist", 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(Fields(got->config), Fields(Tuned()));
  EXPECT_EQ(Fields(store_->GetVersion("default", "mnist", 2)->config), Fields(ServingConfig{}));

  ServingConfig again;  // back to the defaults, preferred sizes emptied
  again.pinned = true;
  ASSERT_TRUE(store_->UpdateServingConfig("default", "mnist", 1, again).ok());
  EXPECT_EQ(Fields(store_->GetVersion("default", "mnist", 1)->config), Fields(again));
  EXPECT_EQ(ConfigRows(), 2);  // replaced, not added
}

TEST_F(SqliteServingConfigTest, UpdateErrors) {
  OpenStore();
  ASSERT_TRUE(CreateVersion(std::nullopt).ok());
  ASSERT_TRUE(CreateVersion(std::nullopt).ok());
  ASSERT_TRUE(store_->DeleteVersion("default", "mnist", 2).ok());
  EXPECT_EQ(store_->UpdateServingConfig("default", "nope", 1, Tuned()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->UpdateServingConfig("other", "mnist", 1, Tuned()).status().code(),
            absl::StatusCode::kNotFound);
  auto missing = store_->UpdateServingConfig("default", "mnist", 2, Tuned());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("version 2 of model 'mnist' not found"));

  ServingConfig bad;
  bad.instance_count = 0;
  auto rejected = store_->UpdateServingConfig("default", "mnist", 1, bad);
  EXPECT_EQ(rejected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rejected.status().message(), HasSubstr("instance_count must be >= 1, got 0"));
  bad = ServingConfig{};
  bad.preferred_batch_sizes = {2, 0};
  EXPECT_EQ(store_->UpdateServingConfig("default", "mnist", 1, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Fields(store_->GetVersion("default", "mnist", 1)->config), Fields(ServingConfig{}));
}

TEST_F(SqliteServingConfigTest, CreateVersionRejectsUnstorableConfigBeforeNumbering) {
  OpenStore();
  for (auto set : std::vector<void (*)(ServingConfig&)>{
           [](ServingConfig& c) { c.max_batch_size = -1; },
           [](ServingConfig& c) { c.max_queue_delay_us = -1; },
           [](ServingConfig& c) { c.max_queue_size = 0; },
           [](ServingConfig& c) { c.default_timeout_ms = 0; },
       }) {
    ServingConfig config;
    set(config);
    EXPECT_EQ(CreateVersion(config).status().code(), absl::StatusCode::kInvalidArgument);
  }
  auto created = CreateVersion(std::nullopt);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->version, 1);
}

TEST_F(SqliteServingConfigTest, TableChecksRejectBadRows) {
  OpenStore();
  ASSERT_TRUE(CreateVersion(std::nullopt).ok());
  const std::string update = "UPDATE version_serving_configs SET ";
  for (const char* assignment :
       {"max_batch_size = -1", "max_queue_delay_us = -5", "preferred_batch_sizes = '1,-2'",
        "preferred_batch_sizes = '1, 2'", "preferred_batch_sizes = NULL", "instance_count = 0",
        "max_queue_size = 0", "default_timeout_ms = 0", "warmup = 2", "pinned = -1"}) {
    EXPECT_EQ(RawSqlCode(path_, update + assignment), SQLITE_CONSTRAINT) << assignment;
  }
}

TEST_F(SqliteServingConfigTest, CorruptStoredValueIsInternal) {
  OpenStore();
  ASSERT_TRUE(CreateVersion(Tuned()).ok());
  for (const char* sizes : {"4,,8", "0", "99999999999"}) {
    RawSql(path_, std::string("UPDATE version_serving_configs SET preferred_batch_sizes = '") +
                      sizes + "'");
    auto got = store_->GetVersion("default", "mnist", 1);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInternal) << sizes;
    EXPECT_THAT(got.status().message(), HasSubstr("corrupt serving config")) << sizes;
  }
  RawSql(path_,
         "UPDATE version_serving_configs SET preferred_batch_sizes = '4',"
         " instance_count = 4294967296");
  EXPECT_EQ(store_->GetVersion("default", "mnist", 1).status().code(), absl::StatusCode::kInternal);
}

TEST_F(SqliteServingConfigTest, DeletingVersionOrModelCascades) {
  OpenStore();
  ASSERT_TRUE(CreateVersion(Tuned()).ok());
  ASSERT_TRUE(CreateVersion(Tuned()).ok());
  ASSERT_TRUE(CreateVersion(std::nullopt).ok());
  EXPECT_EQ(ConfigRows(), 3);
  ASSERT_TRUE(store_->DeleteVersion("default", "mnist", 2).ok());
  EXPECT_EQ(ConfigRows(), 2);
  EXPECT_EQ(RawSql(path_,
                   "SELECT COUNT(*) FROM version_serving_configs c"
                   " JOIN versions v ON v.id = c.version_id WHERE v.version = 2"),
            0);
  ASSERT_TRUE(store_->DeleteModel("default", "mnist").ok());
  EXPECT_EQ(ConfigRows(), 0);
}

// A file left by a build that knew only schema step 1 (no serving configs).
TEST_F(SqliteServingConfigTest, SchemaVersion1DatabaseMigratesAndReadsDefaults) {
  {
    auto conn = sqlite::Connection::Open(path_, sqlite::ConnectionOptions{});
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE(sqlite::MigrateSchemaTo(**conn, 1, 0).ok());
  }
  RawSql(path_,
         "INSERT INTO models(id, tenant_id, name, created_at_ms, updated_at_ms, next_version)"
         "  VALUES (1, 1, 'mnist', 10, 10, 2);"
         "INSERT INTO versions(id, model_id, version, format, digest, size_bytes, created_at_ms)"
         "  VALUES (1, 1, 1, 'torchscript', 'sha256:old', 5, 20);"
         "INSERT INTO version_tensors(version_id, io, position, name, dtype, shape)"
         "  VALUES (1, 'input', 0, 'x', 'FP32', '-1,4');");
  EXPECT_EQ(RawSql(path_, "SELECT MAX(version) FROM schema_migrations"), 1);
  EXPECT_EQ(RawSql(path_,
                   "SELECT COUNT(*) FROM sqlite_master"
                   " WHERE name = 'version_serving_configs'"),
            0);

  OpenStore();
  EXPECT_EQ(RawSql(path_, "SELECT MAX(version) FROM schema_migrations"),
            sqlite::LatestSchemaVersion());
  EXPECT_EQ(ConfigRows(), 0);  // no backfill: a missing row means the defaults
  auto old = store_->GetVersion("default", "mnist", 1);
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->digest, "sha256:old");
  ASSERT_EQ(old->signature.inputs.size(), 1u);
  EXPECT_EQ(Fields(old->config), Fields(ServingConfig{}));
  auto listed = store_->ListVersions("default", "mnist");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(Fields((*listed)[0].config), Fields(ServingConfig{}));

  auto created = CreateVersion(Tuned());  // new versions get a row as usual
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->version, 2);
  auto updated = store_->UpdateServingConfig("default", "mnist", 1, Tuned());
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(Fields(updated->config), Fields(Tuned()));
  EXPECT_EQ(ConfigRows(), 2);
  EXPECT_THAT(store_->ListAliases("default", "mnist").value(), IsEmpty());
}

}  // namespace
}  // namespace aiaas::storage
