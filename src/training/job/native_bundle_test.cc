#include "training/job/native_bundle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace aiaas::training {
namespace {

using ::testing::HasSubstr;

NativeBundle Sample() {
  NativeBundle bundle;
  bundle.header = {{"format", kNativeBundleFormat}, {"task", "regression"}};
  bundle.weights = std::string("w\0e\xffights", 9);
  return bundle;
}

TEST(NativeBundleTest, RoundTrips) {
  const std::string bytes = EncodeNativeBundle(Sample());
  absl::StatusOr<NativeBundle> decoded = DecodeNativeBundle(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->header, Sample().header);
  EXPECT_EQ(decoded->weights, Sample().weights);
}

TEST(NativeBundleTest, RejectsDamagedBytes) {
  const std::string bytes = EncodeNativeBundle(Sample());
  EXPECT_THAT(DecodeNativeBundle("PK\x03\x04 not a bundle").status().message(),
              HasSubstr("magic"));
  for (size_t cut : {size_t{4}, size_t{10}, size_t{20}, bytes.size() - 1}) {
    EXPECT_EQ(DecodeNativeBundle(bytes.substr(0, cut)).status().code(),
              absl::StatusCode::kInvalidArgument)
        << cut;
  }
  EXPECT_THAT(DecodeNativeBundle(bytes + "x").status().message(), HasSubstr("trailing"));
  std::string newer = bytes;
  newer[8] = 2;
  EXPECT_THAT(DecodeNativeBundle(newer).status().message(), HasSubstr("version 2"));
  NativeBundle foreign = Sample();
  foreign.header["format"] = "other";
  EXPECT_THAT(DecodeNativeBundle(EncodeNativeBundle(foreign)).status().message(),
              HasSubstr("header format"));
}

}  // namespace
}  // namespace aiaas::training
