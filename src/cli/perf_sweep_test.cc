#include "cli/perf_sweep.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseConcurrencySweepTest, SingleValue) {
  EXPECT_THAT(*ParseConcurrencySweep("16"), ElementsAre(16));
}

TEST(ParseConcurrencySweepTest, MultiplicativeIncludesTheEnd) {
  EXPECT_THAT(*ParseConcurrencySweep("1:64:x2"), ElementsAre(1, 2, 4, 8, 16, 32, 64));
  EXPECT_THAT(*ParseConcurrencySweep("1:10:x2"), ElementsAre(1, 2, 4, 8));
  EXPECT_THAT(*ParseConcurrencySweep("3:30:X3"), ElementsAre(3, 9, 27));
}

TEST(ParseConcurrencySweepTest, Additive) {
  EXPECT_THAT(*ParseConcurrencySweep("4:16:4"), ElementsAre(4, 8, 12, 16));
  EXPECT_THAT(*ParseConcurrencySweep("1:4"), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(*ParseConcurrencySweep("2:7:2"), ElementsAre(2, 4, 6));
  EXPECT_THAT(*ParseConcurrencySweep("5:5:3"), ElementsAre(5));
}

TEST(ParseConcurrencySweepTest, BadSpecsAreUsageErrors) {
  for (const char* spec : {"", "x", "0", "-1", "1.5", "1:64:x1", "1:64:x0", "1:64:0", "1:64:-2",
                           "8:4", "1:2:3:4", "1:64:y2", "1::2", "1:2000", "1:200:1"}) {
    absl::StatusOr<std::vector<int>> levels = ParseConcurrencySweep(spec);
    EXPECT_EQ(levels.status().code(), absl::StatusCode::kInvalidArgument) << spec;
    EXPECT_THAT(levels.status().message(), HasSubstr("--concurrency")) << spec;
  }
  EXPECT_THAT(ParseConcurrencySweep("8:4").status().message(), HasSubstr("end is smaller"));
  EXPECT_THAT(ParseConcurrencySweep("1:200:1").status().message(), HasSubstr("more than 64"));
}

TEST(ParseRateSweepTest, DecimalRates) {
  EXPECT_THAT(*ParseRateSweep("0.5"), ElementsAre(0.5));
  EXPECT_THAT(*ParseRateSweep("100:400:100"), ElementsAre(100, 200, 300, 400));
  EXPECT_THAT(*ParseRateSweep("50:400:x2"), ElementsAre(50, 100, 200, 400));
  // Index-based steps do not drift past the end.
  EXPECT_EQ(ParseRateSweep("0.1:1:0.1")->size(), 10u);
}

TEST(ParseRateSweepTest, BadRates) {
  for (const char* spec : {"0", "-5", "abc", "1:2:0", "inf", "nan", "2e6"}) {
    EXPECT_EQ(ParseRateSweep(spec).status().code(), absl::StatusCode::kInvalidArgument) << spec;
  }
}

TEST(ParsePerfDurationTest, UnitsAndBareSeconds) {
  EXPECT_EQ(*ParsePerfDuration("10s", "--duration"), absl::Seconds(10));
  EXPECT_EQ(*ParsePerfDuration("500ms", "--duration"), absl::Milliseconds(500));
  EXPECT_EQ(*ParsePerfDuration("1m30s", "--duration"), absl::Seconds(90));
  EXPECT_EQ(*ParsePerfDuration("2", "--duration"), absl::Seconds(2));
  EXPECT_EQ(*ParsePerfDuration("0", "--warmup"), absl::ZeroDuration());
}

TEST(ParsePerfDurationTest, Rejects) {
  EXPECT_THAT(ParsePerfDuration("ten", "--duration").status().message(),
              HasSubstr("--duration 'ten' is not a duration"));
  EXPECT_FALSE(ParsePerfDuration("-1s", "--warmup").ok());
  EXPECT_FALSE(ParsePerfDuration("inf", "--warmup").ok());
}

}  // namespace
}  // namespace aiaas::cli
