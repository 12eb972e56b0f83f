#include "training/preprocess/split.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace aiaas::training {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<size_t> AllOf(const RowSplit& split) {
  std::vector<size_t> all = split.train;
  all.insert(all.end(), split.validation.begin(), split.validation.end());
  all.insert(all.end(), split.test.begin(), split.test.end());
  std::sort(all.begin(), all.end());
  return all;
}

SplitOptions Options(double validation_fraction, double test_fraction, uint64_t seed) {
  SplitOptions options;
  options.validation_fraction = validation_fraction;
  options.test_fraction = test_fraction;
  options.seed = seed;
  return options;
}

std::vector<size_t> Iota(size_t n) {
  std::vector<size_t> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = i;
  return values;
}

// The expected values come from a separate Python implementation of the same
// algorithm (splitmix64 seeding xoshiro256**, rejection sampling, Fisher-Yates):
//   r = R(0); [hex(r.next()) for _ in range(3)]
//   plain(n=10, v=0.2, t=0.3, seed=42) -> train, validation, test
// so a compiler or standard library change that alters the sequence fails here.
TEST(SplitRandomTest, MatchesTheReferenceSequence) {
  SplitRandom random(0);
  EXPECT_EQ(random.Next(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(random.Next(), 0xbf6e1f784956452aULL);
  EXPECT_EQ(random.Next(), 0x1a5f849d4933e6e0ULL);
}

TEST(SplitRowsTest, MatchesTheReferenceSplit) {
  absl::StatusOr<RowSplit> split = SplitRows(10, Options(0.2, 0.3, 42));
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_THAT(split->train, ElementsAre(0, 1, 2, 4, 6));
  EXPECT_THAT(split->validation, ElementsAre(5, 9));
  EXPECT_THAT(split->test, ElementsAre(3, 7, 8));
}

TEST(SplitRowsTest, SizesRoundHalfUpAndEveryRowIsUsedOnce) {
  absl::StatusOr<RowSplit> split = SplitRows(25, Options(0.1, 0.3, 1));
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->test.size(), 8u);        // 7.5 -> 8
  EXPECT_EQ(split->validation.size(), 3u);  // 2.5 -> 3
  EXPECT_EQ(split->train.size(), 14u);
  EXPECT_EQ(AllOf(*split), Iota(25));
  EXPECT_TRUE(std::is_sorted(split->train.begin(), split->train.end()));
}

TEST(SplitRowsTest, SameSeedSameSplitOtherSeedOtherSplit) {
  SplitOptions options = Options(0.1, 0.2, 7);
  absl::StatusOr<RowSplit> a = SplitRows(200, options);
  absl::StatusOr<RowSplit> b = SplitRows(200, options);
  options.seed = 8;
  absl::StatusOr<RowSplit> c = SplitRows(200, options);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->train, b->train);
  EXPECT_EQ(a->validation, b->validation);
  EXPECT_EQ(a->test, b->test);
  EXPECT_NE(a->test, c->test);
  EXPECT_EQ(a->test.size(), c->test.size());
}

TEST(SplitRowsTest, NoFractionsPutEverythingInTrain) {
  absl::StatusOr<RowSplit> split = SplitRows(5, {});
  ASSERT_TRUE(split.ok());
  EXPECT_THAT(split->train, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_TRUE(split->validation.empty());
  EXPECT_TRUE(split->test.empty());
}

TEST(SplitRowsTest, ARequestedSplitGetsAtLeastOneRow) {
  absl::StatusOr<RowSplit> split = SplitRows(4, Options(0.05, 0.05, 0));
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->validation.size(), 1u);
  EXPECT_EQ(split->test.size(), 1u);
  EXPECT_EQ(split->train.size(), 2u);
}

TEST(SplitRowsTest, RejectsBadFractionsAndTooSmallDatasets) {
  EXPECT_THAT(SplitRows(10, Options(-0.1, 0, 0)).status().message(),
              HasSubstr("validation_fraction"));
  EXPECT_THAT(SplitRows(10, Options(0, 1.0, 0)).status().message(), HasSubstr("test_fraction"));
  EXPECT_THAT(SplitRows(10, Options(0, NAN, 0)).status().message(), HasSubstr("test_fraction"));
  EXPECT_THAT(SplitRows(10, Options(0.5, 0.5, 0)).status().message(), HasSubstr("must be below 1"));
  EXPECT_THAT(SplitRows(0, {}).status().message(), HasSubstr("no rows"));
  EXPECT_THAT(SplitRows(2, Options(0.1, 0.1, 0)).status().message(),
              HasSubstr("dataset too small: 2 rows"));
  std::vector<int64_t> labels = {0, 1, 2};
  EXPECT_EQ(SplitRows(4, {}, &labels).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StratifiedSplitTest, EachClassIsSplitInTheSameProportions) {
  std::vector<int64_t> labels;
  for (int64_t c : {2, 0, 1}) {
    size_t count = c == 0 ? 50 : c == 1 ? 30 : 20;
    labels.insert(labels.end(), count, c);
  }
  absl::StatusOr<RowSplit> split = SplitRows(labels.size(), Options(0.1, 0.2, 3), &labels);
  ASSERT_TRUE(split.ok()) << split.status();
  auto count = [&](const std::vector<size_t>& rows) {
    std::map<int64_t, size_t> counts;
    for (size_t row : rows) ++counts[labels[row]];
    return counts;
  };
  EXPECT_EQ(count(split->test), (std::map<int64_t, size_t>{{0, 10}, {1, 6}, {2, 4}}));
  EXPECT_EQ(count(split->validation), (std::map<int64_t, size_t>{{0, 5}, {1, 3}, {2, 2}}));
  EXPECT_EQ(count(split->train), (std::map<int64_t, size_t>{{0, 35}, {1, 21}, {2, 14}}));
  EXPECT_EQ(AllOf(*split), Iota(labels.size()));
}

TEST(StratifiedSplitTest, EveryClassWithThreeRowsKeepsATrainRow) {
  // Per class of 3: test round(1.5) = 2, validation round(1.38) = 1 would leave no
  // train row; one row goes back from test.
  std::vector<int64_t> labels = {0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
  absl::StatusOr<RowSplit> split = SplitRows(labels.size(), Options(0.46, 0.5, 9), &labels);
  ASSERT_TRUE(split.ok()) << split.status();
  std::set<int64_t> train_classes;
  for (size_t row : split->train) train_classes.insert(labels[row]);
  EXPECT_EQ(train_classes, (std::set<int64_t>{0, 1, 2}));
  EXPECT_EQ(AllOf(*split), Iota(labels.size()));
}

TEST(StratifiedSplitTest, ASingletonClassStaysInTrain) {
  std::vector<int64_t> labels = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
  absl::StatusOr<RowSplit> split = SplitRows(labels.size(), Options(0.2, 0.2, 0), &labels);
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_TRUE(std::binary_search(split->train.begin(), split->train.end(), size_t{10}));
}

TEST(StratifiedSplitTest, AnEmptyRequestedSplitTakesARowFromTheLargestClass) {
  // round(2 * 0.2) = 0 in each class, so validation would be empty.
  std::vector<int64_t> labels = {0, 0, 1, 1, 1};
  absl::StatusOr<RowSplit> split = SplitRows(labels.size(), Options(0.1, 0, 4), &labels);
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_EQ(split->validation.size(), 1u);
  EXPECT_EQ(labels[split->validation[0]], 1);
  EXPECT_EQ(split->train.size(), 4u);
}

TEST(StratifiedSplitTest, TooFewRowsToStratifyIsAnError) {
  std::vector<int64_t> labels = {0, 1};
  EXPECT_THAT(SplitRows(2, Options(0, 0.3, 0), &labels).status().message(),
              HasSubstr("dataset too small"));
}

TEST(StratifiedSplitTest, SameSeedSameSplit) {
  std::vector<int64_t> labels;
  for (size_t i = 0; i < 90; ++i) labels.push_back(static_cast<int64_t>(i % 3));
  SplitOptions options = Options(0.2, 0.2, 11);
  absl::StatusOr<RowSplit> a = SplitRows(90, options, &labels);
  absl::StatusOr<RowSplit> b = SplitRows(90, options, &labels);
  options.seed = 12;
  absl::StatusOr<RowSplit> c = SplitRows(90, options, &labels);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->test, b->test);
  EXPECT_EQ(a->validation, b->validation);
  EXPECT_NE(a->test, c->test);
}

TEST(RowsAtTest, MapsPositionsToRows) {
  EXPECT_THAT(RowsAt({3, 5, 8, 13}, {0, 2, 3}), ElementsAre(3, 8, 13));
}

}  // namespace
}  // namespace aiaas::training
