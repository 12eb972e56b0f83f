#include "common/signature_check.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas {
namespace {

using ::testing::HasSubstr;

Signature MakeSignature() {
  Signature signature;
  signature.inputs.push_back({"image", DataType::kFp32, std::vector<int64_t>{-1, 3, 224, 224}});
  signature.inputs.push_back({"mask", DataType::kBool, std::nullopt});
  signature.inputs.push_back({"anything", std::nullopt, std::nullopt});
  signature.outputs.push_back({"logits", std::nullopt, std::nullopt});
  return signature;
}

TEST(CheckInputAgainstSignatureTest, EmptySignatureAcceptsAnyInput) {
  EXPECT_TRUE(CheckInputAgainstSignature(Signature{}, "whatever", DataType::kInt8, {1, 2}).ok());
}

TEST(CheckInputAgainstSignatureTest, AcceptsMatchingInputs) {
  const Signature signature = MakeSignature();
  EXPECT_TRUE(
      CheckInputAgainstSignature(signature, "image", DataType::kFp32, {1, 3, 224, 224}).ok());
  EXPECT_TRUE(
      CheckInputAgainstSignature(signature, "image", DataType::kFp32, {64, 3, 224, 224}).ok());
  EXPECT_TRUE(
      CheckInputAgainstSignature(signature, "image", DataType::kFp32, {0, 3, 224, 224}).ok());
  // Unset shape: any rank.
  EXPECT_TRUE(CheckInputAgainstSignature(signature, "mask", DataType::kBool, {}).ok());
  EXPECT_TRUE(CheckInputAgainstSignature(signature, "mask", DataType::kBool, {1, 2, 3, 4, 5}).ok());
  // Unset dtype: any type.
  EXPECT_TRUE(CheckInputAgainstSignature(signature, "anything", DataType::kUint64, {7}).ok());
}

TEST(CheckInputAgainstSignatureTest, UnexpectedNameListsTheInputs) {
  absl::Status status =
      CheckInputAgainstSignature(MakeSignature(), "img", DataType::kFp32, {1, 3, 224, 224});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "unexpected input 'img'; the model's inputs are: image, mask, anything");
  // Output names are not inputs.
  EXPECT_FALSE(CheckInputAgainstSignature(MakeSignature(), "logits", DataType::kFp32, {1}).ok());
}

TEST(CheckInputAgainstSignatureTest, DatatypeMismatch) {
  absl::Status status =
      CheckInputAgainstSignature(MakeSignature(), "image", DataType::kFp64, {1, 3, 224, 224});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "input 'image' has datatype FP64, expected FP32");
}

TEST(CheckInputAgainstSignatureTest, RankAndFixedDimMismatch) {
  const Signature signature = MakeSignature();
  absl::Status dim =
      CheckInputAgainstSignature(signature, "image", DataType::kFp32, {1, 3, 224, 225});
  EXPECT_EQ(dim.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dim.message(),
            "input 'image' has shape [1, 3, 224, 225], expected [-1, 3, 224, 224] (-1 means any "
            "size)");
  absl::Status rank =
      CheckInputAgainstSignature(signature, "image", DataType::kFp32, {3, 224, 224});
  EXPECT_EQ(rank.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(rank.message()), HasSubstr("has shape [3, 224, 224]"));
  EXPECT_FALSE(
      CheckInputAgainstSignature(signature, "image", DataType::kFp32, {1, 3, 224, 224, 1}).ok());
}

TEST(CheckAllInputsPresentTest, NamesTheMissingInputs) {
  const Signature signature = MakeSignature();
  EXPECT_TRUE(CheckAllInputsPresent(signature, {"mask", "anything", "image"}).ok());
  EXPECT_TRUE(CheckAllInputsPresent(Signature{}, {}).ok());
  EXPECT_TRUE(CheckAllInputsPresent(Signature{}, {"extra"}).ok());
  absl::Status status = CheckAllInputsPresent(signature, {"mask"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "missing input(s): image, anything");
}

}  // namespace
}  // namespace aiaas
