#include "training/data/data_table.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::training {
namespace {

using ::testing::ElementsAre;

TEST(DataTableTest, FindColumnNamesAndMissingCount) {
  DataTable table;
  table.rows = 3;
  Column a;
  a.name = "a";
  a.numbers = {1, 0, 3};
  a.missing = {0, 1, 0};
  Column b;
  b.name = "b";
  b.kind = ColumnKind::kCategorical;
  b.strings = {"x", "y", ""};
  b.missing = {0, 0, 1};
  table.columns = {a, b};

  EXPECT_THAT(table.ColumnNames(), ElementsAre("a", "b"));
  ASSERT_NE(table.Find("b"), nullptr);
  EXPECT_EQ(table.Find("b")->kind, ColumnKind::kCategorical);
  EXPECT_EQ(table.Find("c"), nullptr);
  const DataTable& const_table = table;
  EXPECT_EQ(const_table.Find("a")->size(), 3u);
  EXPECT_EQ(table.Find("a")->MissingCount(), 1u);
  EXPECT_TRUE(table.Find("a")->IsMissing(1));
  EXPECT_FALSE(table.Find("a")->IsMissing(0));
  table.Find("a")->name = "renamed";
  EXPECT_NE(table.Find("renamed"), nullptr);
}

TEST(DataTableTest, ColumnKindNames) {
  EXPECT_EQ(ColumnKindName(ColumnKind::kNumeric), "numeric");
  EXPECT_EQ(ColumnKindName(ColumnKind::kCategorical), "categorical");
}

}  // namespace
}  // namespace aiaas::training
