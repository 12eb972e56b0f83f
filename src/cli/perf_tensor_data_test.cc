#include "cli/perf_tensor_data.h"

#include <cmath>
#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr DataType kAllFixedSize[] = {
    DataType::kBool, DataType::kUint8, DataType::kUint16, DataType::kUint32, DataType::kUint64,
    DataType::kInt8, DataType::kInt16, DataType::kInt32,  DataType::kInt64,  DataType::kFp16,
    DataType::kBf16, DataType::kFp32,  DataType::kFp64};

std::string Random(DataType dtype, int64_t elements, uint64_t seed) {
  std::mt19937_64 rng(seed);
  return *RandomTensorData(dtype, elements, rng);
}

template <typename T>
std::vector<T> Values(const std::string& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

float HalfToFloat(uint16_t half) {
  const int exponent = (half >> 10) & 0x1f;
  const int mantissa = half & 0x3ff;
  if (exponent == 0 && mantissa == 0) return 0;
  return std::ldexp(1.0F + static_cast<float>(mantissa) / 1024.0F, exponent - 15);
}

TEST(RandomTensorDataTest, SizeIsElementsTimesTypeSize) {
  for (DataType dtype : kAllFixedSize) {
    EXPECT_EQ(Random(dtype, 784, 1).size(), 784 * DataTypeSize(dtype))
        << std::string(DataTypeName(dtype));
    EXPECT_EQ(Random(dtype, 0, 1).size(), 0u);
  }
}

TEST(RandomTensorDataTest, SameSeedSameBytes) {
  EXPECT_EQ(Random(DataType::kFp32, 100, 7), Random(DataType::kFp32, 100, 7));
  EXPECT_NE(Random(DataType::kFp32, 100, 7), Random(DataType::kFp32, 100, 8));
}

TEST(RandomTensorDataTest, ValueRanges) {
  for (float value : Values<float>(Random(DataType::kFp32, 1000, 3))) {
    EXPECT_GE(value, 0.0F);
    EXPECT_LT(value, 1.0F);
    EXPECT_EQ(value * 256, std::floor(value * 256));  // a multiple of 1/256
  }
  for (int64_t value : Values<int64_t>(Random(DataType::kInt64, 1000, 3))) {
    EXPECT_GE(value, 0);
    EXPECT_LT(value, 100);
  }
  for (uint8_t value : Values<uint8_t>(Random(DataType::kBool, 1000, 3))) EXPECT_LE(value, 1);
}

TEST(RandomTensorDataTest, HalfTypesMatchTheFloatValues) {
  const std::vector<float> floats = Values<float>(Random(DataType::kFp32, 500, 11));
  const std::vector<uint16_t> halves = Values<uint16_t>(Random(DataType::kFp16, 500, 11));
  const std::vector<uint16_t> bf16 = Values<uint16_t>(Random(DataType::kBf16, 500, 11));
  ASSERT_EQ(floats.size(), halves.size());
  for (size_t i = 0; i < floats.size(); ++i) {
    EXPECT_EQ(HalfToFloat(halves[i]), floats[i]) << i;
    uint32_t bits = 0;
    std::memcpy(&bits, &floats[i], sizeof(bits));
    EXPECT_EQ(bf16[i], bits >> 16) << i;
  }
}

TEST(RandomTensorDataTest, BytesIsUnsupported) {
  std::mt19937_64 rng(1);
  EXPECT_THAT(RandomTensorData(DataType::kBytes, 3, rng).status().message(),
              HasSubstr("--input-data"));
}

TEST(TensorDataJsonTest, RoundTripsEveryJsonType) {
  for (DataType dtype : kAllFixedSize) {
    if (dtype == DataType::kFp16 || dtype == DataType::kBf16) continue;
    const std::string bytes = Random(dtype, 64, 5);
    absl::StatusOr<nlohmann::ordered_json> values = TensorDataToJson(dtype, bytes);
    ASSERT_TRUE(values.ok()) << values.status();
    absl::StatusOr<std::string> back = TensorDataFromJson(dtype, json::parse(values->dump()), 64);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, bytes) << std::string(DataTypeName(dtype));
  }
}

TEST(TensorDataJsonTest, ToJsonValues) {
  EXPECT_EQ(TensorDataToJson(DataType::kBool, std::string("\x01\x00", 2))->dump(), "[true,false]");
  const float floats[] = {0.5F, 0.25F};
  EXPECT_EQ(TensorDataToJson(DataType::kFp32,
                             std::string(reinterpret_cast<const char*>(floats), sizeof(floats)))
                ->dump(),
            "[0.5,0.25]");
  EXPECT_THAT(TensorDataToJson(DataType::kFp16, "ab").status().message(),
              HasSubstr("--protocol binary"));
  EXPECT_FALSE(TensorDataToJson(DataType::kInt32, "abc").ok());
}

TEST(TensorDataJsonTest, FromJsonFlattensNestedData) {
  const std::string bytes = *TensorDataFromJson(DataType::kInt16, json::parse("[[1,2],[3,-4]]"), 4);
  EXPECT_EQ(bytes, std::string("\x01\x00\x02\x00\x03\x00\xfc\xff", 8));
}

TEST(TensorDataJsonTest, FromJsonRejects) {
  EXPECT_THAT(TensorDataFromJson(DataType::kFp32, json::parse("[1,2]"), 3).status().message(),
              HasSubstr("has 2 values, the shape needs 3"));
  EXPECT_THAT(TensorDataFromJson(DataType::kInt8, json::parse("[300]"), 1).status().message(),
              HasSubstr("INT8 value 300 does not fit"));
  EXPECT_FALSE(TensorDataFromJson(DataType::kUint8, json::parse("[-1]"), 1).ok());
  EXPECT_FALSE(TensorDataFromJson(DataType::kInt32, json::parse("[1.5]"), 1).ok());
  EXPECT_FALSE(TensorDataFromJson(DataType::kBool, json::parse("[1]"), 1).ok());
  EXPECT_FALSE(TensorDataFromJson(DataType::kFp32, json::parse("[\"a\"]"), 1).ok());
  EXPECT_FALSE(TensorDataFromJson(DataType::kFp16, json::parse("[1]"), 1).ok());
  EXPECT_TRUE(TensorDataFromJson(DataType::kUint64, json::parse("[18446744073709551615]"), 1).ok());
  EXPECT_TRUE(TensorDataFromJson(DataType::kInt64, json::parse("[-9223372036854775808]"), 1).ok());
}

}  // namespace
}  // namespace aiaas::cli
