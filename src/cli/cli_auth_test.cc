// Authentication across the whole CLI: which key is sent, that every kind of command sends
// it, what a 401 looks like, and that a key never shows up in error output.

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_harness.h"
#include "cli/credentials.h"
#include "cli/fake_api_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kFileKey[] = "aiaas_FromTheFile0123456789";
constexpr char kEnvKey[] = "aiaas_FromTheEnvironment0123";
constexpr char kFlagKey[] = "aiaas_FromTheFlag0123456789";

constexpr char kMetadata[] =
    R"({"name": "m", "versions": ["1"], "platform": "pytorch_torchscript",
        "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 2]}],
        "outputs": [{"name": "y", "datatype": "FP32", "shape": [1, 2]}]})";
constexpr char kInferResponse[] =
    R"({"model_name": "m", "outputs": [{"name": "y", "datatype": "FP32", "shape": [1, 2],
        "data": [1, 2]}]})";

class CliAuthTest : public ::testing::Test {
 protected:
  CliAuthTest() {
    std::string pattern = ::testing::TempDir() + "/cli_auth_test.XXXXXX";
    dir_ = mkdtemp(pattern.data());
    cli_.server_env = server_.url();
    cli_.credentials_path = dir_ + "/aiaas/credentials";
    CredentialsFile file;
    file.Set(server_.url(), kFileKey);
    EXPECT_TRUE(SaveCredentialsFile(cli_.credentials_path, file).ok());
  }
  ~CliAuthTest() override { std::filesystem::remove_all(dir_); }

  std::string LastAuthorization() const {
    const std::vector<RecordedRequest> requests = server_.requests();
    return requests.empty() ? "(no request)" : requests.back().Header("authorization");
  }

  FakeApiServer server_;
  CliHarness cli_;
  std::string dir_;
};

TEST_F(CliAuthTest, FlagBeatsEnvironmentBeatsFile) {
  server_.Answer("GET", "/api/v1/tenants", 200, R"({"tenants": []})");
  ASSERT_EQ(cli_.Run({"tenants", "list"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(LastAuthorization(), std::string("Bearer ") + kFileKey);
  cli_.api_key_env = kEnvKey;
  ASSERT_EQ(cli_.Run({"tenants", "list"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(LastAuthorization(), std::string("Bearer ") + kEnvKey);
  ASSERT_EQ(cli_.Run({"tenants", "list", "--api-key", kFlagKey}), kExitOk) << cli_.err.str();
  EXPECT_EQ(LastAuthorization(), std::string("Bearer ") + kFlagKey);
  ASSERT_EQ(cli_.Run({"--api-key", kFlagKey, "tenants", "list"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(LastAuthorization(), std::string("Bearer ") + kFlagKey);
}

TEST_F(CliAuthTest, NoKeyAnywhereSendsNoHeader) {
  server_.Answer("GET", "/api/v1/tenants", 200, R"({"tenants": []})");
  cli_.credentials_path = "";
  ASSERT_EQ(cli_.Run({"tenants", "list"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().at(0).headers.count("authorization"), 0u);
  // A stored key for another server is not sent here either.
  cli_.credentials_path = dir_ + "/aiaas/credentials";
  cli_.server_env = "localhost:" + server_.url().substr(server_.url().rfind(':') + 1);
  ASSERT_EQ(cli_.Run({"tenants", "list"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().at(1).headers.count("authorization"), 0u);
}

TEST_F(CliAuthTest, EveryKindOfCommandSendsTheKey) {
  const std::string model_file = dir_ + "/m.pt";
  std::ofstream(model_file) << "torchscript bytes";
  server_.Answer("GET", "/v2", 200, R"({"name": "aiaas", "version": "0.1.0"})");
  server_.Answer("GET", "/api/v1/models", 200, R"({"models": []})");
  server_.Answer("GET", "/api/v1/models/m", 200, R"({"name": "m"})");
  server_.Answer("GET", "/api/v1/models/m/versions", 200, R"({"versions": []})");
  server_.Answer("POST", "/api/v1/models/m/versions", 201, R"({"model": "m", "version": 1})");
  server_.Answer("DELETE", "/api/v1/models/m", 204, "");
  server_.Answer("PUT", "/api/v1/models/m/aliases/prod", 200, R"({"alias": "prod", "version": 1})");
  server_.Answer("GET", "/v2/models/m", 200, kMetadata);
  server_.Answer("POST", "/v2/models/m/infer", 200, kInferResponse);
  server_.Answer("POST", "/api/v1/tenants", 201, R"({"name": "t"})");
  server_.Answer("GET", "/api/v1/tenants", 200, R"({"tenants": []})");
  server_.Answer("POST", "/api/v1/keys", 201, R"({"id": "k", "key": "aiaas_new_0123456789"})");
  server_.Answer("GET", "/api/v1/keys", 200, R"({"keys": []})");
  server_.Answer("DELETE", "/api/v1/keys/k", 204, "");
  server_.Answer("POST", "/api/v1/keys/k/rotate", 201,
                 R"({"id": "k", "key": "aiaas_n_0123456789"})");
  server_.Answer("POST", "/api/v1/models/m/grants", 201, "{}");
  server_.Answer("GET", "/api/v1/models/m/grants", 200, R"({"grants": []})");
  server_.Answer("DELETE", "/api/v1/models/m/grants/t", 204, "");
  server_.Answer("PATCH", "/api/v1/models/m", 200, "{}");

  const std::vector<std::vector<std::string>> commands = {
      {"version"},
      {"models", "list"},
      {"models", "show", "m"},
      {"models", "versions", "m"},
      {"models", "push", "m", model_file},
      {"models", "delete", "m"},
      {"models", "alias", "m", "prod", "1"},
      {"predict", "m", "--input", R"({"inputs": []})"},
      {"perf", "m", "--request-rate", "10", "--duration", "200ms", "--warmup", "0"},
      {"tenants", "create", "t"},
      {"tenants", "list"},
      {"keys", "create", "--tenant", "t", "--role", "viewer"},
      {"keys", "list"},
      {"keys", "revoke", "k"},
      {"keys", "rotate", "k"},
      {"models", "grant", "m", "--tenant", "t", "--permission", "read"},
      {"models", "grants", "m"},
      {"models", "revoke-grant", "m", "--tenant", "t"},
      {"models", "visibility", "m", "public"},
  };
  for (const std::vector<std::string>& command : commands) {
    const size_t before = server_.requests().size();
    EXPECT_EQ(cli_.Run(command), kExitOk)
        << command[0] << " " << command[1] << ": " << cli_.err.str();
    const std::vector<RecordedRequest> requests = server_.requests();
    EXPECT_GT(requests.size(), before) << command[0] << " " << command[1];
    for (size_t i = before; i < requests.size(); ++i) {
      EXPECT_EQ(requests[i].Header("authorization"), std::string("Bearer ") + kFileKey)
          << command[0] << " " << command[1] << ": " << requests[i].method << " "
          << requests[i].target;
    }
  }
  // perf sent its inference requests through its own connections, with the key too.
  size_t infers = 0;
  for (const RecordedRequest& request : server_.requests()) {
    infers += request.target == "/v2/models/m/infer" ? 1 : 0;
  }
  EXPECT_GE(infers, 2u);  // predict, perf's check request, and the measured ones
}

TEST_F(CliAuthTest, UnauthorizedSaysHowToAuthenticate) {
  server_.Answer("GET", "/api/v1/models", 401, R"({"error": "invalid or missing API key"})");
  EXPECT_EQ(cli_.Run({"models", "list"}), kExitFailure);
  EXPECT_EQ(cli_.err.str(),
            "error: not authenticated (401): invalid or missing API key. Set AIAAS_API_KEY or run "
            "'aiaas login'.\n");
  EXPECT_THAT(cli_.out.str(), IsEmpty());
}

TEST_F(CliAuthTest, PerfReportsUnauthorizedTheSameWay) {
  server_.Answer("GET", "/v2/models/m", 200, kMetadata);
  server_.Answer("POST", "/v2/models/m/infer", 401, R"({"error": "invalid or missing API key"})");
  EXPECT_EQ(cli_.Run({"perf", "m", "--duration", "100ms", "--warmup", "0"}), kExitFailure);
  EXPECT_THAT(cli_.err.str(), HasSubstr("error: not authenticated (401): invalid or missing API "
                                        "key. Set AIAAS_API_KEY or run 'aiaas login'.\n"));
}

TEST_F(CliAuthTest, KeyNeverAppearsInErrorOutput) {
  // A server that (wrongly) echoes the key back in its error message.
  for (const char* key : {kFileKey, kEnvKey, kFlagKey}) {
    server_.Answer("GET", "/api/v1/tenants", 401,
                   std::string(R"({"error": "key )") + key + " is not valid\"}");
    server_.Answer("GET", "/api/v1/keys", 500,
                   std::string(R"({"error": "internal: )") + key + "\"}");
    cli_.api_key_env = std::nullopt;
    std::vector<std::string> flag;
    if (key == kEnvKey) cli_.api_key_env = key;
    if (key == kFlagKey) flag = {"--api-key", key};
    for (std::vector<std::string> args :
         {std::vector<std::string>{"tenants", "list"}, std::vector<std::string>{"keys", "list"}}) {
      args.insert(args.end(), flag.begin(), flag.end());
      EXPECT_EQ(cli_.Run(args), kExitFailure);
      EXPECT_THAT(cli_.err.str(), HasSubstr("[redacted]"));
      EXPECT_THAT(cli_.err.str() + cli_.out.str(), Not(HasSubstr(key))) << key;
    }
  }
  // Nor in usage errors that quote the command line.
  EXPECT_EQ(cli_.Run({"keys", "revoke", "k", kFlagKey, "--api-key", kFlagKey}), kExitUsage);
  EXPECT_THAT(cli_.err.str(), StartsWith("error: unexpected argument '[redacted]'"));
  cli_.api_key_env = kEnvKey;
  EXPECT_EQ(cli_.Run({kEnvKey}), kExitUsage);
  EXPECT_THAT(cli_.err.str(), Not(HasSubstr(kEnvKey)));
}

TEST_F(CliAuthTest, UnusableKeysAreRefusedWithoutQuotingThem) {
  EXPECT_EQ(cli_.Run({"tenants", "list", "--api-key", "secret with spaces"}), kExitUsage);
  EXPECT_THAT(cli_.err.str(), StartsWith("error: the key in --api-key contains spaces"));
  EXPECT_THAT(cli_.err.str(), Not(HasSubstr("secret with")));
  cli_.api_key_env = "secret\r\nX-Injected: 1";
  EXPECT_EQ(cli_.Run({"tenants", "list"}), kExitFailure);
  EXPECT_THAT(cli_.err.str(), StartsWith("error: the key in AIAAS_API_KEY contains"));
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(CliAuthTest, BrokenCredentialsFileIsAnErrorForCommandsThatNeedIt) {
  std::ofstream(cli_.credentials_path) << "[x:1]\nkey = aiaas_pasted_in_the_wrong_place_012\n";
  EXPECT_EQ(cli_.Run({"tenants", "list"}), kExitFailure);
  EXPECT_EQ(cli_.err.str(), "error: " + cli_.credentials_path +
                                ": line 2: unknown setting 'key'; only api_key is known\n");
  // The environment variable wins without reading the file.
  server_.Answer("GET", "/api/v1/tenants", 200, R"({"tenants": []})");
  cli_.api_key_env = kEnvKey;
  EXPECT_EQ(cli_.Run({"tenants", "list"}), kExitOk) << cli_.err.str();
}

TEST_F(CliAuthTest, LooseCredentialsFileWarns) {
  chmod(cli_.credentials_path.c_str(), 0644);
  server_.Answer("GET", "/api/v1/tenants", 200, R"({"tenants": []})");
  EXPECT_EQ(cli_.Run({"tenants", "list"}), kExitOk);
  EXPECT_EQ(cli_.err.str(), "warning: " + cli_.credentials_path +
                                " is readable by other users; run: chmod 600 " +
                                cli_.credentials_path + "\n");
}

TEST_F(CliAuthTest, SharedModelsAreAddressedAsTenantSlashName) {
  server_.Answer("GET", "/api/v1/models/team-a/m", 200, R"({"name": "m"})");
  server_.Answer("GET", "/api/v1/models/team-a/m/versions", 200, R"({"versions": []})");
  server_.Answer("POST", "/v2/models/team-a/m/versions/2/infer", 200, kInferResponse);
  server_.Answer("GET", "/v2/models/team-a/m", 200, kMetadata);
  server_.Answer("POST", "/v2/models/team-a/m/infer", 200, kInferResponse);
  ASSERT_EQ(cli_.Run({"models", "show", "team-a/m"}), kExitOk) << cli_.err.str();
  EXPECT_THAT(cli_.out.str(), HasSubstr("No versions yet.\n"));
  ASSERT_EQ(cli_.Run({"models", "versions", "team-a/m"}), kExitOk) << cli_.err.str();
  ASSERT_EQ(cli_.Run({"predict", "team-a/m", "--version", "2", "--input", R"({"inputs": []})"}),
            kExitOk)
      << cli_.err.str();
  ASSERT_EQ(cli_.Run({"perf", "team-a/m", "--request-rate", "10", "--duration", "100ms", "--warmup",
                      "0"}),
            kExitOk)
      << cli_.err.str();
  std::vector<std::string> targets;
  for (const RecordedRequest& request : server_.requests()) targets.push_back(request.target);
  EXPECT_THAT(targets, ::testing::Contains("/api/v1/models/team-a/m"));
  EXPECT_THAT(targets, ::testing::Contains("/api/v1/models/team-a/m/versions"));
  EXPECT_THAT(targets, ::testing::Contains("/v2/models/team-a/m/versions/2/infer"));
  EXPECT_THAT(targets, ::testing::Contains("/v2/models/team-a/m/infer"));
  // Writes stay with the owner's plain names.
  EXPECT_EQ(cli_.Run({"models", "delete", "team-a/m"}), kExitUsage);
  EXPECT_EQ(cli_.Run({"models", "show", "a/b/c"}), kExitUsage);
}

}  // namespace
}  // namespace aiaas::cli
