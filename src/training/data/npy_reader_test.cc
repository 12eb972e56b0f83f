#include "training/data/npy_reader.h"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::training {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(AIAAS_DATASET_FIXTURES_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

DataTable ReadNpyFixture(const std::string& name) {
  absl::StatusOr<DataTable> table = ReadNpy(Fixture(name), ReadLimits{});
  EXPECT_TRUE(table.ok()) << name << ": " << table.status();
  return table.ok() ? *std::move(table) : DataTable{};
}

std::string NpyError(std::string_view bytes, const ReadLimits& limits = {}) {
  absl::StatusOr<DataTable> table = ReadNpy(bytes, limits);
  EXPECT_FALSE(table.ok());
  return table.ok() ? "" : std::string(table.status().message());
}

// A version 1.0 .npy with the given header dict and data bytes.
std::string MakeNpy(std::string_view dict, std::string_view data) {
  std::string header(dict);
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + std::string(data);
}

TEST(NpyReaderTest, Float64OneDimensionalWithNan) {
  DataTable table = ReadNpyFixture("f8_1d.npy");
  ASSERT_EQ(table.columns.size(), 1u);
  EXPECT_EQ(table.rows, 4u);
  const Column& x = table.columns[0];
  EXPECT_EQ(x.name, "x");
  EXPECT_EQ(x.kind, ColumnKind::kNumeric);
  EXPECT_THAT(x.missing, ElementsAre(0, 0, 1, 0));
  EXPECT_EQ(x.numbers[0], 1.5);
  EXPECT_EQ(x.numbers[1], -2.25);
  EXPECT_EQ(x.numbers[3], 3.0);
}

TEST(NpyReaderTest, Float32TwoDimensionalBecomesColumns) {
  DataTable table = ReadNpyFixture("f4_2d.npy");
  EXPECT_EQ(table.rows, 4u);
  EXPECT_THAT(table.ColumnNames(), ElementsAre("x_0", "x_1", "x_2"));
  EXPECT_THAT(table.Find("x_0")->numbers, ElementsAre(1, 4, 7, 10));
  EXPECT_THAT(table.Find("x_1")->missing, ElementsAre(0, 1, 0, 0));
  EXPECT_THAT(table.Find("x_2")->numbers, ElementsAre(3, 6, 9, 12));
}

TEST(NpyReaderTest, IntegerBoolAndHalfTypes) {
  EXPECT_THAT(ReadNpyFixture("i8_1d.npy").columns[0].numbers,
              ElementsAre(-5, 0, 7, 1099511627776.0));
  EXPECT_THAT(ReadNpyFixture("u1_1d.npy").columns[0].numbers, ElementsAre(0, 255, 7));
  EXPECT_THAT(ReadNpyFixture("bool_1d.npy").columns[0].numbers, ElementsAre(1, 0, 1));
  EXPECT_THAT(ReadNpyFixture("f2_1d.npy").columns[0].numbers, ElementsAre(0.5, -2.0, 65504.0));
}

TEST(NpyReaderTest, UnicodeBecomesCategorical) {
  DataTable table = ReadNpyFixture("unicode_1d.npy");
  const Column& x = table.columns[0];
  EXPECT_EQ(x.kind, ColumnKind::kCategorical);
  EXPECT_THAT(x.missing, ElementsAre(0, 0, 1, 0));
  EXPECT_EQ(x.strings[0], "setosa");
  EXPECT_EQ(x.strings[1], "versicolor");
  EXPECT_EQ(x.strings[3],
            "caf\xC3\xA9 \xC3\xBC"
            "ber");
}

TEST(NpyReaderTest, FortranOrderIsRespected) {
  DataTable two = ReadNpyFixture("fortran_2d.npy");  // arange(6).reshape(3, 2)
  EXPECT_THAT(two.Find("x_0")->numbers, ElementsAre(0, 2, 4));
  EXPECT_THAT(two.Find("x_1")->numbers, ElementsAre(1, 3, 5));
  DataTable three = ReadNpyFixture("fortran_3d.npy");  // arange(24).reshape(2, 3, 4)
  DataTable c_order = ReadNpyFixture("c_3d.npy");
  ASSERT_EQ(three.columns.size(), 12u);
  ASSERT_EQ(c_order.columns.size(), 12u);
  for (size_t c = 0; c < 12; ++c) {
    EXPECT_EQ(three.columns[c].name, "x_" + std::to_string(c));
    EXPECT_THAT(three.columns[c].numbers, ElementsAre(c, 12 + c));
    EXPECT_THAT(c_order.columns[c].numbers, ElementsAre(c, 12 + c));
  }
}

TEST(NpyReaderTest, BigEndian) {
  DataTable f8 = ReadNpyFixture("big_endian_2d.npy");
  EXPECT_THAT(f8.Find("x_0")->numbers, ElementsAre(1.25, 3.0));
  EXPECT_THAT(f8.Find("x_1")->numbers, ElementsAre(-2.5, 4.0e10));
  EXPECT_THAT(ReadNpyFixture("big_endian_i4.npy").columns[0].numbers, ElementsAre(-1, 2, 70000));
  EXPECT_THAT(ReadNpyFixture("big_endian_unicode.npy").columns[0].strings,
              ElementsAre("a\xC3\x9F", "bc"));
}

TEST(NpyReaderTest, FormatVersions2And3) {
  EXPECT_THAT(ReadNpyFixture("v2_1d.npy").columns[0].numbers, ElementsAre(1, 2));
  EXPECT_THAT(ReadNpyFixture("v3_1d.npy").columns[0].numbers, ElementsAre(3, 4));
}

TEST(NpyReaderTest, RefusedDtypes) {
  EXPECT_THAT(NpyError(Fixture("object.npy")), AllOf(HasSubstr("object"), HasSubstr("pickle")));
  EXPECT_THAT(NpyError(Fixture("structured.npy")), HasSubstr("structured"));
  EXPECT_THAT(NpyError(Fixture("scalar.npy")), HasSubstr("0-d"));
  EXPECT_THAT(
      NpyError(MakeNpy("{'descr': '|S4', 'fortran_order': False, 'shape': (1,), }", "abcd")),
      HasSubstr("unicode"));
  EXPECT_THAT(NpyError(MakeNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }",
                               std::string(8, '\0'))),
              HasSubstr("complex"));
  EXPECT_THAT(NpyError("\x80\x04\x95 pickled"), HasSubstr("not a .npy file"));
}

TEST(NpyReaderTest, EveryTruncationIsAnErrorNotACrash) {
  for (const char* name : {"f4_2d.npy", "unicode_1d.npy", "fortran_3d.npy", "v2_1d.npy"}) {
    const std::string bytes = Fixture(name);
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(ReadNpy(std::string_view(bytes).substr(0, n), ReadLimits{}).ok())
          << name << " cut at " << n;
    }
    EXPECT_THAT(NpyError(bytes + "x"), HasSubstr("trailing"));
  }
}

TEST(NpyReaderTest, HostileHeaders) {
  // Shapes whose byte counts overflow 64 bits, or exceed the limits.
  EXPECT_THAT(
      NpyError(MakeNpy(
          "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 8), }", "")),
      HasSubstr("limit"));
  EXPECT_THAT(
      NpyError(MakeNpy(
          "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 99999999999999999999), }", "")),
      HasSubstr("malformed"));
  EXPECT_THAT(NpyError(MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                               std::string(16, '\0'))),
              HasSubstr("truncated"));
  EXPECT_THAT(
      NpyError(MakeNpy("{'descr': '<U4294967296', 'fortran_order': False, 'shape': (1,), }", "")),
      HasSubstr("limit"));
  EXPECT_THAT(NpyError(MakeNpy("{'descr': '<f8', 'fortran_order': False}", std::string(8, '\0'))),
              HasSubstr("shape"));
  EXPECT_THAT(NpyError(MakeNpy("{'descr': '<f8', 'fortran_order': 1, 'shape': (1,)}", "")),
              HasSubstr("fortran_order"));
  EXPECT_THAT(NpyError(MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), "
                               "'extra': 1}",
                               std::string(8, '\0'))),
              HasSubstr("extra"));
  std::string many_dims = "{'descr': '<f8', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < 40; ++i) many_dims += "1,";
  EXPECT_THAT(NpyError(MakeNpy(many_dims + "), }", std::string(8, '\0'))), HasSubstr("dimensions"));
  // A header length pointing past the end of the file.
  std::string lying = MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", "");
  lying[8] = static_cast<char>(0xff);
  lying[9] = static_cast<char>(0x7f);
  EXPECT_THAT(NpyError(lying), HasSubstr("header"));
  // An infinite value and an invalid code point.
  const double inf = HUGE_VAL;
  EXPECT_THAT(NpyError(MakeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                               std::string(reinterpret_cast<const char*>(&inf), 8))),
              HasSubstr("infinite"));
  const uint32_t surrogate = 0xD800;
  EXPECT_THAT(NpyError(MakeNpy("{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }",
                               std::string(reinterpret_cast<const char*>(&surrogate), 4))),
              HasSubstr("code point"));
}

TEST(NpyReaderTest, Limits) {
  ReadLimits limits;
  limits.max_columns = 2;
  EXPECT_THAT(NpyError(Fixture("f4_2d.npy"), limits), HasSubstr("more than 2 columns"));
  limits = {};
  limits.max_rows = 3;
  EXPECT_THAT(NpyError(Fixture("f4_2d.npy"), limits), HasSubstr("over the limit of 3"));
  limits = {};
  limits.max_bytes = 100;
  EXPECT_THAT(NpyError(Fixture("f4_2d.npy"), limits), HasSubstr("limit of 100 bytes"));
  limits = {};
  limits.max_cells = 11;
  EXPECT_THAT(NpyError(Fixture("f4_2d.npy"), limits), HasSubstr("11 cells"));
}

TEST(NpzReaderTest, StoredAndCompressed) {
  for (const char* name : {"stored.npz", "compressed.npz"}) {
    absl::StatusOr<DataTable> table = ReadNpz(Fixture(name), ReadLimits{});
    ASSERT_TRUE(table.ok()) << name << ": " << table.status();
    EXPECT_EQ(table->rows, 4u);
    EXPECT_THAT(table->ColumnNames(), ElementsAre("x_0", "x_1", "y", "label"));
    EXPECT_THAT(table->Find("x_1")->numbers, ElementsAre(1, 2, 3, 4));
    EXPECT_THAT(table->Find("y")->numbers, ElementsAre(0, 1, 1, 0));
    EXPECT_EQ(table->Find("label")->kind, ColumnKind::kCategorical);
    EXPECT_THAT(table->Find("label")->strings, ElementsAre("cat", "dog", "dog", "cat"));
  }
}

TEST(NpzReaderTest, MismatchedFirstDimensionNamesTheArrays) {
  absl::StatusOr<DataTable> table = ReadNpz(Fixture("mismatched.npz"), ReadLimits{});
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), AllOf(HasSubstr("different first dimensions"),
                                              HasSubstr("'x' has 4"), HasSubstr("'y' has 3")));
}

TEST(NpzReaderTest, InflatedSizeLimit) {
  ReadLimits limits;
  limits.max_inflated_bytes = 400;  // the members hold 496 bytes together
  absl::StatusOr<DataTable> table = ReadNpz(Fixture("compressed.npz"), limits);
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("over the limit of 400 bytes"));
}

TEST(NpzReaderTest, TruncatedAndCorruptArchivesAreErrors) {
  for (const char* name : {"stored.npz", "compressed.npz"}) {
    const std::string bytes = Fixture(name);
    for (size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_FALSE(ReadNpz(std::string_view(bytes).substr(0, n), ReadLimits{}).ok())
          << name << " cut at " << n;
    }
    // Flip each byte in turn: any outcome but a crash is fine; most must fail.
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string corrupt = bytes;
      corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
      (void)ReadNpz(corrupt, ReadLimits{});
    }
  }
  EXPECT_FALSE(ReadNpz(Fixture("f8_1d.npy"), ReadLimits{}).ok());
  EXPECT_FALSE(ReadNpz("", ReadLimits{}).ok());
}

}  // namespace
}  // namespace aiaas::training
