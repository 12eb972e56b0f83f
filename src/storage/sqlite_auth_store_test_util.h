#ifndef AIAAS_STORAGE_SQLITE_AUTH_STORE_TEST_UTIL_H_
#define AIAAS_STORAGE_SQLITE_AUTH_STORE_TEST_UTIL_H_

// Record printers and the fixture shared by the SqliteMetadataStore-as-AuthStore tests
// (sqlite_auth_store_test.cc, sqlite_api_key_store_test.cc).
#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/auth_store.h"
#include "storage/sqlite_connection.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/sqlite_schema.h"
#include "storage/test_raw_sql.h"
#include "storage/test_temp_dir.h"


namespace aiaas::storage::auth_test {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Every field, so that EXPECT_EQ compares (and prints) whole records.
inline auto Fields(const ApiKeyRecord& k) {
  return std::make_tuple(k.id, k.secret_hash, k.tenant, k.principal_id, k.name, k.role,
                         k.server_admin, k.models, k.actions, k.rate_limit_rps, k.created_at_ms,
                         k.expires_at_ms, k.revoked_at_ms);
}
inline auto Fields(const PrincipalRecord& p) {
  return std::make_tuple(p.id, p.tenant, p.name, p.kind, p.created_at_ms);
}
inline auto Fields(const GrantRecord& g) {
  return std::make_tuple(g.owner_tenant, g.model, g.grantee_tenant, g.permission, g.created_at_ms);
}

inline std::vector<std::string> Ids(const std::vector<ApiKeyRecord>& keys) {
  std::vector<std::string> ids;
  for (const ApiKeyRecord& key : keys) ids.push_back(key.id);
  return ids;
}

inline std::vector<std::string> Names(const std::vector<TenantRecord>& tenants) {
  std::vector<std::string> names;
  for (const TenantRecord& tenant : tenants) names.push_back(tenant.name);
  return names;
}

inline std::vector<std::string> Names(const std::vector<PrincipalRecord>& principals) {
  std::vector<std::string> names;
  for (const PrincipalRecord& principal : principals) names.push_back(principal.name);
  return names;
}

// "owner/model->grantee:permission" per grant.
inline std::vector<std::string> Describe(const std::vector<GrantRecord>& grants) {
  std::vector<std::string> out;
  for (const GrantRecord& g : grants) {
    out.push_back(g.owner_tenant + "/" + g.model + "->" + g.grantee_tenant + ":" + g.permission);
  }
  return out;
}

// A key with only the required fields: no principal, lists or optionals.
inline ApiKeyRecord MinimalKey(const std::string& id, const std::string& tenant = "default",
                        int64_t created_at_ms = 100) {
  ApiKeyRecord key;
  key.id = id;
  key.secret_hash = "hash-" + id;
  key.tenant = tenant;
  key.role = "viewer";
  key.created_at_ms = created_at_ms;
  return key;
}

class SqliteAuthStoreTest : public ::testing::Test {
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

  // The store through the interface under test.
  AuthStore& auth() { return *store_; }

  void CreateTenant(const std::string& name) {
    auto created = auth().CreateTenant(name);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  void CreateModel(const std::string& name, const std::string& tenant = "default") {
    ModelRecord model;
    model.tenant = tenant;
    model.name = name;
    auto created = store_->CreateModel(model);
    ASSERT_TRUE(created.ok()) << created.status();
  }

  int64_t CreatePrincipal(const std::string& name, const std::string& tenant = "default") {
    PrincipalRecord principal;
    principal.tenant = tenant;
    principal.name = name;
    principal.kind = "user";
    auto created = auth().CreatePrincipal(principal);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? created->id : -1;
  }

  void CreateKey(const ApiKeyRecord& key) {
    absl::Status status = auth().CreateApiKey(key);
    ASSERT_TRUE(status.ok()) << status;
  }

  std::optional<int64_t> RevokedAt(const std::string& id) {
    auto key = auth().GetApiKey(id);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? key->revoked_at_ms : std::nullopt;
  }

  absl::StatusOr<GrantRecord> PutGrant(const std::string& owner, const std::string& model,
                                       const std::string& grantee, const std::string& permission) {
    return auth().PutGrant(GrantRecord{owner, model, grantee, permission, 0});
  }

  int64_t Count(const std::string& table) { return RawSql(path_, "SELECT COUNT(*) FROM " + table); }

  TestTempDir dir_;
  std::string path_;
  std::atomic<int64_t> now_ms_{1'000};
  std::unique_ptr<SqliteMetadataStore> store_;
};

}  // namespace aiaas::storage::auth_test

#endif  // AIAAS_STORAGE_SQLITE_AUTH_STORE_TEST_UTIL_H_
