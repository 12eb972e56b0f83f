#include "server/auth_admission.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "services/auth_service.h"
#include "services/permissions.h"
#include "storage/sqlite_metadata_store.h"

namespace aiaas::server {
namespace {

using services::Action;
using services::Caller;
using services::Role;

std::optional<std::string> HeaderOf(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

HttpRequest Request(const std::string& method, const std::string& route) {
  HttpRequest request;
  request.method = method;
  request.route = route;
  request.path = route;
  return request;
}

HttpRequest WithBearer(HttpRequest request, const std::string& key) {
  request.headers.emplace_back("authorization", "Bearer " + key);
  return request;
}

// A real AuthService over an in-memory SQLite store and a fake clock.
class AuthAdmissionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::SqliteMetadataStore::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    for (const char* tenant : {"default", "team-a", "team-b"}) {
      auto created = store_->CreateTenant(tenant);
      ASSERT_TRUE(created.ok() || absl::IsAlreadyExists(created.status())) << created.status();
    }
    auth_ = std::make_unique<services::AuthService>(store_.get(), &clock_);
    server_admin_.tenant = "default";
    server_admin_.role = Role::kAdmin;
    server_admin_.server_admin = true;
  }

  // A new key in `tenant` with `role`; its id in `id` when given.
  std::string NewKey(const std::string& tenant, const std::string& role,
                     std::optional<double> rate_limit_rps = std::nullopt,
                     std::string* id = nullptr) {
    services::CreateKeyRequest request;
    request.tenant = tenant;
    request.role = role;
    request.rate_limit_rps = rate_limit_rps;
    auto created = auth_->CreateKey(server_admin_, request);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok()) return "";
    if (id != nullptr) *id = created->record.id;
    return created->key;
  }

  // Admits a copy of `request`; `caller` receives what admission set.
  std::optional<HttpResponse> Admit(AuthAdmission& admission, HttpRequest request,
                                    std::shared_ptr<const Caller>* caller = nullptr) {
    std::optional<HttpResponse> response = admission.Admit(request);
    if (caller != nullptr) *caller = request.caller;
    return response;
  }

  void ExpectUnauthenticated(const std::optional<HttpResponse>& response) {
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 401);
    EXPECT_EQ(response->body, R"({"error":"missing or invalid API key"})");
    EXPECT_EQ(HeaderOf(*response, "WWW-Authenticate"), "Bearer");
  }

  FakeClock clock_;
  std::unique_ptr<storage::SqliteMetadataStore> store_;
  std::unique_ptr<services::AuthService> auth_;
  Caller server_admin_;
};

TEST_F(AuthAdmissionTest, HealthRoutesNeedNoKey) {
  AuthAdmission admission(auth_.get(), &clock_);
  std::shared_ptr<const Caller> caller;
  EXPECT_FALSE(Admit(admission, Request("GET", "/v2/health/live"), &caller).has_value());
  EXPECT_EQ(caller, nullptr);
  EXPECT_FALSE(Admit(admission, Request("GET", "/v2/health/ready")).has_value());
  ExpectUnauthenticated(Admit(admission, Request("GET", "/v2")));
  ExpectUnauthenticated(Admit(admission, Request("GET", "/metrics")));
}

TEST_F(AuthAdmissionTest, EveryKeyFailureIsTheSame401) {
  AuthAdmission admission(auth_.get(), &clock_);
  const std::string route = "/api/v1/models";
  std::string revoked_id;
  const std::string revoked = NewKey("team-a", "viewer", std::nullopt, &revoked_id);
  ASSERT_TRUE(auth_->RevokeKey(server_admin_, revoked_id).ok());
  services::CreateKeyRequest expiring_request;
  expiring_request.tenant = "team-a";
  expiring_request.role = "viewer";
  expiring_request.expires_in_s = 10;
  auto expiring = auth_->CreateKey(server_admin_, expiring_request);
  ASSERT_TRUE(expiring.ok()) << expiring.status();
  const std::string valid = NewKey("team-a", "viewer");
  clock_.Advance(absl::Seconds(11));

  ExpectUnauthenticated(Admit(admission, Request("GET", route)));  // no key at all
  for (const std::string& key :
       {std::string(""), std::string("garbage"), std::string("aiaas_0123456789abcdef_nope"),
        valid.substr(0, valid.size() - 1) + (valid.back() == 'a' ? "b" : "a"), revoked,
        expiring->key}) {
    SCOPED_TRACE(key);
    ExpectUnauthenticated(Admit(admission, WithBearer(Request("GET", route), key)));
  }
  HttpRequest basic = Request("GET", route);
  basic.headers.emplace_back("authorization", "Basic " + valid);
  ExpectUnauthenticated(Admit(admission, basic));
}

TEST_F(AuthAdmissionTest, BearerAndXApiKeySetTheCaller) {
  AuthAdmission admission(auth_.get(), &clock_);
  const std::string key = NewKey("team-a", "editor");
  std::shared_ptr<const Caller> caller;

  EXPECT_FALSE(
      Admit(admission, WithBearer(Request("GET", "/api/v1/models"), key), &caller).has_value());
  ASSERT_NE(caller, nullptr);
  EXPECT_EQ(caller->tenant, "team-a");
  EXPECT_EQ(caller->role, Role::kEditor);

  HttpRequest lowercase = Request("GET", "/api/v1/models");
  lowercase.headers.emplace_back("authorization", "bearer   " + key + " ");
  EXPECT_FALSE(Admit(admission, lowercase).has_value());

  HttpRequest x_api_key = Request("POST", "/v2/models/{model}/infer");
  x_api_key.headers.emplace_back("x-api-key", key);
  caller = nullptr;
  EXPECT_FALSE(Admit(admission, x_api_key, &caller).has_value());
  ASSERT_NE(caller, nullptr);
  EXPECT_EQ(caller->tenant, "team-a");
}

TEST_F(AuthAdmissionTest, ManagementBurstIsRefusedWith429AndHeaders) {
  AuthAdmissionOptions options;
  options.key_management = services::RateLimit{1, 3};
  AuthAdmission admission(auth_.get(), &clock_, options);
  const HttpRequest request =
      WithBearer(Request("GET", "/api/v1/models"), NewKey("team-a", "admin"));

  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Admit(admission, request).has_value()) << i;
  std::optional<HttpResponse> refused = Admit(admission, request);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  EXPECT_NE(refused->body.find("rate limit exceeded: this API key may send 1 management"),
            std::string::npos)
      << refused->body;
  EXPECT_EQ(HeaderOf(*refused, "Retry-After"), "1");
  EXPECT_EQ(HeaderOf(*refused, "RateLimit-Limit"), "3");
  EXPECT_EQ(HeaderOf(*refused, "RateLimit-Remaining"), "0");
  EXPECT_EQ(HeaderOf(*refused, "RateLimit-Reset"), "3");

  // Inference has its own bucket.
  HttpRequest infer = request;
  infer.route = "/v2/models/{model}/infer";
  EXPECT_FALSE(Admit(admission, infer).has_value());
  // /metrics counts as management.
  HttpRequest metrics = request;
  metrics.route = "/metrics";
  EXPECT_EQ(Admit(admission, metrics)->status, 429);

  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(Admit(admission, request).has_value());
  EXPECT_EQ(Admit(admission, request)->status, 429);
}

TEST_F(AuthAdmissionTest, TenantBucketIsSharedByItsKeysOnly) {
  AuthAdmissionOptions options;
  options.tenant_inference = services::RateLimit{1, 2};
  AuthAdmission admission(auth_.get(), &clock_, options);
  const HttpRequest infer = Request("POST", "/v1/models/{model}:predict");
  const HttpRequest a1 = WithBearer(infer, NewKey("team-a", "inference"));
  const HttpRequest a2 = WithBearer(infer, NewKey("team-a", "inference"));
  const HttpRequest b = WithBearer(infer, NewKey("team-b", "inference"));

  EXPECT_FALSE(Admit(admission, a1).has_value());
  EXPECT_FALSE(Admit(admission, a2).has_value());
  std::optional<HttpResponse> refused = Admit(admission, a1);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  EXPECT_NE(refused->body.find("tenant 'team-a'"), std::string::npos) << refused->body;
  EXPECT_EQ(Admit(admission, a2)->status, 429);
  // Another tenant is untouched by team-a's burst.
  EXPECT_FALSE(Admit(admission, b).has_value());
  EXPECT_FALSE(Admit(admission, b).has_value());
}

TEST_F(AuthAdmissionTest, KeyRateLimitOverridesTheInferenceDefault) {
  AuthAdmission admission(auth_.get(), &clock_);  // default: 10000 rps per key
  const HttpRequest infer =
      WithBearer(Request("POST", "/v2/models/{model}/infer"), NewKey("team-a", "inference", 2.0));
  EXPECT_FALSE(Admit(admission, infer).has_value());
  EXPECT_FALSE(Admit(admission, infer).has_value());
  std::optional<HttpResponse> refused = Admit(admission, infer);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(HeaderOf(*refused, "RateLimit-Limit"), "2");
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_FALSE(Admit(admission, infer).has_value());
}

TEST_F(AuthAdmissionTest, NoLimitMeansUnlimited) {
  AuthAdmissionOptions options;
  options.key_management = std::nullopt;
  options.tenant_management = std::nullopt;
  AuthAdmission admission(auth_.get(), &clock_, options);
  const HttpRequest request =
      WithBearer(Request("GET", "/api/v1/models"), NewKey("team-a", "admin"));
  for (int i = 0; i < 1000; ++i) ASSERT_FALSE(Admit(admission, request).has_value()) << i;
}

TEST_F(AuthAdmissionTest, MetricsNeedTheMetricsAction) {
  AuthAdmission admission(auth_.get(), &clock_);
  const HttpRequest metrics = Request("GET", "/metrics");
  std::optional<HttpResponse> viewer =
      Admit(admission, WithBearer(metrics, NewKey("team-a", "viewer")));
  ASSERT_TRUE(viewer.has_value());
  EXPECT_EQ(viewer->status, 403);
  EXPECT_NE(viewer->body.find("'metrics'"), std::string::npos) << viewer->body;
  EXPECT_FALSE(Admit(admission, WithBearer(metrics, NewKey("team-a", "admin"))).has_value());
}

TEST(AuthOffAdmissionTest, EveryRequestIsTheDefaultServerAdmin) {
  AdmitHook hook = AuthOffAdmission();
  HttpRequest request = Request("DELETE", "/api/v1/models/{name}");
  EXPECT_FALSE(hook(request).has_value());
  ASSERT_NE(request.caller, nullptr);
  EXPECT_EQ(request.caller->tenant, "default");
  EXPECT_EQ(request.caller->role, Role::kAdmin);
  EXPECT_TRUE(request.caller->server_admin);
  EXPECT_TRUE(request.caller->Allows(Action::kTenantsManage));
}

TEST(IsLoopbackHostTest, Table) {
  struct Case {
    const char* host;
    bool loopback;
  };
  for (const Case& c :
       {Case{"127.0.0.1", true}, Case{"127.1.2.3", true}, Case{"localhost", true},
        Case{"LOCALHOST", true}, Case{"::1", true}, Case{"[::1]", true},
        Case{"::ffff:127.0.0.1", true}, Case{"0.0.0.0", false}, Case{"::", false},
        Case{"10.0.0.1", false}, Case{"128.0.0.1", false}, Case{"localhost.example", false},
        Case{"", false}, Case{"::ffff:10.0.0.1", false}}) {
    EXPECT_EQ(IsLoopbackHost(c.host), c.loopback) << c.host;
  }
}

TEST(PresentedApiKeyTest, BearerFirstThenXApiKey) {
  HttpRequest request;
  EXPECT_EQ(PresentedApiKey(request), std::nullopt);
  request.headers.emplace_back("x-api-key", "from-header");
  EXPECT_EQ(PresentedApiKey(request), "from-header");
  request.headers.insert(request.headers.begin(), {"authorization", "Bearer from-bearer"});
  EXPECT_EQ(PresentedApiKey(request), "from-bearer");
  request.headers.front().second = "Bearer";  // no token: falls back
  EXPECT_EQ(PresentedApiKey(request), "from-header");
}

}  // namespace
}  // namespace aiaas::server
