#include "training/data/schema.h"

#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/data/csv_reader.h"

namespace aiaas::training {
namespace {

DataTable Table(std::string_view csv) {
  absl::StatusOr<DataTable> table = ReadCsv(csv);
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : DataTable{};
}

TEST(SchemaTest, NumericStatistics) {
  DatasetSchema schema = InferSchema(Table("x,empty\n1,NA\n2,\nNA,?\n4,\n5,\n"));
  EXPECT_EQ(schema.rows, 5u);
  const ColumnSchema& x = *schema.Find("x");
  EXPECT_EQ(x.kind, ColumnKind::kNumeric);
  EXPECT_EQ(x.missing_count, 1u);
  EXPECT_EQ(*x.min, 1);
  EXPECT_EQ(*x.max, 5);
  EXPECT_DOUBLE_EQ(*x.mean, 3);
  EXPECT_DOUBLE_EQ(*x.stddev, std::sqrt(10.0 / 3.0));  // sample std of 1, 2, 4, 5
  const ColumnSchema& empty = *schema.Find("empty");
  EXPECT_EQ(empty.missing_count, 5u);
  EXPECT_FALSE(empty.min.has_value());
  EXPECT_FALSE(empty.stddev.has_value());
  EXPECT_EQ(schema.Find("nope"), nullptr);
}

TEST(SchemaTest, CategoricalTopValues) {
  std::string csv = "c\n";
  for (int i = 0; i < 25; ++i) csv += "v" + std::to_string(i) + "\n";  // 25 singletons
  csv += "b\nb\nb\na\na\nc\nc\nNA\n";
  DatasetSchema schema = InferSchema(Table(csv));
  const ColumnSchema& c = schema.columns[0];
  EXPECT_EQ(c.kind, ColumnKind::kCategorical);
  EXPECT_EQ(c.missing_count, 1u);
  EXPECT_EQ(c.distinct_count, 28u);
  ASSERT_EQ(c.top_values.size(), kMaxTopValues);
  EXPECT_EQ(c.top_values[0].value, "b");
  EXPECT_EQ(c.top_values[0].count, 3u);
  EXPECT_EQ(c.top_values[1].value, "a");  // ties by value
  EXPECT_EQ(c.top_values[2].value, "c");
  EXPECT_EQ(c.top_values[3].value, "v0");
  EXPECT_EQ(c.top_values[3].count, 1u);
}

TEST(SchemaTest, Json) {
  const DataTable table = Table("x,label\n1.5,cat\nNA,dog\n2.5,cat\n");
  const nlohmann::json json = SchemaToJson(InferSchema(table));
  EXPECT_EQ(json["rows"], 3);
  ASSERT_EQ(json["columns"].size(), 2u);
  const nlohmann::json& x = json["columns"][0];
  EXPECT_EQ(x["name"], "x");
  EXPECT_EQ(x["kind"], "numeric");
  EXPECT_EQ(x["missing"], 1);
  EXPECT_EQ(x["min"], 1.5);
  EXPECT_EQ(x["max"], 2.5);
  EXPECT_EQ(x["mean"], 2.0);
  const nlohmann::json& label = json["columns"][1];
  EXPECT_EQ(label["kind"], "categorical");
  EXPECT_EQ(label["distinct"], 2);
  EXPECT_EQ(label["top"][0]["value"], "cat");
  EXPECT_EQ(label["top"][0]["count"], 2);
  EXPECT_FALSE(label.contains("mean"));

  const nlohmann::json empty = SchemaToJson(InferSchema(Table("x\nNA\n")));
  EXPECT_TRUE(empty["columns"][0]["mean"].is_null());
  EXPECT_NO_THROW((void)empty.dump());
}

TEST(SchemaTest, PreviewRows) {
  const DataTable table = Table("x,label\n1.5,cat\nNA,dog\n2.5,?\n");
  const nlohmann::ordered_json preview = PreviewRows(table, 2);
  ASSERT_EQ(preview.size(), 2u);
  EXPECT_EQ(preview[0].dump(), R"({"x":1.5,"label":"cat"})");  // the file's column order
  EXPECT_EQ(preview[0]["x"], 1.5);
  EXPECT_EQ(preview[0]["label"], "cat");
  EXPECT_TRUE(preview[1]["x"].is_null());
  EXPECT_EQ(PreviewRows(table, 100).size(), 3u);
  EXPECT_TRUE(PreviewRows(table, 100)[2]["label"].is_null());
  EXPECT_TRUE(PreviewRows(table, 0).is_array());
}

}  // namespace
}  // namespace aiaas::training
