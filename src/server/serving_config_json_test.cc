#include "server/serving_config_json.h"

#include <string>
#include <tuple>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::server {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// Every field, so that EXPECT_EQ compares (and prints) whole configs.
auto Fields(const ServingConfig& c) {
  return std::make_tuple(c.max_batch_size, c.max_queue_delay_us, c.preferred_batch_sizes,
                         c.instance_count, c.max_queue_size, c.default_timeout_ms, c.warmup,
                         c.pinned);
}

ServingConfig Decode(const std::string& body, const ServingConfig& base = ServingConfig{}) {
  auto result = DecodeServingConfigJson(body, base);
  EXPECT_TRUE(result.ok()) << body << ": " << result.status();
  return result.ok() ? *result : ServingConfig{};
}

std::string DecodeError(const std::string& body, const ServingConfig& base = ServingConfig{}) {
  auto result = DecodeServingConfigJson(body, base);
  EXPECT_FALSE(result.ok()) << body;
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  return std::string(result.status().message());
}

TEST(ServingConfigJsonTest, EncodesEveryFieldInOrder) {
  EXPECT_EQ(EncodeServingConfigJson(ServingConfig{}),
            R"({"max_batch_size":0,"max_queue_delay_us":500,"preferred_batch_sizes":[],)"
            R"("instance_count":1,"max_queue_size":1024,"default_timeout_ms":30000,)"
            R"("warmup":true,"pinned":false})");
  ServingConfig config;
  config.max_batch_size = 32;
  config.preferred_batch_sizes = {8, 32};
  config.warmup = false;
  config.pinned = true;
  EXPECT_THAT(
      EncodeServingConfigJson(config),
      AllOf(HasSubstr(R"("max_batch_size":32)"), HasSubstr(R"("preferred_batch_sizes":[8,32])"),
            HasSubstr(R"("warmup":false)"), HasSubstr(R"("pinned":true)")));
}

TEST(ServingConfigJsonTest, EncodeThenDecodeRoundTrips) {
  ServingConfig config;
  config.max_batch_size = 4096;
  config.max_queue_delay_us = 10'000'000;
  config.preferred_batch_sizes = {1, 64, 4096};
  config.instance_count = 64;
  config.max_queue_size = 1'000'000;
  config.default_timeout_ms = 3'600'000;
  config.warmup = false;
  config.pinned = true;
  EXPECT_EQ(Fields(Decode(EncodeServingConfigJson(config))), Fields(config));
  EXPECT_EQ(Fields(Decode(EncodeServingConfigJson(ServingConfig{}))), Fields(ServingConfig{}));
}

TEST(ServingConfigJsonTest, EmptyObjectKeepsBase) {
  ServingConfig base;
  base.max_batch_size = 8;
  base.preferred_batch_sizes = {4, 8};
  base.pinned = true;
  EXPECT_EQ(Fields(Decode("{}", base)), Fields(base));
  EXPECT_EQ(Fields(Decode(" { } ")), Fields(ServingConfig{}));
}

TEST(ServingConfigJsonTest, AppliesOnlyGivenFieldsOverBase) {
  ServingConfig base;
  base.max_batch_size = 16;
  base.preferred_batch_sizes = {8, 16};
  base.instance_count = 2;
  ServingConfig want = base;
  want.pinned = true;
  want.max_queue_delay_us = 0;
  EXPECT_EQ(Fields(Decode(R"({"pinned": true, "max_queue_delay_us": 0})", base)), Fields(want));

  want = base;
  want.max_batch_size = 4;
  want.preferred_batch_sizes = {};
  EXPECT_EQ(Fields(Decode(R"({"preferred_batch_sizes": [], "max_batch_size": 4})", base)),
            Fields(want));
}

TEST(ServingConfigJsonTest, DecodesEveryField) {
  const ServingConfig got = Decode(R"({
    "max_batch_size": 64, "max_queue_delay_us": 1500, "preferred_batch_sizes": [16, 64],
    "instance_count": 4, "max_queue_size": 10, "default_timeout_ms": 250,
    "warmup": false, "pinned": true})");
  ServingConfig want;
  want.max_batch_size = 64;
  want.max_queue_delay_us = 1500;
  want.preferred_batch_sizes = {16, 64};
  want.instance_count = 4;
  want.max_queue_size = 10;
  want.default_timeout_ms = 250;
  want.warmup = false;
  want.pinned = true;
  EXPECT_EQ(Fields(got), Fields(want));
}

TEST(ServingConfigJsonTest, UnknownFieldNamesItAndListsValidOnes) {
  const std::string message = DecodeError(R"({"max_batch_size": 8, "max_batch": 8})");
  EXPECT_THAT(message, HasSubstr(R"(unknown field "max_batch")"));
  EXPECT_THAT(message, HasSubstr("valid fields are max_batch_size, max_queue_delay_us, "
                                 "preferred_batch_sizes, instance_count, max_queue_size, "
                                 "default_timeout_ms, warmup, pinned"));
}

TEST(ServingConfigJsonTest, RejectsBodiesThatAreNotObjects) {
  EXPECT_THAT(DecodeError("[]"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(DecodeError("null"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(DecodeError(""), HasSubstr("invalid JSON"));
  EXPECT_THAT(DecodeError(R"({"pinned": true)"), HasSubstr("invalid JSON"));
}

TEST(ServingConfigJsonTest, RejectsWrongTypes) {
  EXPECT_THAT(DecodeError(R"({"max_batch_size": "8"})"),
              HasSubstr(R"('max_batch_size' must be an integer in [0, 4096], got a string "8")"));
  EXPECT_THAT(DecodeError(R"({"max_batch_size": 8.0})"), HasSubstr("got a non-integer number 8.0"));
  EXPECT_THAT(DecodeError(R"({"instance_count": null})"),
              HasSubstr("'instance_count' must be an integer in [1, 64], got null"));
  EXPECT_THAT(DecodeError(R"({"default_timeout_ms": true})"),
              HasSubstr("'default_timeout_ms' must be an integer"));
  EXPECT_THAT(DecodeError(R"({"warmup": 1})"),
              HasSubstr("'warmup' must be a boolean (true or false), got 1"));
  EXPECT_THAT(DecodeError(R"({"pinned": "true"})"), HasSubstr("'pinned' must be a boolean"));
  EXPECT_THAT(DecodeError(R"({"max_batch_size": 8, "preferred_batch_sizes": 8})"),
              HasSubstr("'preferred_batch_sizes' must be an array of integers, got 8"));
  EXPECT_THAT(DecodeError(R"({"max_batch_size": 8, "preferred_batch_sizes": [2, "4"]})"),
              HasSubstr(R"('preferred_batch_sizes[1]' must be an integer in [1, 8])"));
  EXPECT_THAT(DecodeError(R"({"max_batch_size": 8, "preferred_batch_sizes": [[2]]})"),
              HasSubstr("got an array"));
}

TEST(ServingConfigJsonTest, EnforcesRangesAtBothEnds) {
  struct Case {
    const char* field;
    const char* range;
    long long low;  // last valid value at each end
    long long high;
  };
  for (const Case& c : std::vector<Case>{
           {"max_batch_size", "[0, 4096]", 0, 4096},
           {"max_queue_delay_us", "[0, 10000000]", 0, 10'000'000},
           {"instance_count", "[1, 64]", 1, 64},
           {"max_queue_size", "[1, 1000000]", 1, 1'000'000},
           {"default_timeout_ms", "[1, 3600000]", 1, 3'600'000},
       }) {
    const std::string field = c.field;
    for (long long ok : {c.low, c.high}) {
      Decode("{\"" + field + "\": " + std::to_string(ok) + "}");
    }
    for (long long bad : {c.low - 1, c.high + 1}) {
      EXPECT_THAT(DecodeError("{\"" + field + "\": " + std::to_string(bad) + "}"),
                  HasSubstr("'" + field + "' must be an integer in " + c.range + ", got " +
                            std::to_string(bad)));
    }
  }
  // Beyond 64 bits, and at the edges of int64/uint64.
  EXPECT_THAT(DecodeError(R"({"max_queue_size": 18446744073709551615})"),
              HasSubstr("[1, 1000000], got 18446744073709551615"));
  EXPECT_THAT(DecodeError(R"({"max_queue_size": -9223372036854775808})"),
              HasSubstr("[1, 1000000]"));
  EXPECT_THAT(DecodeError(R"({"max_queue_size": 1e3})"),
              HasSubstr("[1, 1000000], got a non-integer number"));
  EXPECT_THAT(DecodeError(R"({"max_queue_size": 1e400})"), HasSubstr("invalid JSON"));
}

TEST(ServingConfigJsonTest, PreferredSizesMustFitMaxBatchSize) {
  EXPECT_EQ(
      Decode(R"({"max_batch_size": 8, "preferred_batch_sizes": [1, 8]})").preferred_batch_sizes,
      (std::vector<int>{1, 8}));
  EXPECT_THAT(DecodeError(R"({"max_batch_size": 8, "preferred_batch_sizes": [4, 16]})"),
              HasSubstr("'preferred_batch_sizes[1]' must be an integer in [1, 8] "
                        "(1 to max_batch_size), got 16"));
  EXPECT_THAT(DecodeError(R"({"max_batch_size": 8, "preferred_batch_sizes": [0]})"),
              HasSubstr("got 0"));
  EXPECT_THAT(DecodeError(R"({"max_batch_size": 8, "preferred_batch_sizes": [4, 2, 4]})"),
              HasSubstr("'preferred_batch_sizes' lists 4 more than once"));
  // Without batching there is nothing to prefer.
  EXPECT_THAT(DecodeError(R"({"preferred_batch_sizes": [1]})"),
              HasSubstr("'preferred_batch_sizes' must be empty when max_batch_size is 0"));
  EXPECT_EQ(Fields(Decode(R"({"max_batch_size": 0, "preferred_batch_sizes": []})")),
            Fields(ServingConfig{}));
}

TEST(ServingConfigJsonTest, ChecksTheMergedResult) {
  ServingConfig base;
  base.max_batch_size = 32;
  base.preferred_batch_sizes = {8, 32};
  // Lowering max_batch_size under stored preferred sizes needs new sizes too.
  EXPECT_THAT(DecodeError(R"({"max_batch_size": 16})", base),
              HasSubstr("'preferred_batch_sizes' entries must be in [1, 16] "
                        "(1 to max_batch_size), got 32"));
  EXPECT_THAT(DecodeError(R"({"max_batch_size": 0})", base),
              HasSubstr("must be empty when max_batch_size is 0"));
  EXPECT_EQ(Decode(R"({"max_batch_size": 16, "preferred_batch_sizes": [16]})", base)
                .preferred_batch_sizes,
            (std::vector<int>{16}));
  // Preferred sizes alone are checked against the stored max_batch_size.
  EXPECT_THAT(DecodeError(R"({"preferred_batch_sizes": [64]})", base),
              HasSubstr("must be an integer in [1, 32]"));
}

TEST(ServingConfigJsonTest, ValidateServingConfig) {
  EXPECT_TRUE(ValidateServingConfig(ServingConfig{}).ok());
  ServingConfig config;
  config.instance_count = 0;
  EXPECT_THAT(ValidateServingConfig(config).message(),
              HasSubstr("'instance_count' must be an integer in [1, 64], got 0"));
  config = ServingConfig{};
  config.max_queue_delay_us = -1;
  EXPECT_EQ(ValidateServingConfig(config).code(), absl::StatusCode::kInvalidArgument);
  // A bad base is reported even when the body does not touch the field.
  EXPECT_THAT(DecodeError(R"({"pinned": true})", config), HasSubstr("'max_queue_delay_us'"));
}

}  // namespace
}  // namespace aiaas::server
