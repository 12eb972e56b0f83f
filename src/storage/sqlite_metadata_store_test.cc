#include "storage/sqlite_metadata_store.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/sqlite_schema.h"
#include "storage/test_raw_sql.h"
#include "storage/test_temp_dir.h"

namespace aiaas::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class SqliteMetadataStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/metadata.db";
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<SqliteMetadataStore> OpenStore() {
    SqliteMetadataStoreOptions options;
    options.now_ms = [this] { return now_ms_.load(); };
    auto store = SqliteMetadataStore::Open(path_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  ModelRecord CreateModel(const std::string& name, const std::string& tenant = "default") {
    ModelRecord model;
    model.tenant = tenant;
    model.name = name;
    auto created = store_->CreateModel(model);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : ModelRecord{};
  }

  int64_t CreateVersion(const std::string& model, const std::string& digest = "sha256:aa",
                        const std::string& tenant = "default") {
    VersionRecord version;
    version.tenant = tenant;
    version.model = model;
    version.format = "torchscript";
    version.digest = digest;
    version.size_bytes = 42;
    auto created = store_->CreateVersion(version);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->version : -1;
  }

  std::vector<std::string> ListNames(const std::string& tenant) {
    std::vector<std::string> names;
    std::string token;
    do {
      auto page = store_->ListModels(tenant, 1000, token);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      for (const auto& model : page->items) names.push_back(model.name);
      token = page->next_page_token;
    } while (!token.empty());
    return names;
  }

  TestTempDir dir_;
  std::string path_;
  std::atomic<int64_t> now_ms_{1'000};
  std::unique_ptr<SqliteMetadataStore> store_;
};

// ---- Schema migrations ----

TEST_F(SqliteMetadataStoreTest, OpenTwiceIsIdempotent) {
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(RawSql(path_, "SELECT COUNT(*) FROM schema_migrations"), sqlite::LatestSchemaVersion());
  EXPECT_EQ(RawSql(path_, "SELECT MAX(version) FROM schema_migrations"),
            sqlite::LatestSchemaVersion());
  EXPECT_EQ(RawSql(path_, "SELECT COUNT(*) FROM tenants WHERE name = 'default'"), 1);
  EXPECT_EQ(RawSql(path_, "SELECT COUNT(*) FROM tenants"), 1);
}

TEST_F(SqliteMetadataStoreTest, UsesWalJournal) {
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(SqliteMetadataStoreTest, ReopenKeepsData) {
  CreateModel("mnist");
  CreateVersion("mnist");
  store_.reset();
  store_ = OpenStore();
  ASSERT_NE(store_, nullptr);
  EXPECT_TRUE(store_->GetModel("default", "mnist").ok());
  EXPECT_EQ(CreateVersion("mnist"), 2);
}

TEST_F(SqliteMetadataStoreTest, RefusesDatabaseFromNewerSchema) {
  store_.reset();
  RawSql(path_, "INSERT INTO schema_migrations(version, applied_at_ms) VALUES (9999, 0)");
  auto reopened = SqliteMetadataStore::Open(path_);
  EXPECT_EQ(reopened.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(reopened.status().message(), HasSubstr("9999 is newer than this build supports"));
}

TEST_F(SqliteMetadataStoreTest, OpenFailsInMissingFolder) {
  auto store = SqliteMetadataStore::Open(dir_.path() + "/no/such/folder/metadata.db");
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInternal);
}

// ---- Models ----

TEST_F(SqliteMetadataStoreTest, CreateAndGetModel) {
  ModelRecord model;
  model.tenant = "default";
  model.name = "mnist";
  model.description = "digits";
  model.labels = {{"team", "vision"}, {"tier", "gold"}};
  model.created_at_ms = 5;  // ignored: the store stamps times
  auto created = store_->CreateModel(model);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->created_at_ms, 1'000);
  EXPECT_EQ(created->updated_at_ms, 1'000);

  auto got = store_->GetModel("default", "mnist");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->tenant, "default");
  EXPECT_EQ(got->name, "mnist");
  EXPECT_EQ(got->description, "digits");
  EXPECT_EQ(got->labels, model.labels);
  EXPECT_EQ(got->created_at_ms, 1'000);
}

TEST_F(SqliteMetadataStoreTest, DuplicateModelIsAlreadyExists) {
  CreateModel("mnist");
  ModelRecord again;
  again.tenant = "default";
  again.name = "mnist";
  EXPECT_EQ(store_->CreateModel(again).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(SqliteMetadataStoreTest, UnknownModelOrTenantIsNotFound) {
  EXPECT_EQ(store_->GetModel("default", "nope").status().code(), absl::StatusCode::kNotFound);
  ModelRecord model;
  model.tenant = "nobody";
  model.name = "mnist";
  auto created = store_->CreateModel(model);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(created.status().message(), HasSubstr("tenant 'nobody'"));
  auto page = store_->ListModels("nobody", 10, "");
  ASSERT_TRUE(page.ok());
  EXPECT_THAT(page->items, IsEmpty());
}

TEST_F(SqliteMetadataStoreTest, NamesAreBoundNotInterpolated) {
  const std::string tricky = "x'); DROP TABLE models; --";
  CreateModel(tricky);
  EXPECT_TRUE(store_->GetModel("default", tricky).ok());
  EXPECT_THAT(ListNames("default"), ElementsAre(tricky));
}

TEST_F(SqliteMetadataStoreTest, ListModelsPaginates) {
  for (const char* name : {"echo", "alpha", "delta", "bravo", "charlie"}) CreateModel(name);
  std::vector<std::vector<std::string>> pages;
  std::string token;
  do {
    auto page = store_->ListModels("default", 2, token);
    ASSERT_TRUE(page.ok()) << page.status();
    auto& names = pages.emplace_back();
    for (const auto& model : page->items) names.push_back(model.name);
    token = page->next_page_token;
  } while (!token.empty() && pages.size() < 10);
  EXPECT_THAT(pages, ElementsAre(ElementsAre("alpha", "bravo"), ElementsAre("charlie", "delta"),
                                 ElementsAre("echo")));
}

TEST_F(SqliteMetadataStoreTest, ExactlyFullLastPageHasNoToken) {
  for (const char* name : {"a", "b", "c", "d"}) CreateModel(name);
  auto first = store_->ListModels("default", 2, "");
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token.empty());
  auto second = store_->ListModels("default", 2, first->next_page_token);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->items.size(), 2u);
  EXPECT_EQ(second->next_page_token, "");
}

TEST_F(SqliteMetadataStoreTest, ListModelsRejectsBadArguments) {
  for (const char* token : {"zz", "abc", "ABCD", "6d6e6973 ", "%"}) {
    EXPECT_EQ(store_->ListModels("default", 10, token).status().code(),
              absl::StatusCode::kInvalidArgument)
        << token;
  }
  EXPECT_EQ(store_->ListModels("default", 0, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->ListModels("default", 1001, "").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteMetadataStoreTest, ListModelsReturnsEachModelsLabels) {
  ModelRecord a;
  a.tenant = "default";
  a.name = "a";
  a.labels = {{"k", "1"}};
  ModelRecord b = a;
  b.name = "b";
  b.labels = {};
  ModelRecord c = a;
  c.name = "c";
  c.labels = {{"k", "3"}, {"z", ""}};
  for (const auto& m : {a, b, c}) ASSERT_TRUE(store_->CreateModel(m).ok());
  auto first = store_->ListModels("default", 2, "");
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].labels, a.labels);
  EXPECT_EQ(first->items[1].labels, b.labels);
  auto second = store_->ListModels("default", 2, first->next_page_token);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].labels, c.labels);
}

TEST_F(SqliteMetadataStoreTest, UpdateModelChangesOnlyGivenFields) {
  ModelRecord model;
  model.tenant = "default";
  model.name = "mnist";
  model.description = "old";
  model.labels = {{"team", "vision"}};
  ASSERT_TRUE(store_->CreateModel(model).ok());

  now_ms_ = 2'000;
  ModelUpdate description_only;
  description_only.description = "new";
  auto updated = store_->UpdateModel("default", "mnist", description_only);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->description, "new");
  EXPECT_EQ(updated->labels, model.labels);
  EXPECT_EQ(updated->created_at_ms, 1'000);
  EXPECT_EQ(updated->updated_at_ms, 2'000);

  now_ms_ = 3'000;
  ModelUpdate labels_only;
  labels_only.labels = std::map<std::string, std::string>{{"owner", "ana"}};
  updated = store_->UpdateModel("default", "mnist", labels_only);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->description, "new");
  EXPECT_EQ(updated->labels, (std::map<std::string, std::string>{{"owner", "ana"}}));
  EXPECT_EQ(updated->updated_at_ms, 3'000);

  now_ms_ = 4'000;
  updated = store_->UpdateModel("default", "mnist", ModelUpdate{});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->updated_at_ms, 3'000);  // nothing changed

  auto got = store_->GetModel("default", "mnist");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->labels, updated->labels);
  EXPECT_EQ(store_->UpdateModel("default", "nope", description_only).status().code(),
            absl::StatusCode::kNotFound);
}

// ---- Versions ----

TEST_F(SqliteMetadataStoreTest, VersionNumbersAreNeverReused) {
  CreateModel("mnist");
  EXPECT_EQ(CreateVersion("mnist"), 1);
  EXPECT_EQ(CreateVersion("mnist"), 2);
  EXPECT_EQ(CreateVersion("mnist"), 3);
  ASSERT_TRUE(store_->DeleteVersion("default", "mnist", 3).ok());
  EXPECT_EQ(CreateVersion("mnist"), 4);
  auto latest = store_->GetLatestVersion("default", "mnist");
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->version, 4);

  auto versions = store_->ListVersions("default", "mnist");
  ASSERT_TRUE(versions.ok());
  std::vector<int64_t> numbers;
  for (const auto& v : *versions) numbers.push_back(v.version);
  EXPECT_THAT(numbers, ElementsAre(1, 2, 4));
}

TEST_F(SqliteMetadataStoreTest, VersionErrors) {
  VersionRecord orphan;
  orphan.tenant = "default";
  orphan.model = "nope";
  EXPECT_EQ(store_->CreateVersion(orphan).status().code(), absl::StatusCode::kNotFound);
  CreateModel("mnist");
  EXPECT_EQ(store_->GetLatestVersion("default", "mnist").status().code(),
            absl::StatusCode::kNotFound);
  auto none = store_->ListVersions("default", "mnist");
  ASSERT_TRUE(none.ok());
  EXPECT_THAT(*none, IsEmpty());
  EXPECT_EQ(store_->ListVersions("default", "nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetVersion("default", "mnist", 1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteVersion("default", "mnist", 1).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SqliteMetadataStoreTest, VersionRoundTripsWithSignature) {
  CreateModel("mnist");
  VersionRecord version;
  version.tenant = "default";
  version.model = "mnist";
  version.format = "onnx";
  version.digest = "sha256:" + std::string(64, 'a');
  version.size_bytes = 410'123;
  version.description = "first";
  version.signature.inputs = {
      TensorSpec{"x", DataType::kFp32, std::vector<int64_t>{1, -1, 784}},
      TensorSpec{"any", std::nullopt, std::nullopt},
      TensorSpec{"scalar", DataType::kInt64, std::vector<int64_t>{}},
  };
  version.signature.outputs = {
      TensorSpec{"z_logits", DataType::kBf16, std::nullopt},
      TensorSpec{"a_probs", std::nullopt, std::vector<int64_t>{-1, 10}},
  };
  now_ms_ = 7'000;
  auto created = store_->CreateVersion(version);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->version, 1);
  EXPECT_EQ(created->created_at_ms, 7'000);

  auto got = store_->GetVersion("default", "mnist", 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->tenant, "default");
  EXPECT_EQ(got->model, "mnist");
  EXPECT_EQ(got->format, "onnx");
  EXPECT_EQ(got->digest, version.digest);
  EXPECT_EQ(got->size_bytes, 410'123);
  EXPECT_EQ(got->description, "first");
  EXPECT_EQ(got->created_at_ms, 7'000);
  const auto& in = got->signature.inputs;
  ASSERT_EQ(in.size(), 3u);
  EXPECT_EQ(in[0].name, "x");
  EXPECT_EQ(in[0].dtype, DataType::kFp32);
  EXPECT_EQ(in[0].shape, (std::vector<int64_t>{1, -1, 784}));
  EXPECT_EQ(in[1].name, "any");
  EXPECT_FALSE(in[1].dtype.has_value());
  EXPECT_FALSE(in[1].shape.has_value());
  EXPECT_EQ(in[2].name, "scalar");
  ASSERT_TRUE(in[2].shape.has_value());
  EXPECT_THAT(*in[2].shape, IsEmpty());
  const auto& out = got->signature.outputs;
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].name, "z_logits");  // model order, not sorted
  EXPECT_EQ(out[0].dtype, DataType::kBf16);
  EXPECT_FALSE(out[0].shape.has_value());
  EXPECT_EQ(out[1].name, "a_probs");
  EXPECT_EQ(out[1].shape, (std::vector<int64_t>{-1, 10}));

  auto listed = store_->ListVersions("default", "mnist");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].signature.inputs.size(), 3u);
  EXPECT_EQ((*listed)[0].signature.outputs.size(), 2u);
}

// ---- Aliases ----

TEST_F(SqliteMetadataStoreTest, AliasesSetMoveResolveDelete) {
  CreateModel("mnist");
  CreateVersion("mnist");
  CreateVersion("mnist");
  ASSERT_TRUE(store_->SetAlias("default", "mnist", "production", 1).ok());
  ASSERT_TRUE(store_->SetAlias("default", "mnist", "canary", 2).ok());
  EXPECT_EQ(*store_->ResolveAlias("default", "mnist", "production"), 1);

  ASSERT_TRUE(store_->SetAlias("default", "mnist", "production", 2).ok());  // move
  EXPECT_EQ(*store_->ResolveAlias("default", "mnist", "production"), 2);
  auto aliases = store_->ListAliases("default", "mnist");
  ASSERT_TRUE(aliases.ok());
  ASSERT_EQ(aliases->size(), 2u);
  EXPECT_EQ((*aliases)[0].alias, "canary");
  EXPECT_EQ((*aliases)[1].alias, "production");
  EXPECT_EQ((*aliases)[1].version, 2);

  ASSERT_TRUE(store_->DeleteAlias("default", "mnist", "canary").ok());
  EXPECT_EQ(store_->ResolveAlias("default", "mnist", "canary").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->DeleteAlias("default", "mnist", "canary").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->SetAlias("default", "mnist", "x", 9).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->SetAlias("default", "nope", "x", 1).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ListAliases("default", "nope").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(SqliteMetadataStoreTest, DeletingVersionRemovesItsAliases) {
  CreateModel("mnist");
  CreateVersion("mnist", "sha256:one");
  CreateVersion("mnist", "sha256:two");
  ASSERT_TRUE(store_->SetAlias("default", "mnist", "production", 1).ok());
  ASSERT_TRUE(store_->SetAlias("default", "mnist", "canary", 2).ok());
  auto digest = store_->DeleteVersion("default", "mnist", 1);
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, "sha256:one");
  EXPECT_EQ(store_->ResolveAlias("default", "mnist", "production").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(*store_->ResolveAlias("default", "mnist", "canary"), 2);
}

// ---- Deletion and digests ----

TEST_F(SqliteMetadataStoreTest, DeleteModelCascadesAndReturnsDigests) {
  ModelRecord model;
  model.tenant = "default";
  model.name = "mnist";
  model.labels = {{"a", "b"}};
  ASSERT_TRUE(store_->CreateModel(model).ok());
  CreateVersion("mnist", "sha256:bb");
  CreateVersion("mnist", "sha256:aa");
  CreateVersion("mnist", "sha256:bb");
  ASSERT_TRUE(store_->SetAlias("default", "mnist", "production", 1).ok());

  auto digests = store_->DeleteModel("default", "mnist");
  ASSERT_TRUE(digests.ok()) << digests.status();
  EXPECT_THAT(*digests, ElementsAre("sha256:aa", "sha256:bb"));
  EXPECT_EQ(store_->GetModel("default", "mnist").status().code(), absl::StatusCode::kNotFound);
  for (const char* table : {"models", "model_labels", "versions", "version_tensors",
                            "version_serving_configs", "aliases"}) {
    EXPECT_EQ(RawSql(path_, std::string("SELECT COUNT(*) FROM ") + table), 0) << table;
  }
  EXPECT_EQ(store_->DeleteModel("default", "mnist").status().code(), absl::StatusCode::kNotFound);

  CreateModel("mnist");  // a new model with the same name starts over
  EXPECT_EQ(CreateVersion("mnist"), 1);
}

TEST_F(SqliteMetadataStoreTest, CountDigestReferencesSpansModelsAndTenants) {
  RawSql(path_, "INSERT INTO tenants(name, created_at_ms) VALUES ('acme', 0)");
  CreateModel("a");
  CreateModel("b");
  CreateModel("a", "acme");
  CreateVersion("a", "sha256:shared");
  CreateVersion("b", "sha256:shared");
  CreateVersion("a", "sha256:shared", "acme");
  CreateVersion("a", "sha256:own");
  EXPECT_EQ(*store_->CountDigestReferences("sha256:shared"), 3);
  EXPECT_EQ(*store_->CountDigestReferences("sha256:own"), 1);
  EXPECT_EQ(*store_->CountDigestReferences("sha256:none"), 0);
  ASSERT_TRUE(store_->DeleteModel("default", "b").ok());
  EXPECT_EQ(*store_->CountDigestReferences("sha256:shared"), 2);
}

// ---- Tenants ----

TEST_F(SqliteMetadataStoreTest, TenantsAreIsolated) {
  RawSql(path_, "INSERT INTO tenants(name, created_at_ms) VALUES ('acme', 0)");
  CreateModel("mnist");
  CreateModel("mnist", "acme");
  CreateModel("only-acme", "acme");
  EXPECT_THAT(ListNames("default"), ElementsAre("mnist"));
  EXPECT_THAT(ListNames("acme"), ElementsAre("mnist", "only-acme"));
  EXPECT_EQ(store_->GetModel("default", "only-acme").status().code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(CreateVersion("mnist", "sha256:d"), 1);
  EXPECT_EQ(CreateVersion("mnist", "sha256:d"), 2);
  EXPECT_EQ(CreateVersion("mnist", "sha256:a", "acme"), 1);
  ASSERT_TRUE(store_->SetAlias("default", "mnist", "production", 2).ok());
  EXPECT_EQ(store_->ResolveAlias("acme", "mnist", "production").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetVersion("acme", "mnist", 2).status().code(), absl::StatusCode::kNotFound);
  auto acme_v1 = store_->GetVersion("acme", "mnist", 1);
  ASSERT_TRUE(acme_v1.ok());
  EXPECT_EQ(acme_v1->tenant, "acme");
  EXPECT_EQ(acme_v1->digest, "sha256:a");

  ASSERT_TRUE(store_->DeleteModel("acme", "mnist").ok());
  EXPECT_TRUE(store_->GetModel("default", "mnist").ok());
  EXPECT_EQ(*store_->ResolveAlias("default", "mnist", "production"), 2);
}

// ---- Concurrency ----

TEST_F(SqliteMetadataStoreTest, ConcurrentCreateVersionAssignsDistinctNumbers) {
  CreateModel("mnist");
  // Two stores on one file stand in for two processes; two threads on each.
  std::unique_ptr<SqliteMetadataStore> other = OpenStore();
  ASSERT_NE(other, nullptr);
  constexpr int kPerThread = 20;
  std::vector<std::vector<int64_t>> numbers(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    SqliteMetadataStore* store = t % 2 == 0 ? store_.get() : other.get();
    threads.emplace_back([store, &numbers, t] {
      VersionRecord version;
      version.tenant = "default";
      version.model = "mnist";
      version.format = "torchscript";
      version.digest = "sha256:aa";
      for (int i = 0; i < kPerThread; ++i) {
        auto created = store->CreateVersion(version);
        ASSERT_TRUE(created.ok()) << created.status();
        numbers[t].push_back(created->version);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<int64_t> all;
  for (const auto& list : numbers) all.insert(list.begin(), list.end());
  EXPECT_EQ(all.size(), 4u * kPerThread);
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), 4 * kPerThread);
}

}  // namespace
}  // namespace aiaas::storage
