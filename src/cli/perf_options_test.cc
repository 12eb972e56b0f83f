#include "cli/perf_options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

absl::StatusOr<PerfOptions> Parse(std::map<std::string, std::string> flags,
                                  const std::string& model = "m") {
  ParsedArgs args;
  args.flags = std::move(flags);
  return ParsePerfOptions({model}, args);
}

std::string Error(std::map<std::string, std::string> flags) {
  absl::StatusOr<PerfOptions> options = Parse(std::move(flags));
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(options.status().message());
}

TEST(ParsePerfOptionsTest, Defaults) {
  const PerfOptions options = *Parse({});
  EXPECT_EQ(options.model, "m");
  EXPECT_FALSE(options.version.has_value());
  EXPECT_THAT(options.concurrency_levels, ElementsAre(1));
  EXPECT_TRUE(options.request_rates.empty());
  EXPECT_EQ(options.duration, absl::Seconds(10));
  EXPECT_EQ(options.warmup, absl::Seconds(2));
  EXPECT_EQ(options.protocol, PerfProtocol::kJson);
  EXPECT_EQ(options.seed, 1u);
  EXPECT_FALSE(options.batch_size.has_value());
}

TEST(ParsePerfOptionsTest, EveryFlag) {
  const PerfOptions options = *Parse({{"version", "production"},
                                      {"concurrency", "1:4:x2"},
                                      {"duration", "3s"},
                                      {"warmup", "0"},
                                      {"protocol", "binary"},
                                      {"shape", "input:1,784"},
                                      {"batch-size", "8"},
                                      {"seed", "99"}});
  EXPECT_EQ(options.version, "production");
  EXPECT_THAT(options.concurrency_levels, ElementsAre(1, 2, 4));
  EXPECT_EQ(options.duration, absl::Seconds(3));
  EXPECT_EQ(options.warmup, absl::ZeroDuration());
  EXPECT_EQ(options.protocol, PerfProtocol::kBinary);
  EXPECT_THAT(options.shapes, ElementsAre(Pair("input", ElementsAre(1, 784))));
  EXPECT_EQ(options.batch_size, 8);
  EXPECT_EQ(options.seed, 99u);
}

TEST(ParsePerfOptionsTest, OpenLoop) {
  const PerfOptions options = *Parse(
      {{"request-rate", "100:300:100"}, {"request-distribution", "poisson"}, {"max-threads", "8"}});
  EXPECT_TRUE(options.concurrency_levels.empty());
  EXPECT_THAT(options.request_rates, ElementsAre(100, 200, 300));
  EXPECT_EQ(options.arrivals, ArrivalPattern::kPoisson);
  EXPECT_EQ(options.max_threads, 8);
}

TEST(ParsePerfOptionsTest, UsageErrors) {
  EXPECT_THAT(Error({{"concurrency", "4"}, {"request-rate", "10"}}), HasSubstr("exclude"));
  EXPECT_THAT(Error({{"concurrency", "0"}}), HasSubstr("--concurrency '0'"));
  EXPECT_THAT(Error({{"request-rate", "1:x"}}), HasSubstr("--request-rate"));
  EXPECT_THAT(Error({{"request-distribution", "poisson"}}), HasSubstr("needs --request-rate"));
  EXPECT_THAT(Error({{"request-rate", "5"}, {"request-distribution", "burst"}}),
              HasSubstr("constant or poisson"));
  EXPECT_THAT(Error({{"duration", "0s"}}), HasSubstr("--duration must be longer than 0"));
  EXPECT_THAT(Error({{"warmup", "soon"}}), HasSubstr("--warmup 'soon'"));
  EXPECT_THAT(Error({{"protocol", "grpc"}}), HasSubstr("json or binary"));
  EXPECT_THAT(Error({{"batch-size", "0"}}), HasSubstr("--batch-size '0'"));
  EXPECT_THAT(Error({{"seed", "-3"}}), HasSubstr("--seed"));
  EXPECT_THAT(Error({{"shape", "input"}}), HasSubstr("NAME:DIM"));
  EXPECT_THAT(Error({{"version", ""}}), HasSubstr("empty --version"));
  EXPECT_THAT(Error({{"input-data", "r.json"}, {"shape", "x:1"}}),
              HasSubstr("--shape does not apply with --input-data"));
  EXPECT_THAT(Error({{"input-data", "r.json"}, {"batch-size", "2"}}),
              HasSubstr("--batch-size does not apply"));
  EXPECT_FALSE(Parse({}, "Bad Name").ok());
}

}  // namespace
}  // namespace aiaas::cli
