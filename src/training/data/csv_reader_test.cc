#include "training/data/csv_reader.h"

#include <zlib.h>

#include <chrono>
#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "training/data/gzip_test_util.h"

namespace aiaas::training {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<DataTable> Parse(std::string_view text, CsvOptions options = {}) {
  return ReadCsv(text, options);
}

std::string ErrorOf(std::string_view text, CsvOptions options = {}) {
  absl::StatusOr<DataTable> table = ReadCsv(text, options);
  EXPECT_FALSE(table.ok()) << "parsed without error: " << text;
  if (table.ok()) return "";
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(table.status().message());
}

TEST(CsvReaderTest, NumericAndCategoricalColumns) {
  absl::StatusOr<DataTable> table = Parse("a,b,c\n1,x,2.5\n2,y,-3e2\n+4, z ,0\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->rows, 3u);
  EXPECT_THAT(table->ColumnNames(), ElementsAre("a", "b", "c"));
  const Column& a = *table->Find("a");
  EXPECT_EQ(a.kind, ColumnKind::kNumeric);
  EXPECT_THAT(a.numbers, ElementsAre(1, 2, 4));
  const Column& b = *table->Find("b");
  EXPECT_EQ(b.kind, ColumnKind::kCategorical);
  EXPECT_THAT(b.strings, ElementsAre("x", "y", "z"));
  EXPECT_TRUE(b.numbers.empty());
  EXPECT_THAT(table->Find("c")->numbers, ElementsAre(2.5, -300, 0));
  EXPECT_EQ(a.MissingCount(), 0u);
}

TEST(CsvReaderTest, QuotedFieldsWithDelimitersQuotesAndNewlines) {
  absl::StatusOr<DataTable> table = Parse(
      "name,note\n"
      "\"Smith, J\",\"He said \"\"hi\"\"\"\n"
      "\"multi\nline\",plain\n"
      "  \"spaced\"  ,\"\"\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->rows, 3u);
  EXPECT_THAT(table->Find("name")->strings, ElementsAre("Smith, J", "multi\nline", "spaced"));
  const Column& note = *table->Find("note");
  EXPECT_EQ(note.strings[0], "He said \"hi\"");
  EXPECT_EQ(note.strings[1], "plain");
  EXPECT_TRUE(note.IsMissing(2));
}

TEST(CsvReaderTest, LineNumbersCountNewlinesInsideQuotes) {
  const std::string error = ErrorOf("a,b\n\"x\ny\",1\n1,2,3\n");
  EXPECT_THAT(error, HasSubstr("line 4 has 3"));
}

TEST(CsvReaderTest, SemicolonDelimiterIsDetected) {
  absl::StatusOr<DataTable> table = Parse("a;b;\"c;d\"\n1;2;x\n3;4;y\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->ColumnNames(), ElementsAre("a", "b", "c;d"));
  EXPECT_THAT(table->Find("b")->numbers, ElementsAre(2, 4));
}

TEST(CsvReaderTest, CommaInsideQuotesDoesNotDecideTheDelimiter) {
  absl::StatusOr<DataTable> table = Parse("\"a,b,c\";d\n1;2\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->ColumnNames(), ElementsAre("a,b,c", "d"));
}

TEST(CsvReaderTest, ForcedDelimiter) {
  CsvOptions options;
  options.delimiter = ',';
  absl::StatusOr<DataTable> table = Parse("a;b\n1;2\n", options);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->ColumnNames(), ElementsAre("a;b"));
  options.delimiter = '\t';
  EXPECT_THAT(ErrorOf("a\n1\n", options), HasSubstr("delimiter"));
}

TEST(CsvReaderTest, CrlfLineEnds) {
  absl::StatusOr<DataTable> table = Parse("a,b\r\n1,\"x\"\r\n3,y\r\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->ColumnNames(), ElementsAre("a", "b"));
  EXPECT_THAT(table->Find("b")->strings, ElementsAre("x", "y"));
}

TEST(CsvReaderTest, Utf8BomIsSkipped) {
  absl::StatusOr<DataTable> table = Parse("\xEF\xBB\xBFid,v\n1,2\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(table->ColumnNames(), ElementsAre("id", "v"));
}

TEST(CsvReaderTest, TrailingEmptyLinesAndNoFinalNewline) {
  for (std::string_view text : {"a\n1\n2", "a\n1\n2\n", "a\n1\n2\n\n\n", "a\r\n1\r\n2\r\n\r\n"}) {
    absl::StatusOr<DataTable> table = Parse(text);
    ASSERT_TRUE(table.ok()) << table.status();
    EXPECT_EQ(table->rows, 2u) << text;
  }
}

TEST(CsvReaderTest, MissingMarkers) {
  absl::StatusOr<DataTable> table =
      Parse("a,b,c\n1,NA,x\n,n/a,y\nNaN,null,\n?,5,N/A\n 2 ,x,nan\n4,NULL,z\n");
  ASSERT_TRUE(table.ok()) << table.status();
  const Column& a = *table->Find("a");
  EXPECT_EQ(a.kind, ColumnKind::kNumeric);
  EXPECT_THAT(a.missing, ElementsAre(0, 1, 1, 1, 0, 0));
  EXPECT_EQ(a.numbers[4], 2);
  EXPECT_TRUE(std::isnan(a.numbers[1]));
  EXPECT_EQ(a.MissingCount(), 3u);
  // Two present cells, one a number: not "mostly numbers", so categorical.
  const Column& b = *table->Find("b");
  EXPECT_EQ(b.kind, ColumnKind::kCategorical);
  EXPECT_THAT(b.missing, ElementsAre(1, 1, 1, 0, 0, 1));
  EXPECT_EQ(b.strings[3], "5");
  EXPECT_EQ(table->Find("c")->MissingCount(), 3u);
}

TEST(CsvReaderTest, RaggedRowsListLineNumbers) {
  const std::string error = ErrorOf("a,b\n1,2\n1\n3,4\n1,2,3\n");
  EXPECT_THAT(error,
              AllOf(HasSubstr("2 rows have the wrong number of cells"), HasSubstr("header has 2"),
                    HasSubstr("line 3 has 1"), HasSubstr("line 5 has 3")));
}

TEST(CsvReaderTest, ManyRaggedRowsReportTenAndTheTotal) {
  std::string text = "a,b\n";
  for (int i = 0; i < 25; ++i) text += "1\n";
  const std::string error = ErrorOf(text);
  EXPECT_THAT(error, AllOf(HasSubstr("25 rows have"), HasSubstr("line 11 has 1"),
                           Not(HasSubstr("line 12 ")), HasSubstr("...")));
}

TEST(CsvReaderTest, AHugeRaggedLineIsCountedNotStored) {
  const std::string text = "a,b\n1,2\n" + std::string(1'000'000, ',') + "\n";
  EXPECT_THAT(ErrorOf(text), HasSubstr("line 3 has 1000001"));
  CsvOptions options;
  options.limits.max_columns = 10;
  EXPECT_THAT(ErrorOf(std::string(1'000'000, ',') + "\n1\n", options),
              HasSubstr("the header has 1000001 columns, over the limit of 10"));
}

TEST(CsvReaderTest, NonNumericCellInNumericColumnNamesLineAndText) {
  const std::string error = ErrorOf("x,y\n1,a\n2,b\nthree,c\n4,d\n5,e\n");
  EXPECT_THAT(error, AllOf(HasSubstr("non-numeric cell in column"), HasSubstr("\"x\""),
                           HasSubstr("line 4 \"three\""), HasSubstr("4 of 5")));
}

TEST(CsvReaderTest, InfinityIsNotANumber) {
  EXPECT_THAT(ErrorOf("x\n1\ninf\n2\n"), HasSubstr("line 3 \"inf\""));
  EXPECT_THAT(ErrorOf("x\n1\n1e999\n2\n"), HasSubstr("line 3"));
}

TEST(CsvReaderTest, MostlyTextColumnIsCategorical) {
  absl::StatusOr<DataTable> table = Parse("code\nA1\n7\nB2\nC3\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->columns[0].kind, ColumnKind::kCategorical);
  EXPECT_THAT(table->columns[0].strings, ElementsAre("A1", "7", "B2", "C3"));
}

TEST(CsvReaderTest, EmptyAndHeaderOnlyFiles) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("\n\r\n  \n"), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("\xEF\xBB\xBF"), HasSubstr("empty"));
  EXPECT_THAT(ErrorOf("a,b\n"), HasSubstr("no data rows"));
  EXPECT_THAT(ErrorOf("a,b"), HasSubstr("no data rows"));
}

TEST(CsvReaderTest, HeaderNamesMustBeNonEmptyAndUnique) {
  EXPECT_THAT(ErrorOf("a,b,a\n1,2,3\n"),
              AllOf(HasSubstr("\"a\" appears twice"), HasSubstr("columns 1 and 3")));
  EXPECT_THAT(ErrorOf("a, ,c\n1,2,3\n"), HasSubstr("column 2 has an empty name"));
  EXPECT_THAT(ErrorOf("a,b,\n1,2,3\n"), HasSubstr("column 3 has an empty name"));
}

TEST(CsvReaderTest, QuotingErrorsNameTheLine) {
  EXPECT_THAT(ErrorOf("a\n1\n\"abc\n"), AllOf(HasSubstr("line 3"), HasSubstr("never closed")));
  EXPECT_THAT(ErrorOf("a,b\n\"x\"y,1\n"),
              AllOf(HasSubstr("line 2, column 1"), HasSubstr("after a closing quote")));
}

TEST(CsvReaderTest, InvalidUtf8IsRefusedWithItsLine) {
  EXPECT_THAT(ErrorOf("a\nok\ncaf\xE9\n"), AllOf(HasSubstr("line 3"), HasSubstr("UTF-8")));
}

TEST(CsvReaderTest, Limits) {
  CsvOptions options;
  options.limits.max_rows = 2;
  EXPECT_THAT(ErrorOf("a\n1\n2\n3\n", options), HasSubstr("more than 2 data rows"));
  options = {};
  options.limits.max_columns = 2;
  EXPECT_THAT(ErrorOf("a,b,c\n1,2,3\n", options), HasSubstr("over the limit of 2"));
  options = {};
  options.limits.max_cell_bytes = 4;
  EXPECT_THAT(ErrorOf("a,b\n1,12345\n", options),
              AllOf(HasSubstr("line 2, column 2"), HasSubstr("limit of 4 bytes")));
  EXPECT_THAT(ErrorOf("a,b\n1,\"12345\"\n", options), HasSubstr("line 2, column 2"));
  options = {};
  options.limits.max_bytes = 5;
  EXPECT_THAT(ErrorOf("a,b\n1,2\n", options), HasSubstr("over the limit of 5 bytes"));
  options = {};
  options.limits.max_cells = 3;
  EXPECT_THAT(ErrorOf("a,b\n1,2\n3,4\n", options), HasSubstr("more than 3 cells"));
}

TEST(CsvReaderTest, GzipRoundTrip) {
  const std::string text = "a;b\n1;x\n2;y\n";
  absl::StatusOr<DataTable> table = ReadCsv(GzipCompress(text));
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->rows, 2u);
  EXPECT_THAT(table->Find("b")->strings, ElementsAre("x", "y"));
}

TEST(CsvReaderTest, GzipBombIsRefusedAtTheLimit) {
  const std::string bomb = GzipCompressZeros(size_t{100} << 20);  // 100 MB of zeros
  ASSERT_LT(bomb.size(), size_t{1} << 20);
  CsvOptions options;
  options.limits.max_inflated_bytes = size_t{10} << 20;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(ErrorOf(bomb, options), HasSubstr("more than the limit of 10485760 bytes"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(CsvReaderTest, TruncatedGzipIsRefused) {
  const std::string gz = GzipCompress("a,b\n1,2\n3,4\n");
  EXPECT_THAT(ErrorOf(gz.substr(0, gz.size() - 6)), HasSubstr("gzip"));
  EXPECT_THAT(ErrorOf(gz.substr(0, 12)), HasSubstr("gzip"));
}

TEST(ParseFiniteNumberTest, StrictWholeCell) {
  double v = 0;
  EXPECT_TRUE(ParseFiniteNumber(" 1.5 ", &v));
  EXPECT_EQ(v, 1.5);
  EXPECT_TRUE(ParseFiniteNumber("+2", &v));
  EXPECT_TRUE(ParseFiniteNumber("-1e-3", &v));
  EXPECT_TRUE(ParseFiniteNumber(".5", &v));
  for (std::string_view bad : {"", " ", "1.5x", "1,5", "+-1", "++1", "0x10", "inf", "-inf", "nan",
                               "1e999", "1 2", "--1"}) {
    EXPECT_FALSE(ParseFiniteNumber(bad, &v)) << bad;
  }
}

TEST(IsMissingMarkerTest, Markers) {
  for (std::string_view yes :
       {"", "  ", "NA", "na", "N/A", "n/a", "NaN", "nan", "null", "NULL", "?", " ? "}) {
    EXPECT_TRUE(IsMissingMarker(yes)) << yes;
  }
  for (std::string_view no : {"0", "none", "-", "NAN1", "??"}) {
    EXPECT_FALSE(IsMissingMarker(no)) << no;
  }
}

}  // namespace
}  // namespace aiaas::training
