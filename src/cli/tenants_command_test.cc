// aiaas tenants create | list against a fake server.

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

class TenantsCommandTest : public ::testing::Test {
 protected:
  TenantsCommandTest() { cli_.server_env = server_.url(); }
  FakeApiServer server_;
  CliHarness cli_;
};

TEST_F(TenantsCommandTest, CreatePostsTheName) {
  server_.Answer("POST", "/api/v1/tenants", 201,
                 R"({"name": "team-a", "created_at": "2026-11-22T10:00:00Z"})");
  ASSERT_EQ(cli_.Run({"tenants", "create", "team-a"}), kExitOk) << cli_.err.str();
  const RecordedRequest request = server_.requests().at(0);
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/api/v1/tenants");
  EXPECT_EQ(json::parse(request.body), json({{"name", "team-a"}}));
  EXPECT_THAT(cli_.out.str(), StartsWith("created tenant team-a\nName:      team-a\n"
                                         "Created:   2026-11-22 10:00:00\n"));
  ASSERT_EQ(cli_.Run({"tenants", "create", "team-a", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(cli_.out.str())["name"], "team-a");
}

TEST_F(TenantsCommandTest, CreateChecksTheName) {
  EXPECT_EQ(cli_.Run({"tenants", "create", "Team A"}), kExitUsage);
  EXPECT_THAT(cli_.err.str(), StartsWith("error: invalid tenant name 'Team A'"));
  EXPECT_EQ(cli_.Run({"tenants", "create", "versions"}), kExitUsage);
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(TenantsCommandTest, CreateReportsTheServersRefusal) {
  server_.Answer("POST", "/api/v1/tenants", 403, R"({"error": "server admins only"})");
  EXPECT_EQ(cli_.Run({"tenants", "create", "team-a"}), kExitFailure);
  EXPECT_EQ(cli_.err.str(), "error: server admins only\n");
}

TEST_F(TenantsCommandTest, ListPrintsATable) {
  server_.Answer("GET", "/api/v1/tenants", 200, R"({"tenants": [
      {"name": "default", "created_at": "2026-11-01T00:00:00Z"},
      {"name": "team-a", "created_at": "2026-11-22T10:00:00Z"}]})");
  ASSERT_EQ(cli_.Run({"tenants", "list"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().at(0).method, "GET");
  EXPECT_EQ(server_.requests().at(0).target, "/api/v1/tenants");
  EXPECT_EQ(cli_.out.str(),
            "NAME      CREATED\n"
            "default   2026-11-01 00:00:00\n"
            "team-a    2026-11-22 10:00:00\n");
}

}  // namespace
}  // namespace aiaas::cli
