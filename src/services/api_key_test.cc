#include "services/api_key.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace aiaas::services {
namespace {

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

TEST(ApiKeyTest, GeneratedKeyHasTheDocumentedFormat) {
  absl::StatusOr<GeneratedApiKey> generated = GenerateApiKey();
  ASSERT_TRUE(generated.ok()) << generated.status();
  const std::string& key = generated->key;
  ASSERT_EQ(key.size(), kApiKeyLength);
  EXPECT_EQ(key.substr(0, 6), "aiaas_");
  EXPECT_EQ(key.substr(6, 16), generated->id);
  EXPECT_TRUE(IsValidApiKeyId(generated->id));
  EXPECT_EQ(key[22], '_');
  for (char c : key.substr(23)) EXPECT_TRUE(IsBase62(c)) << key;
  EXPECT_EQ(generated->secret_hash, HashApiKey(key));
  EXPECT_EQ(ParseApiKeyId(key), generated->id);
  EXPECT_EQ(ApiKeyPrefix(generated->id), key.substr(0, 22));
}

TEST(ApiKeyTest, KeysAndIdsAreUniqueAndUseTheWholeAlphabet) {
  std::set<std::string> keys;
  std::set<std::string> ids;
  std::set<char> secret_chars;
  constexpr int kCount = 5000;
  for (int i = 0; i < kCount; ++i) {
    absl::StatusOr<GeneratedApiKey> generated = GenerateApiKey();
    ASSERT_TRUE(generated.ok());
    keys.insert(generated->key);
    ids.insert(generated->id);
    for (char c : generated->key.substr(23)) secret_chars.insert(c);
  }
  EXPECT_EQ(keys.size(), kCount);
  EXPECT_EQ(ids.size(), kCount);
  EXPECT_EQ(secret_chars.size(), 62u);  // no character of base62 is unreachable
}

TEST(ApiKeyTest, HashIsLowercaseHexSha256) {
  // SHA-256("abc"), FIPS 180-2 test vector.
  EXPECT_EQ(HashApiKey("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashApiKey("").size(), 64u);
}

TEST(ApiKeyTest, HashComparison) {
  const std::string a = HashApiKey("a");
  EXPECT_TRUE(ApiKeyHashesEqual(a, HashApiKey("a")));
  EXPECT_FALSE(ApiKeyHashesEqual(a, HashApiKey("b")));
  EXPECT_FALSE(ApiKeyHashesEqual(a, a.substr(0, 63)));
  EXPECT_FALSE(ApiKeyHashesEqual(a, ""));
  EXPECT_TRUE(ApiKeyHashesEqual("", ""));
}

TEST(ApiKeyTest, ParseRejectsEverythingButTheExactFormat) {
  const std::string good = "aiaas_0123456789abcdef_" + std::string(32, 'Z');
  ASSERT_EQ(ParseApiKeyId(good), "0123456789abcdef");

  std::string with_nul = good;
  with_nul[30] = '\0';
  std::string nul_in_id = good;
  nul_in_id[8] = '\0';
  const std::string cases[] = {
      "",
      "aiaas_",
      "Bearer " + good,
      good + " ",
      " " + good,
      good + "Z",                       // too long
      good.substr(0, good.size() - 1),  // too short
      std::string(1 << 20, 'a'),        // huge
      "AIAAS_0123456789abcdef_" + std::string(32, 'Z'),
      "aiaaz_0123456789abcdef_" + std::string(32, 'Z'),
      "aiaas_0123456789ABCDEF_" + std::string(32, 'Z'),  // uppercase id
      "aiaas_0123456789abcdeg_" + std::string(32, 'Z'),  // non-hex id
      "aiaas_0123456789abcdef-" + std::string(32, 'Z'),  // wrong separator
      "aiaas_0123456789abcdef_" + std::string(31, 'Z') + "_",
      "aiaas_0123456789abcdef_" + std::string(31, 'Z') + "\xff",
      "aiaas_0123456789abcde_" + std::string(33, 'Z'),  // short id, right length
      with_nul,
      nul_in_id,
      std::string(kApiKeyLength, '\0'),
  };
  for (const std::string& presented : cases) {
    EXPECT_FALSE(ParseApiKeyId(presented).has_value()) << presented.substr(0, 80);
  }
}

TEST(ApiKeyTest, ParseAcceptsExactlyTheAllowedByteAtEveryPosition) {
  const std::string good = "aiaas_0123456789abcdef_" + std::string(32, 'a');
  for (size_t pos = 0; pos < good.size(); ++pos) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string mutated = good;
      const char c = static_cast<char>(byte);
      mutated[pos] = c;
      bool want;
      if (pos < 6) {
        want = c == good[pos];
      } else if (pos < 22) {
        want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      } else if (pos == 22) {
        want = c == '_';
      } else {
        want = IsBase62(c);
      }
      EXPECT_EQ(ParseApiKeyId(mutated).has_value(), want) << "position " << pos << " byte " << byte;
    }
  }
}

TEST(ApiKeyTest, IdValidation) {
  EXPECT_TRUE(IsValidApiKeyId("0123456789abcdef"));
  EXPECT_FALSE(IsValidApiKeyId(""));
  EXPECT_FALSE(IsValidApiKeyId("0123456789abcde"));
  EXPECT_FALSE(IsValidApiKeyId("0123456789abcdef0"));
  EXPECT_FALSE(IsValidApiKeyId("0123456789abcdeF"));
  EXPECT_FALSE(IsValidApiKeyId("../../etc/passwd"));
  EXPECT_FALSE(IsValidApiKeyId(std::string(16, '\0')));
}

}  // namespace
}  // namespace aiaas::services
