#include "common/model_name.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas {
namespace {

using ::testing::HasSubstr;

TEST(ValidateModelNameTest, AcceptsTheDocumentedAlphabet) {
  const std::vector<std::string> names = {"a",
                                          "0",
                                          "mnist-mlp",
                                          "resnet50",
                                          "my.model_v2-final",
                                          "9lives",
                                          std::string(128, 'a'),
                                          "a" + std::string(127, '-')};
  for (const std::string& name : names) {
    EXPECT_TRUE(ValidateModelName(name).ok()) << name;
  }
}

TEST(ValidateModelNameTest, RejectsEverythingElse) {
  const std::vector<std::string> names = {"",
                                          "Mnist",
                                          "-a",
                                          ".a",
                                          "_a",
                                          "a b",
                                          "a/b",
                                          "a:b",
                                          "..",
                                          "a\n",
                                          "caf\xC3\xA9",
                                          std::string(129, 'a'),
                                          std::string("a\0b", 3)};
  for (const std::string& name : names) {
    absl::Status status = ValidateModelName(name);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << name;
  }
}

TEST(ValidateModelNameTest, MessageQuotesTheNameAndTheRule) {
  absl::Status status = ValidateModelName("Bad Name");
  EXPECT_EQ(status.message(),
            "invalid model name 'Bad Name': names must match [a-z0-9][a-z0-9._-]{0,127} "
            "(lowercase letters, digits, '.', '_', '-'; start with a letter or digit; at most "
            "128 characters)");
}

TEST(ValidateModelNameTest, LongNamesAreShortenedInTheMessage) {
  absl::Status status = ValidateModelName(std::string(300, 'A'));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("invalid model name '" + std::string(64, 'A') + "...'"));
  EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr(std::string(65, 'A'))));
}

TEST(ValidateAliasNameTest, SameRuleButNotAllDigits) {
  for (const char* alias : {"production", "canary", "v1", "1a", "a1", "2024-01"}) {
    EXPECT_TRUE(ValidateAliasName(alias).ok()) << alias;
  }
  absl::Status digits = ValidateAliasName("42");
  EXPECT_EQ(digits.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(digits.message(), "invalid alias name '42': an alias may not be a number");
  absl::Status bad = ValidateAliasName("Prod");
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()), HasSubstr("invalid alias name 'Prod'"));
  EXPECT_FALSE(ValidateAliasName("").ok());
  EXPECT_FALSE(ValidateAliasName(std::string(129, 'a')).ok());
}

}  // namespace
}  // namespace aiaas
