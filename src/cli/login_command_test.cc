// aiaas login / logout through the dispatcher, against a fake server and a temporary
// credentials file.

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

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

constexpr char kKey[] = "aiaas_LoginTestKey0123456789";
constexpr char kSelf[] =
    R"({"id": "k1", "prefix": "aiaas_Logi", "tenant": "team-a", "role": "editor"})";

class LoginCommandTest : public ::testing::Test {
 protected:
  LoginCommandTest() {
    std::string pattern = ::testing::TempDir() + "/login_test.XXXXXX";
    dir_ = mkdtemp(pattern.data());
    cli_.credentials_path = dir_ + "/config/aiaas/credentials";
    cli_.server_env = server_.url();
  }
  ~LoginCommandTest() override { std::filesystem::remove_all(dir_); }

  std::string FileText() const {
    std::ifstream in(cli_.credentials_path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::optional<std::string> StoredKey() const {
    absl::StatusOr<CredentialsFile> file = LoadCredentialsFile(cli_.credentials_path);
    return file.ok() ? file->KeyFor(server_.url()) : std::nullopt;
  }

  FakeApiServer server_;
  CliHarness cli_;
  std::string dir_;
};

TEST_F(LoginCommandTest, FlagKeyIsCheckedThenStoredPrivately) {
  server_.Answer("GET", "/api/v1/keys/self", 200, kSelf);
  ASSERT_EQ(cli_.Run({"login", "--api-key", kKey}), kExitOk) << cli_.err.str();
  const std::vector<RecordedRequest> requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/api/v1/keys/self");
  EXPECT_EQ(requests[0].Header("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(StoredKey(), kKey);
  struct stat info {};
  ASSERT_EQ(stat(cli_.credentials_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir_ + "/config/aiaas").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_THAT(cli_.out.str(), StartsWith("Logged in to " + server_.url() +
                                         " as tenant team-a (role editor, key aiaas_Logi...)."));
  EXPECT_THAT(cli_.out.str(), Not(HasSubstr(kKey)));
  EXPECT_THAT(cli_.err.str(), IsEmpty());
}

TEST_F(LoginCommandTest, ReadsAPlainLineFromStdinWhenNotATerminal) {
  server_.Answer("GET", "/api/v1/keys/self", 200, kSelf);
  cli_.stdin_text = std::string(kKey) + "\n";
  ASSERT_EQ(cli_.Run({"login"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(StoredKey(), kKey);
}

TEST_F(LoginCommandTest, PromptsWithoutEchoOnATerminal) {
  server_.Answer("GET", "/api/v1/keys/self", 200, kSelf);
  std::string prompt;
  cli_.read_secret = [&prompt](absl::string_view text) -> absl::StatusOr<std::string> {
    prompt = std::string(text);
    return std::string(kKey);
  };
  cli_.stdin_text = "not this\n";
  ASSERT_EQ(cli_.Run({"login"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(prompt, "API key (input is hidden): ");
  EXPECT_EQ(StoredKey(), kKey);
}

TEST_F(LoginCommandTest, RejectedKeyIsNotStored) {
  // An earlier login stays untouched.
  CredentialsFile before;
  before.Set(server_.url(), "aiaas_previous_0123456789");
  ASSERT_TRUE(SaveCredentialsFile(cli_.credentials_path, before).ok());
  const std::string text_before = FileText();
  server_.Answer("GET", "/api/v1/keys/self", 401,
                 std::string(R"({"error": "unknown key )") + kKey + "\"}");
  EXPECT_EQ(cli_.Run({"login", "--api-key", kKey}), kExitFailure);
  EXPECT_EQ(FileText(), text_before);
  EXPECT_THAT(cli_.err.str(),
              StartsWith("error: the server at " + server_.url() + " rejected this key (401): "));
  EXPECT_THAT(cli_.err.str(), HasSubstr("nothing was stored"));
  EXPECT_THAT(cli_.err.str() + cli_.out.str(), Not(HasSubstr(kKey)));
}

TEST_F(LoginCommandTest, RejectedKeyFromStdinIsRedactedToo) {
  server_.Answer("GET", "/api/v1/keys/self", 401,
                 std::string(R"({"error": "unknown key )") + kKey + "\"}");
  cli_.stdin_text = kKey;
  EXPECT_EQ(cli_.Run({"login"}), kExitFailure);
  EXPECT_FALSE(std::filesystem::exists(cli_.credentials_path));
  EXPECT_THAT(cli_.err.str(), HasSubstr("[redacted]"));
  EXPECT_THAT(cli_.err.str(), Not(HasSubstr(kKey)));
}

TEST_F(LoginCommandTest, UnreachableServerStoresNothing) {
  cli_.server_env = "http://127.0.0.1:1";
  EXPECT_EQ(cli_.Run({"login", "--api-key", kKey}), kExitFailure);
  EXPECT_THAT(cli_.err.str(), StartsWith("error: cannot check the key: cannot reach"));
  EXPECT_FALSE(std::filesystem::exists(cli_.credentials_path));
}

TEST_F(LoginCommandTest, MissingOrBadKeyFailsBeforeAnyRequest) {
  EXPECT_EQ(cli_.Run({"login"}), kExitFailure);
  EXPECT_THAT(cli_.err.str(), StartsWith("error: no API key"));
  cli_.stdin_text = "two words\n";
  EXPECT_EQ(cli_.Run({"login"}), kExitFailure);
  EXPECT_THAT(cli_.err.str(), HasSubstr("contains spaces"));
  EXPECT_THAT(cli_.err.str(), Not(HasSubstr("two words")));
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(LoginCommandTest, BrokenCredentialsFileIsNeverOverwritten) {
  std::filesystem::create_directories(dir_ + "/config/aiaas");
  std::ofstream(cli_.credentials_path) << "hand-edited garbage\n";
  server_.Answer("GET", "/api/v1/keys/self", 200, kSelf);
  EXPECT_EQ(cli_.Run({"login", "--api-key", kKey}), kExitFailure);
  EXPECT_THAT(cli_.err.str(), StartsWith("error: " + cli_.credentials_path + ": line 1: "));
  EXPECT_EQ(FileText(), "hand-edited garbage\n");
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(LoginCommandTest, WithoutAHomeDirectoryNothingCanBeStored) {
  cli_.credentials_path = "";
  EXPECT_EQ(cli_.Run({"login", "--api-key", kKey}), kExitFailure);
  EXPECT_THAT(cli_.err.str(), HasSubstr("neither HOME nor XDG_CONFIG_HOME is set"));
}

TEST_F(LoginCommandTest, LogoutRemovesOnlyThisServersEntry) {
  CredentialsFile file;
  file.Set(server_.url(), kKey);
  file.Set("https://other.example", "aiaas_other_0123456789");
  ASSERT_TRUE(SaveCredentialsFile(cli_.credentials_path, file).ok());
  ASSERT_EQ(cli_.Run({"logout"}), kExitOk) << cli_.err.str();
  EXPECT_THAT(cli_.out.str(), StartsWith("Removed the key for " + server_.url()));
  EXPECT_EQ(StoredKey(), std::nullopt);
  EXPECT_EQ(LoadCredentialsFile(cli_.credentials_path)->KeyFor("https://other.example"),
            "aiaas_other_0123456789");
  struct stat info {};
  ASSERT_EQ(stat(cli_.credentials_path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(cli_.Run({"logout"}), kExitOk);
  EXPECT_EQ(cli_.out.str(), "No key is stored for " + server_.url() + ".\n");
  EXPECT_THAT(server_.requests(), IsEmpty());
}

TEST_F(LoginCommandTest, StoredKeyIsUsedByLaterCommandsAndEnvironmentWins) {
  server_.Answer("GET", "/api/v1/keys/self", 200, kSelf);
  server_.Answer("GET", "/api/v1/tenants", 200, R"({"tenants": []})");
  ASSERT_EQ(cli_.Run({"login", "--api-key", kKey}), kExitOk);
  ASSERT_EQ(cli_.Run({"tenants", "list"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().back().Header("authorization"), std::string("Bearer ") + kKey);
  cli_.api_key_env = "aiaas_environment_0123456789";
  ASSERT_EQ(cli_.Run({"tenants", "list"}), kExitOk) << cli_.err.str();
  EXPECT_EQ(server_.requests().back().Header("authorization"),
            "Bearer aiaas_environment_0123456789");
  ASSERT_EQ(cli_.Run({"login", "--api-key", kKey}), kExitOk);
  EXPECT_THAT(cli_.err.str(), HasSubstr("note: AIAAS_API_KEY is set"));
}

}  // namespace
}  // namespace aiaas::cli
