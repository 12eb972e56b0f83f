#include "training/data/dataset_reader.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/data/gzip_inflate.h"
#include "training/data/gzip_test_util.h"
#include "training/data/schema.h"

namespace aiaas::training {
namespace {

using ::testing::HasSubstr;

#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
constexpr bool kOptimizedBuild = true;
#else
constexpr bool kOptimizedBuild = false;  // the timing check means nothing here
#endif

constexpr char kSklearnData[] = "/usr/lib/python3/dist-packages/sklearn/datasets/data/";

// Empty when the file is not there (the test then skips).
std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.good()) return "";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(DatasetFormatTest, ParseAndName) {
  EXPECT_EQ(*ParseDatasetFormat("csv"), DatasetFormat::kCsv);
  EXPECT_EQ(*ParseDatasetFormat("CSV"), DatasetFormat::kCsv);
  EXPECT_EQ(*ParseDatasetFormat("csv.gz"), DatasetFormat::kCsv);
  EXPECT_EQ(*ParseDatasetFormat("npy"), DatasetFormat::kNpy);
  EXPECT_EQ(*ParseDatasetFormat("npz"), DatasetFormat::kNpz);
  absl::StatusOr<DatasetFormat> bad = ParseDatasetFormat("parquet");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("csv, npy or npz"));
  for (DatasetFormat f : {DatasetFormat::kCsv, DatasetFormat::kNpy, DatasetFormat::kNpz}) {
    EXPECT_EQ(*ParseDatasetFormat(DatasetFormatName(f)), f);
  }
}

TEST(ReadDatasetTest, DispatchesOnFormat) {
  EXPECT_TRUE(ReadDataset("a\n1\n", DatasetFormat::kCsv, ReadLimits{}).ok());
  EXPECT_TRUE(ReadDataset(GzipCompress("a\n1\n"), DatasetFormat::kCsv, ReadLimits{}).ok());
  EXPECT_THAT(ReadDataset("a\n1\n", DatasetFormat::kNpy, ReadLimits{}).status().message(),
              HasSubstr("not a .npy"));
  EXPECT_THAT(ReadDataset("a\n1\n", DatasetFormat::kNpz, ReadLimits{}).status().message(),
              HasSubstr("zip"));
}

TEST(ReadDatasetTest, SklearnDigits) {
  const std::string gz = ReadFileOrEmpty(absl::StrCat(kSklearnData, "digits.csv.gz"));
  if (gz.empty()) GTEST_SKIP() << "sklearn's digits.csv.gz is not installed";
  absl::StatusOr<std::string> body = InflateGzip(gz, size_t{16} << 20);
  ASSERT_TRUE(body.ok()) << body.status();
  std::string header;
  for (int i = 0; i < 64; ++i) absl::StrAppend(&header, "pixel_", i, ",");
  const std::string csv = header + "label\n" + *body;

  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<DataTable> table = ReadDataset(csv, DatasetFormat::kCsv, ReadLimits{});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(table.ok()) << table.status();
  std::cout << "digits.csv (" << csv.size() << " bytes) parsed in "
            << std::chrono::duration<double, std::milli>(elapsed).count() << " ms\n";
  if (kOptimizedBuild) EXPECT_LT(elapsed, std::chrono::milliseconds(200));
  EXPECT_EQ(table->rows, 1797u);
  ASSERT_EQ(table->columns.size(), 65u);
  for (const Column& column : table->columns) {
    EXPECT_EQ(column.kind, ColumnKind::kNumeric) << column.name;
    EXPECT_EQ(column.MissingCount(), 0u);
  }
  const DatasetSchema schema = InferSchema(*table);
  const ColumnSchema& label = *schema.Find("label");
  EXPECT_EQ(*label.min, 0);
  EXPECT_EQ(*label.max, 9);

  // The same bytes gzip-compressed parse to the same table.
  absl::StatusOr<DataTable> from_gz =
      ReadDataset(GzipCompress(csv), DatasetFormat::kCsv, ReadLimits{});
  ASSERT_TRUE(from_gz.ok()) << from_gz.status();
  EXPECT_EQ(from_gz->rows, 1797u);
  EXPECT_EQ(from_gz->Find("pixel_10")->numbers, table->Find("pixel_10")->numbers);
}

// Random byte edits of valid files of every format: any result but a crash or a sanitizer
// report is fine (the fuzz targets explore further).
TEST(ReadDatasetTest, MutatedInputsNeverCrash) {
  const std::vector<std::pair<std::string, DatasetFormat>> seeds = {
      {"a,b;c\n\"x\"\"y\",2\n3,\"4\n5\"\r\nNA,7\n", DatasetFormat::kCsv},
      {GzipCompress("a,b\n1,2\n3,4\n"), DatasetFormat::kCsv},
      {ReadFileOrEmpty(std::string(AIAAS_DATASET_FIXTURES_DIR) + "/fortran_3d.npy"),
       DatasetFormat::kNpy},
      {ReadFileOrEmpty(std::string(AIAAS_DATASET_FIXTURES_DIR) + "/unicode_1d.npy"),
       DatasetFormat::kNpy},
      {ReadFileOrEmpty(std::string(AIAAS_DATASET_FIXTURES_DIR) + "/compressed.npz"),
       DatasetFormat::kNpz},
  };
  std::mt19937 random(5);
  for (const auto& [seed, format] : seeds) {
    ASSERT_FALSE(seed.empty());
    for (int i = 0; i < 3000; ++i) {
      std::string bytes = seed;
      const int edits = 1 + static_cast<int>(random() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t at = random() % bytes.size();
        switch (random() % 3) {
          case 0:
            bytes[at] = static_cast<char>(random());
            break;
          case 1:
            bytes.erase(at, 1 + random() % 8);
            break;
          default:
            bytes.insert(at, 1, "\",;\n\r\x00\xff"[random() % 7]);
            break;
        }
        if (bytes.empty()) bytes = "x";
      }
      absl::StatusOr<DataTable> table = ReadDataset(bytes, format, ReadLimits{});
      if (table.ok()) {
        for (const Column& column : table->columns) ASSERT_EQ(column.size(), table->rows);
        (void)SchemaToJson(InferSchema(*table)).dump();
      }
    }
  }
}

TEST(ReadDatasetTest, SklearnIris) {
  std::string iris = ReadFileOrEmpty(absl::StrCat(kSklearnData, "iris.csv"));
  if (iris.empty()) GTEST_SKIP() << "sklearn's iris.csv is not installed";
  // The first line is "150,4,setosa,versicolor,virginica": counts and class names.
  iris = "sepal_length,sepal_width,petal_length,petal_width,target\n" +
         iris.substr(iris.find('\n') + 1);
  absl::StatusOr<DataTable> table = ReadDataset(iris, DatasetFormat::kCsv, ReadLimits{});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->rows, 150u);
  ASSERT_EQ(table->columns.size(), 5u);
  for (const Column& column : table->columns) EXPECT_EQ(column.kind, ColumnKind::kNumeric);

  // With the class names as strings the target is categorical, 50 of each.
  std::string named;
  for (size_t pos = 0; pos < iris.size();) {
    size_t end = iris.find('\n', pos);
    if (end == std::string::npos) end = iris.size();
    std::string line = iris.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    const char last = line.back();
    if (last >= '0' && last <= '2') {
      line.pop_back();
      line += last == '0' ? "setosa" : last == '1' ? "versicolor" : "virginica";
    }
    named += line + "\r\n";
  }
  absl::StatusOr<DataTable> categorical = ReadDataset(named, DatasetFormat::kCsv, ReadLimits{});
  ASSERT_TRUE(categorical.ok()) << categorical.status();
  const DatasetSchema schema = InferSchema(*categorical);
  const ColumnSchema& target = *schema.Find("target");
  EXPECT_EQ(target.kind, ColumnKind::kCategorical);
  EXPECT_EQ(target.distinct_count, 3u);
  ASSERT_EQ(target.top_values.size(), 3u);
  EXPECT_EQ(target.top_values[0].count, 50u);
  EXPECT_EQ(target.top_values[0].value, "setosa");
}

}  // namespace
}  // namespace aiaas::training
