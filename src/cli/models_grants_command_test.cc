// aiaas models grant | grants | revoke-grant | visibility against a fake server.

#include "cli/cli_harness.h"
#include "cli/fake_api_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {
namespace {

using nlohmann::json;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class ModelsGrantsCommandTest : public ::testing::Test {
 protected:
  ModelsGrantsCommandTest() { cli_.server_env = server_.url(); }
  FakeApiServer server_;
  CliHarness cli_;
};

TEST_F(ModelsGrantsCommandTest, GrantPostsTenantAndPermission) {
  server_.Answer("POST", "/api/v1/models/classifier/grants", 201,
                 R"({"tenant": "team-b", "permission": "infer"})");
  ASSERT_EQ(
      cli_.Run({"models", "grant", "classifier", "--tenant", "team-b", "--permission", "infer"}),
      kExitOk)
      << cli_.err.str();
  const RecordedRequest request = server_.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/api/v1/models/classifier/grants");
  EXPECT_EQ(json::parse(request.body), json({{"tenant", "team-b"}, {"permission", "infer"}}));
  EXPECT_THAT(cli_.out.str(), StartsWith("granted infer on classifier to tenant team-b"));
}

TEST_F(ModelsGrantsCommandTest, GrantsListsThem) {
  server_.Answer("GET", "/api/v1/models/classifier/grants", 200, R"({"grants": [
      {"tenant": "team-b", "permission": "read", "created_at": "2026-11-22T10:00:00Z"}]})");
  ASSERT_EQ(cli_.Run({"models", "grants", "classifier"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().at(0).method, "GET");
  EXPECT_EQ(cli_.out.str(),
            "TENANT   PERMISSION   CREATED\n"
            "team-b   read         2026-11-22 10:00:00\n");
  // A shared model's grants, addressed as TENANT/NAME, go through with the slash.
  server_.Answer("GET", "/api/v1/models/team-a/classifier/grants", 200, R"({"grants": []})");
  ASSERT_EQ(cli_.Run({"models", "grants", "team-a/classifier"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().back().target, "/api/v1/models/team-a/classifier/grants");
}

TEST_F(ModelsGrantsCommandTest, RevokeGrantDeletes) {
  server_.Answer("DELETE", "/api/v1/models/classifier/grants/team-b", 204, "");
  ASSERT_EQ(cli_.Run({"models", "revoke-grant", "classifier", "--tenant", "team-b"}), kExitOk)
      << cli_.err.str();
  EXPECT_EQ(server_.requests().at(0).method, "DELETE");
  EXPECT_EQ(server_.requests().at(0).target, "/api/v1/models/classifier/grants/team-b");
  EXPECT_EQ(cli_.out.str(), "revoked the grant of classifier to tenant team-b\n");
}

TEST_F(ModelsGrantsCommandTest, VisibilityPatchesTheModel) {
  server_.Answer("PATCH", "/api/v1/models/classifier", 200,
                 R"({"name": "classifier", "visibility": "public"})");
  ASSERT_EQ(cli_.Run({"models", "visibility", "classifier", "public"}), kExitOk) << cli_.err.str();
  const RecordedRequest request = server_.requests().at(0);
  EXPECT_EQ(request.method, "PATCH");
  EXPECT_EQ(request.target, "/api/v1/models/classifier");
  EXPECT_EQ(json::parse(request.body), json({{"visibility", "public"}}));
  EXPECT_THAT(cli_.out.str(), StartsWith("classifier is now public"));
  ASSERT_EQ(cli_.Run({"models", "visibility", "classifier", "private"}), kExitOk);
  EXPECT_EQ(json::parse(server_.requests().back().body), json({{"visibility", "private"}}));
}

TEST_F(ModelsGrantsCommandTest, UsageErrorsComeBeforeAnyRequest) {
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"models", "grant", "m", "--permission", "read"}, "missing --tenant"},
           {{"models", "grant", "m", "--tenant", "b"}, "missing --permission"},
           {{"models", "grant", "m", "--tenant", "b", "--permission", "write"},
            "--permission 'write' must be read or infer"},
           {{"models", "grant", "a/m", "--tenant", "b", "--permission", "read"},
            "invalid model name 'a/m'"},
           {{"models", "revoke-grant", "m"}, "missing --tenant"},
           {{"models", "revoke-grant", "m", "--tenant", "versions"}, "invalid tenant name"},
           {{"models", "visibility", "m", "shared"},
            "VISIBILITY 'shared' must be public or private"},
           {{"models", "visibility", "m"}, "missing VISIBILITY"},
       }) {
    EXPECT_EQ(cli_.Run(args), kExitUsage) << message;
    EXPECT_THAT(cli_.err.str(), StartsWith("error: " + message));
  }
  EXPECT_THAT(server_.requests(), IsEmpty());
}

}  // namespace
}  // namespace aiaas::cli
