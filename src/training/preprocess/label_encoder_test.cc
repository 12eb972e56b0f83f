#include "training/preprocess/label_encoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "training/preprocess/preprocess_test_util.h"

namespace aiaas::training {
namespace {

using test_tables::Numbers;
using test_tables::Strings;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(LabelEncoderTest, IntegerClassesAreSortedAscending) {
  Column target = Numbers("y", {7, -1, 3, 7, 3});
  absl::StatusOr<LabelEncoder> encoder = LabelEncoder::Fit(target, MissingTargets::kReject);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_TRUE(encoder->IntegerLabels());
  EXPECT_EQ(encoder->NumClasses(), 3u);
  EXPECT_THAT(encoder->ClassNames(), ElementsAre("-1", "3", "7"));
  EXPECT_THAT(*encoder->EncodeRows(target, {0, 1, 2, 3, 4}), ElementsAre(2, 0, 1, 2, 1));
  EXPECT_EQ(*encoder->DecodeInteger(0), -1);
  EXPECT_EQ(*encoder->DecodeInteger(2), 7);
  EXPECT_EQ(encoder->DecodeInteger(3).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_FALSE(encoder->DecodeString(0).ok());
}

TEST(LabelEncoderTest, StringClassesAreSortedBytewise) {
  Column target = Strings("species", {"setosa", "virginica", "Versicolor", "setosa"});
  absl::StatusOr<LabelEncoder> encoder = LabelEncoder::Fit(target, MissingTargets::kReject);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_FALSE(encoder->IntegerLabels());
  // Upper case sorts before lower case byte-wise.
  EXPECT_THAT(encoder->ClassNames(), ElementsAre("Versicolor", "setosa", "virginica"));
  EXPECT_THAT(*encoder->EncodeRows(target, {0, 1, 2, 3}), ElementsAre(1, 2, 0, 1));
  EXPECT_EQ(*encoder->DecodeString(2), "virginica");
  EXPECT_FALSE(encoder->DecodeInteger(0).ok());
}

TEST(LabelEncoderTest, NonIntegerNumericTargetIsAnError) {
  absl::StatusOr<LabelEncoder> encoder =
      LabelEncoder::Fit(Numbers("y", {1, 2, 2.5}), MissingTargets::kReject);
  ASSERT_EQ(encoder.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(encoder.status().message(),
              HasSubstr("target 'y' row 2: value 2.5 is not an integer"));
}

TEST(LabelEncoderTest, MissingTargetsAreRejectedUnlessSkipped) {
  Column target = Numbers("y", {0, NAN, 1, NAN});
  absl::StatusOr<LabelEncoder> rejected = LabelEncoder::Fit(target, MissingTargets::kReject);
  ASSERT_FALSE(rejected.ok());
  EXPECT_THAT(rejected.status().message(),
              HasSubstr("target 'y' is missing in 2 rows (first: row 1)"));
  absl::StatusOr<LabelEncoder> skipped = LabelEncoder::Fit(target, MissingTargets::kSkip);
  ASSERT_TRUE(skipped.ok()) << skipped.status();
  EXPECT_EQ(skipped->NumClasses(), 2u);
  EXPECT_FALSE(skipped->Encode(target, 1).ok());
}

TEST(LabelEncoderTest, OneClassIsAnError) {
  EXPECT_THAT(
      LabelEncoder::Fit(Strings("y", {"a", "a"}), MissingTargets::kReject).status().message(),
      HasSubstr("at least 2 classes"));
}

TEST(LabelEncoderTest, UnknownValueAndWrongKindAreErrors) {
  absl::StatusOr<LabelEncoder> encoder =
      LabelEncoder::Fit(Numbers("y", {0, 1}), MissingTargets::kReject);
  ASSERT_TRUE(encoder.ok());
  EXPECT_THAT(encoder->Encode(Numbers("y", {5}), 0).status().message(),
              HasSubstr("not one of the classes"));
  EXPECT_THAT(encoder->Encode(Strings("y", {"0"}), 0).status().message(),
              HasSubstr("is categorical but the labels are integers"));
}

TEST(LabelEncoderTest, JsonRoundTrip) {
  for (const Column& target : {Numbers("y", {3, 1, 2}), Strings("y", {"b", "a", "c"})}) {
    absl::StatusOr<LabelEncoder> encoder = LabelEncoder::Fit(target, MissingTargets::kReject);
    ASSERT_TRUE(encoder.ok());
    nlohmann::json json = nlohmann::json::parse(encoder->ToJson().dump());
    absl::StatusOr<LabelEncoder> restored = LabelEncoder::FromJson(json);
    ASSERT_TRUE(restored.ok()) << restored.status();
    EXPECT_EQ(restored->ToJson(), encoder->ToJson());
    EXPECT_EQ(restored->IntegerLabels(), encoder->IntegerLabels());
    EXPECT_EQ(*restored->EncodeRows(target, {0, 1, 2}), *encoder->EncodeRows(target, {0, 1, 2}));
  }
  EXPECT_EQ(LabelEncoder::Fit(Numbers("y", {3, 1}), MissingTargets::kReject)->ToJson(),
            nlohmann::json::parse(R"({"kind": "integer", "classes": [1, 3]})"));
}

TEST(LabelEncoderTest, FromJsonRejectsMalformedDocuments) {
  for (const char* text :
       {R"({"kind": "integer", "classes": [2, 1]})", R"({"kind": "integer", "classes": [1, 1]})",
        R"({"kind": "string", "classes": ["a"]})", R"({"kind": "float", "classes": [1, 2]})",
        R"({"kind": "integer", "classes": [1.5, 2]})", R"({"classes": [1, 2]})", R"([1, 2])"}) {
    EXPECT_EQ(LabelEncoder::FromJson(nlohmann::json::parse(text)).status().code(),
              absl::StatusCode::kInvalidArgument)
        << text;
  }
}

}  // namespace
}  // namespace aiaas::training
