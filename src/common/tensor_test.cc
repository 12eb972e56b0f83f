#include "common/tensor.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas {
namespace {

using ::testing::HasSubstr;

struct TypeCase {
  DataType type;
  std::string name;
  size_t size;
};

std::vector<TypeCase> AllTypes() {
  return {
      {DataType::kBool, "BOOL", 1},     {DataType::kUint8, "UINT8", 1},
      {DataType::kUint16, "UINT16", 2}, {DataType::kUint32, "UINT32", 4},
      {DataType::kUint64, "UINT64", 8}, {DataType::kInt8, "INT8", 1},
      {DataType::kInt16, "INT16", 2},   {DataType::kInt32, "INT32", 4},
      {DataType::kInt64, "INT64", 8},   {DataType::kFp16, "FP16", 2},
      {DataType::kBf16, "BF16", 2},     {DataType::kFp32, "FP32", 4},
      {DataType::kFp64, "FP64", 8},     {DataType::kBytes, "BYTES", 0},
  };
}

TEST(DataTypeTest, NamesSizesAndParsingAgree) {
  for (const TypeCase& c : AllTypes()) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(DataTypeName(c.type), c.name);
    EXPECT_EQ(DataTypeSize(c.type), c.size);
    auto parsed = ParseDataType(c.name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, c.type);
  }
}

TEST(DataTypeTest, UnknownNamesListTheValidOnes) {
  for (std::string name : {"fp32", "FLOAT", "", "FP32 ", "INT128"}) {
    auto parsed = ParseDataType(name);
    ASSERT_FALSE(parsed.ok()) << name;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().message(),
              "unknown datatype '" + name +
                  "'; expected one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, "
                  "INT64, FP16, BF16, FP32, FP64, BYTES");
  }
}

TEST(ElementCountTest, MultipliesDims) {
  EXPECT_EQ(*ElementCount({}), 1);
  EXPECT_EQ(*ElementCount({7}), 7);
  EXPECT_EQ(*ElementCount({2, 3, 4}), 24);
  EXPECT_EQ(*ElementCount({2, 0, 4}), 0);
  EXPECT_EQ(*ElementCount({0, INT64_MAX, INT64_MAX}), 0);
  EXPECT_EQ(*ElementCount({INT64_MAX, INT64_MAX, 0}), 0);  // a zero anywhere: empty
  EXPECT_EQ(*ElementCount({INT64_MAX}), INT64_MAX);
}

TEST(ElementCountTest, RejectsNegativeDims) {
  auto count = ElementCount({2, -1});
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(count.status().message(), "shape [2, -1] has a negative dimension");
}

TEST(ElementCountTest, RejectsOverflowAndTheLimit) {
  auto overflow = ElementCount({4294967296, 4294967296});
  ASSERT_FALSE(overflow.ok());
  EXPECT_THAT(std::string(overflow.status().message()),
              HasSubstr("shape [4294967296, 4294967296] has more than"));
  EXPECT_FALSE(ElementCount({INT64_MAX, 2}).ok());
  EXPECT_FALSE(ElementCount({3037000500, 3037000500}).ok());  // just over 2^63

  EXPECT_EQ(*ElementCount({16, 16}, 256), 256);  // the limit itself is allowed
  auto over = ElementCount({16, 17}, 256);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().message(), "shape [16, 17] has more than 256 elements");
  EXPECT_FALSE(ElementCount({257}, 256).ok());
  EXPECT_FALSE(ElementCount({1}, 0).ok());
  EXPECT_EQ(*ElementCount({0}, 0), 0);
}

TEST(ShapeToStringTest, FormatsLikeAList) {
  EXPECT_EQ(ShapeToString({}), "[]");
  EXPECT_EQ(ShapeToString({5}), "[5]");
  EXPECT_EQ(ShapeToString({1, 3, -1}), "[1, 3, -1]");
}

TEST(TensorTest, NumElementsFollowsTheShape) {
  Tensor tensor;
  EXPECT_EQ(tensor.dtype, DataType::kFp32);
  EXPECT_EQ(tensor.NumElements(), 1);  // rank 0: a scalar
  tensor.shape = {2, 3};
  EXPECT_EQ(tensor.NumElements(), 6);
  tensor.shape = {4, 0};
  EXPECT_EQ(tensor.NumElements(), 0);
}

}  // namespace
}  // namespace aiaas
