// aiaas keys create | list | revoke | rotate against a fake server.

#include "cli/cli_harness.h"
#include "cli/fake_api_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kNewKey[] = "aiaas_NewSecret0123456789abcdef";
constexpr char kCreated[] =
    R"({"id": "k7", "prefix": "aiaas_NewS", "key": "aiaas_NewSecret0123456789abcdef",
        "tenant": "team-a", "role": "viewer", "expires_at": "2026-12-22T10:00:00Z"})";

size_t Count(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

class KeysCommandTest : public ::testing::Test {
 protected:
  KeysCommandTest() {
    cli_.server_env = server_.url();
    cli_.api_key_env = "aiaas_admin_key_0123456789";
  }
  FakeApiServer server_;
  CliHarness cli_;
};

TEST_F(KeysCommandTest, CreateSendsEveryFieldAndPrintsTheKeyOnce) {
  server_.Answer("POST", "/api/v1/keys", 201, kCreated);
  ASSERT_EQ(cli_.Run({"keys", "create", "--tenant", "team-a", "--role", "viewer", "--name",
                      "ci bot", "--expires-in", "30d", "--models", "classifier, team-b/shared",
                      "--actions", "infer,model:read", "--rate-limit", "50"}),
            kExitOk)
      << cli_.err.str();
  const std::vector<RecordedRequest> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/v1/keys");
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(json::parse(requests[0].body), json({{"tenant", "team-a"},
                                                 {"role", "viewer"},
                                                 {"name", "ci bot"},
                                                 {"expires_in_s", 2592000},
                                                 {"models", {"classifier", "team-b/shared"}},
                                                 {"actions", {"infer", "model:read"}},
                                                 {"rate_limit_rps", 50}}));
  const std::string out = cli_.out.str();
  EXPECT_EQ(Count(out, kNewKey), 1u);
  EXPECT_THAT(out, HasSubstr(std::string("\n\n    ") + kNewKey + "\n\n"));
  EXPECT_THAT(out, HasSubstr("it cannot be shown again"));
  EXPECT_THAT(out, StartsWith("Created key k7 (prefix aiaas_NewS) for tenant team-a, role viewer, "
                              "expires 2026-12-22 10:00:00."));
  EXPECT_THAT(cli_.err.str(), IsEmpty());
}

TEST_F(KeysCommandTest, CreateSendsOnlyWhatWasGiven) {
  server_.Answer("POST", "/api/v1/keys", 201,
                 R"({"id": "k8", "prefix": "p", "key": "aiaas_k8_secret_0123456789",
                     "tenant": "t", "role": "inference", "expires_at": null})");
  ASSERT_EQ(
      cli_.Run({"keys", "create", "--tenant", "t", "--role", "inference", "--rate-limit", "2.5"}),
      kExitOk)
      << cli_.err.str();
  EXPECT_EQ(json::parse(server_.requests().at(0).body),
            json({{"tenant", "t"}, {"role", "inference"}, {"rate_limit_rps", 2.5}}));
  EXPECT_THAT(cli_.out.str(), HasSubstr("expires never."));
}

TEST_F(KeysCommandTest, CreateJsonPrintsTheServersAnswer) {
  server_.Answer("POST", "/api/v1/keys", 201, kCreated);
  ASSERT_EQ(cli_.Run({"keys", "create", "--tenant", "team-a", "--role", "viewer", "--json"}),
            kExitOk);
  EXPECT_EQ(json::parse(cli_.out.str()), json::parse(kCreated));
}

TEST_F(KeysCommandTest, CreateUsageErrorsComeBeforeAnyRequest) {
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"keys", "create", "--role", "viewer"}, "missing --tenant"},
           {{"keys", "create", "--tenant", "t"}, "missing --role"},
           {{"keys", "create", "--tenant", "t", "--role", "root"}, "--role 'root' must be one of"},
           {{"keys", "create", "--tenant", "T", "--role", "admin"}, "invalid tenant name 'T'"},
           {{"keys", "create", "--tenant", "t", "--role", "admin", "--expires-in", "30"},
            "--expires-in '30' has no unit"},
           {{"keys", "create", "--tenant", "t", "--role", "admin", "--models", ","},
            "--models needs at least one entry"},
           {{"keys", "create", "--tenant", "t", "--role", "admin", "--models", "a/b/c"},
            "--models: invalid model name 'a/b/c'"},
           {{"keys", "create", "--tenant", "t", "--role", "admin", "--actions", "Infer"},
            "--actions: 'Infer' is not an action name"},
           {{"keys", "create", "--tenant", "t", "--role", "admin", "--rate-limit", "0"},
            "--rate-limit '0' must be a positive number"},
           {{"keys", "create", "--tenant", "t", "--role", "admin", "--name", ""},
            "--name must have 1 to 128 characters"},
       }) {
    EXPECT_EQ(cli_.Run(args), kExitUsage) << message;
    EXPECT_THAT(cli_.err.str(), StartsWith("error: " + message));
  }
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(KeysCommandTest, ListFiltersByTenantAndShowsATable) {
  server_.Answer("GET", "/api/v1/keys?tenant=team-a", 200, R"({"keys": [
      {"id": "k1", "prefix": "aiaas_AAAA", "tenant": "team-a", "role": "admin", "name": "ops",
       "created_at": "2026-11-01T00:00:00Z", "expires_at": null, "revoked_at": null,
       "models": null, "actions": null},
      {"id": "k2", "prefix": "aiaas_BBBB", "tenant": "team-a", "role": "inference",
       "name": null, "created_at": "2026-11-02T00:00:00Z",
       "expires_at": "2026-12-02T00:00:00Z", "revoked_at": "2026-11-03T00:00:00Z",
       "models": ["classifier"], "actions": ["infer"]}]})");
  ASSERT_EQ(cli_.Run({"keys", "list", "--tenant", "team-a"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().at(0).method, "GET");
  EXPECT_EQ(server_.requests().at(0).target, "/api/v1/keys?tenant=team-a");
  const std::string out = cli_.out.str();
  EXPECT_THAT(out, StartsWith("ID   PREFIX       TENANT   ROLE        NAME   CREATED"));
  EXPECT_THAT(out, HasSubstr("k1   aiaas_AAAA   team-a   admin       ops    2026-11-01 00:00:00"));
  EXPECT_THAT(out, HasSubstr("2026-11-03 00:00:00   models=classifier actions=infer\n"));
  EXPECT_THAT(out, HasSubstr("   all\n"));

  server_.Answer("GET", "/api/v1/keys", 200, R"({"keys": []})");
  ASSERT_EQ(cli_.Run({"keys", "list"}), kExitOk);
  EXPECT_EQ(server_.requests().back().target, "/api/v1/keys");
}

TEST_F(KeysCommandTest, RevokeDeletesTheKey) {
  server_.Answer("DELETE", "/api/v1/keys/k2", 204, "");
  ASSERT_EQ(cli_.Run({"keys", "revoke", "k2"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().at(0).method, "DELETE");
  EXPECT_EQ(server_.requests().at(0).target, "/api/v1/keys/k2");
  EXPECT_THAT(cli_.out.str(), StartsWith("revoked key k2"));
  server_.Answer("DELETE", "/api/v1/keys/k3", 200, R"({"id": "k3", "revoked": true})");
  ASSERT_EQ(cli_.Run({"keys", "revoke", "k3"}), kExitOk);
  EXPECT_EQ(cli_.Run({"keys", "revoke", "k9"}), kExitFailure);
  EXPECT_EQ(cli_.err.str(), "error: no route\n");
}

TEST_F(KeysCommandTest, RotatePrintsTheNewKeyOnce) {
  server_.Answer("POST", "/api/v1/keys/k7/rotate", 201, kCreated);
  ASSERT_EQ(cli_.Run({"keys", "rotate", "k7"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().at(0).method, "POST");
  EXPECT_EQ(server_.requests().at(0).target, "/api/v1/keys/k7/rotate");
  EXPECT_EQ(Count(cli_.out.str(), kNewKey), 1u);
  EXPECT_THAT(cli_.out.str(), StartsWith("Rotated key k7: new key k7 (prefix aiaas_NewS)"));
  EXPECT_THAT(cli_.out.str(), HasSubstr("it cannot be shown again"));
}

TEST_F(KeysCommandTest, AnswerWithoutAKeyIsAnError) {
  server_.Answer("POST", "/api/v1/keys/k7/rotate", 201, R"({"id": "k7"})");
  EXPECT_EQ(cli_.Run({"keys", "rotate", "k7"}), kExitFailure);
  EXPECT_THAT(cli_.err.str(), HasSubstr("holds no key"));
}

}  // namespace
}  // namespace aiaas::cli
