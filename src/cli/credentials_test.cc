#include "cli/credentials.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kServer[] = "http://127.0.0.1:8080";
constexpr char kKey[] = "aiaas_0123456789abcdefABCDEF";

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "/credentials_test.XXXXXX";
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int Mode(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(stat(path.c_str(), &info), 0) << path;
  return static_cast<int>(info.st_mode & 0777);
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CredentialsFileTest, ParsesSectionsPerServerUrl) {
  absl::StatusOr<CredentialsFile> file = CredentialsFile::Parse(
      "# comment\n"
      "; another\n"
      "\n"
      "[127.0.0.1:8080/]\n"
      "  api_key =  aiaas_local  \n"
      "[https://aiaas.example.com]\r\n"
      "api_key=aiaas_remote\r\n");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->KeyFor(kServer), "aiaas_local");  // normalized like --server
  EXPECT_EQ(file->KeyFor("https://aiaas.example.com"), "aiaas_remote");
  EXPECT_EQ(file->KeyFor("http://other:1"), std::nullopt);
}

TEST(CredentialsFileTest, SerializeRoundTrips) {
  CredentialsFile file;
  file.Set("https://b.example", "aiaas_b");
  file.Set(kServer, kKey);
  const std::string text = file.Serialize();
  EXPECT_THAT(text, StartsWith("# aiaas credentials"));
  EXPECT_THAT(text,
              HasSubstr("\n[http://127.0.0.1:8080]\napi_key = aiaas_0123456789abcdefABCDEF\n"));
  absl::StatusOr<CredentialsFile> again = CredentialsFile::Parse(text);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->KeyFor(kServer), kKey);
  EXPECT_EQ(again->KeyFor("https://b.example"), "aiaas_b");
  EXPECT_TRUE(again->Remove(kServer));
  EXPECT_FALSE(again->Remove(kServer));
  EXPECT_EQ(again->KeyFor(kServer), std::nullopt);
}

TEST(CredentialsFileTest, ErrorsNameTheLineButNeverQuoteIt) {
  const std::string secret = "aiaas_SECRETSECRETSECRET";
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"api_key = " + secret, "line 1: api_key before any [server URL] section"},
           {"[h:1]\n" + secret, "line 2: expected '[server URL]' or 'api_key = KEY'"},
           {"[h:1]\n" + secret + " = x", "line 2: unknown setting; only api_key is known"},
           {"[h:1]\nkey = " + secret, "line 2: unknown setting 'key'; only api_key is known"},
           {"[h:1]\napi_key = a\napi_key = " + secret, "line 3: a second api_key in one section"},
           {"[h:1]\napi_key = a\n[http://h:1/]", "line 3: a second section for http://h:1"},
           {"[h:1]\napi_key = " + secret + " x", "line 2: the key in api_key contains spaces"},
           {"[ftp://x]", "line 1: invalid server URL"},
           {"[h:1", "line 1: a section header ends in ']'"},
       }) {
    absl::StatusOr<CredentialsFile> file = CredentialsFile::Parse(text);
    ASSERT_FALSE(file.ok()) << text;
    EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(file.status().message()), StartsWith(message));
    EXPECT_THAT(std::string(file.status().message()), Not(HasSubstr(secret)));
  }
}

TEST(CredentialsPathTest, XdgConfigHomeThenHome) {
  EXPECT_EQ(CredentialsPath("/xdg", "/home/u"), "/xdg/aiaas/credentials");
  EXPECT_EQ(CredentialsPath(std::nullopt, "/home/u"), "/home/u/.config/aiaas/credentials");
  EXPECT_EQ(CredentialsPath("", "/home/u"), "/home/u/.config/aiaas/credentials");
  EXPECT_EQ(CredentialsPath("relative", "/home/u"), "/home/u/.config/aiaas/credentials");
  EXPECT_EQ(CredentialsPath(std::nullopt, std::nullopt), "");
  EXPECT_EQ(CredentialsPath(std::nullopt, ""), "");
}

TEST(CredentialsStorageTest, MissingFileIsEmpty) {
  TempDir dir;
  absl::StatusOr<CredentialsFile> file = LoadCredentialsFile(dir.path() + "/nope/credentials");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->empty());
}

TEST(CredentialsStorageTest, SaveCreatesPrivateDirectoriesAndFile) {
  TempDir dir;
  const std::string path = dir.path() + "/config/aiaas/credentials";
  CredentialsFile file;
  file.Set(kServer, kKey);
  ASSERT_TRUE(SaveCredentialsFile(path, file).ok());
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(dir.path() + "/config/aiaas"), 0700);
  EXPECT_EQ(Mode(dir.path() + "/config"), 0700);
  EXPECT_EQ(LoadCredentialsFile(path)->KeyFor(kServer), kKey);
  // Nothing but the file is left behind.
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/config/aiaas")) {
    EXPECT_EQ(entry.path().filename(), "credentials");
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(CredentialsStorageTest, SaveTightensAnExistingLooseFileAndDirectory) {
  TempDir dir;
  const std::string aiaas_dir = dir.path() + "/aiaas";
  const std::string path = aiaas_dir + "/credentials";
  std::filesystem::create_directories(aiaas_dir);
  chmod(aiaas_dir.c_str(), 0755);
  std::ofstream(path) << "[h:1]\napi_key = aiaas_old\n";
  chmod(path.c_str(), 0644);
  CredentialsFile file = *LoadCredentialsFile(path);
  file.Set(kServer, kKey);
  ASSERT_TRUE(SaveCredentialsFile(path, file).ok());
  EXPECT_EQ(Mode(path), 0600);
  EXPECT_EQ(Mode(aiaas_dir), 0700);
  EXPECT_THAT(Read(path), HasSubstr("api_key = aiaas_old"));
  EXPECT_THAT(Read(path), HasSubstr(kKey));
}

TEST(CredentialsStorageTest, SaveFailureNamesThePath) {
  TempDir dir;
  std::ofstream(dir.path() + "/file") << "x";
  const absl::Status status = SaveCredentialsFile(dir.path() + "/file/credentials", {});
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(status.message()), HasSubstr(dir.path() + "/file"));
}

TEST(ValidateApiKeyTest, OneWordOfPrintableAscii) {
  EXPECT_TRUE(ValidateApiKey(kKey, "x").ok());
  EXPECT_TRUE(ValidateApiKey("a~!#$%&'*+-./0123456789=@^_`|", "x").ok());
  for (const std::string& bad :
       {std::string(""), std::string("a b"), std::string("a\nb"), std::string("a\r\nX-Evil: 1"),
        std::string("caf\xc3\xa9"), std::string(4097, 'k')}) {
    const absl::Status status = ValidateApiKey(bad, "AIAAS_API_KEY");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(std::string(status.message()), HasSubstr("AIAAS_API_KEY"));
    if (!bad.empty()) EXPECT_THAT(std::string(status.message()), Not(HasSubstr(bad)));
  }
}

class ResolveApiKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/aiaas/credentials";
    CredentialsFile file;
    file.Set(kServer, "aiaas_from_file_0123456789");
    ASSERT_TRUE(SaveCredentialsFile(path_, file).ok());
  }

  std::optional<ResolvedApiKey> Resolve(const ApiKeySources& sources,
                                        const std::string& server = kServer) {
    absl::StatusOr<std::optional<ResolvedApiKey>> key = ResolveApiKey(sources, server);
    EXPECT_TRUE(key.ok()) << key.status();
    return key.ok() ? *key : std::nullopt;
  }

  TempDir dir_;
  std::string path_;
};

TEST_F(ResolveApiKeyTest, FlagBeatsEnvironmentBeatsFile) {
  std::optional<ResolvedApiKey> key = Resolve({"aiaas_flag", "aiaas_env", path_});
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->key, "aiaas_flag");
  EXPECT_EQ(key->source, "--api-key");

  key = Resolve({std::nullopt, " aiaas_env\n", path_});
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->key, "aiaas_env");  // whitespace around a pasted key is dropped
  EXPECT_EQ(key->source, "AIAAS_API_KEY");

  key = Resolve({std::nullopt, std::nullopt, path_});
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->key, "aiaas_from_file_0123456789");
  EXPECT_EQ(key->source, path_);
  EXPECT_EQ(key->warning, "");
}

TEST_F(ResolveApiKeyTest, EmptyEnvironmentVariableCountsAsUnset) {
  std::optional<ResolvedApiKey> key = Resolve({std::nullopt, "", path_});
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->source, path_);
}

TEST_F(ResolveApiKeyTest, FileEntryIsPerServer) {
  EXPECT_EQ(Resolve({std::nullopt, std::nullopt, path_}, "http://127.0.0.1:9090"), std::nullopt);
  EXPECT_EQ(Resolve({std::nullopt, std::nullopt, ""}), std::nullopt);
  EXPECT_EQ(Resolve({std::nullopt, std::nullopt, dir_.path() + "/missing"}), std::nullopt);
}

TEST_F(ResolveApiKeyTest, FileReadableByOthersIsUsedWithAWarning) {
  chmod(path_.c_str(), 0644);
  std::optional<ResolvedApiKey> key = Resolve({std::nullopt, std::nullopt, path_});
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->warning, path_ + " is readable by other users; run: chmod 600 " + path_);
}

TEST_F(ResolveApiKeyTest, BadKeysAndFilesAreErrors) {
  EXPECT_EQ(ResolveApiKey({"a b", std::nullopt, path_}, kServer).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResolveApiKey({std::nullopt, "a\nb", path_}, kServer).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::ofstream(path_) << "garbage\n";
  const absl::Status status = ResolveApiKey({std::nullopt, std::nullopt, path_}, kServer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith(path_ + ": line 1: "));
  // A flag or variable wins without the broken file being read.
  EXPECT_TRUE(ResolveApiKey({std::nullopt, "aiaas_env", path_}, kServer).ok());
}

TEST(RedactApiKeysTest, ReplacesEveryKnownKey) {
  EXPECT_EQ(RedactApiKeys("key aiaas_0123456789 rejected; aiaas_0123456789 again",
                          {"aiaas_0123456789", ""}),
            "key [redacted] rejected; [redacted] again");
  EXPECT_EQ(RedactApiKeys("short a key", {"a"}), "short a key");
}

}  // namespace
}  // namespace aiaas::cli
