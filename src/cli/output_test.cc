#include "cli/output.h"

#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

TEST(HumanSizeTest, BinaryUnits) {
  EXPECT_EQ(HumanSize(0), "0 B");
  EXPECT_EQ(HumanSize(1023), "1023 B");
  EXPECT_EQ(HumanSize(1024), "1.0 KiB");
  EXPECT_EQ(HumanSize(1536), "1.5 KiB");
  EXPECT_EQ(HumanSize(410123), "400.5 KiB");
  EXPECT_EQ(HumanSize(1048575), "1.0 MiB");
  EXPECT_EQ(HumanSize(5LL * 1024 * 1024 * 1024), "5.0 GiB");
  EXPECT_EQ(HumanSize(3LL << 50), "3.0 PiB");
  EXPECT_EQ(HumanSize(-1), "-");
}

TEST(HumanRateTest, PerSecond) {
  EXPECT_EQ(HumanRate(1.5 * 1024 * 1024), "1.5 MiB/s");
  EXPECT_EQ(HumanRate(-3), "0 B/s");
}

TEST(FormatTableTest, AlignsColumnsWithoutTrailingSpaces) {
  EXPECT_EQ(FormatTable({"NAME", "LATEST", "DESCRIPTION"},
                        {{"mnist-mlp", "2", "digits"}, {"a", "-", ""}}),
            "NAME        LATEST   DESCRIPTION\n"
            "mnist-mlp   2        digits\n"
            "a           -\n");
}

TEST(FormatTableTest, HeaderOnlyShortRowsAndUtf8) {
  EXPECT_EQ(FormatTable({"A", "B"}, {}), "A   B\n");
  EXPECT_EQ(FormatTable({"A", "B", "C"}, {{"x"}}), "A   B   C\nx\n");
  EXPECT_EQ(FormatTable({"N", "D"}, {{"caf\xC3\xA9", "x"}, {"ab", "y"}}),
            "N      D\ncaf\xC3\xA9   x\nab     y\n");
}

TEST(ShortDigestTest, TwelveHexDigits) {
  EXPECT_EQ(ShortDigest("sha256:3f2a9c0b1d2e3f405162738495a6b7c8"), "3f2a9c0b1d2e");
  EXPECT_EQ(ShortDigest("0123456789abcdef"), "0123456789ab");
  EXPECT_EQ(ShortDigest("sha256:abc"), "abc");
  EXPECT_EQ(ShortDigest(""), "");
}

TEST(OneLineTest, FlattensAndTruncates) {
  EXPECT_EQ(OneLine("short", 10), "short");
  EXPECT_EQ(OneLine("a\nb\tc", 10), "a b c");
  EXPECT_EQ(OneLine("0123456789", 10), "0123456789");
  EXPECT_EQ(OneLine("0123456789abc", 10), "0123456...");
  EXPECT_EQ(OneLine("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 4), "\xC3\xA9...");
}

TEST(FormatTimestampTest, Rfc3339ToSecondsUtc) {
  EXPECT_EQ(FormatTimestamp("2026-11-22T10:00:00.123Z"), "2026-11-22 10:00:00");
  EXPECT_EQ(FormatTimestamp("2026-11-22T12:00:00+02:00"), "2026-11-22 10:00:00");
  EXPECT_EQ(FormatTimestamp("yesterday"), "yesterday");
  EXPECT_EQ(FormatTimestamp(""), "");
}

TEST(FormatProgressLineTest, BarPercentBytesRate) {
  EXPECT_EQ(FormatProgressLine(0, 4096, -1, 10), "[          ]   0%  0 B / 4.0 KiB");
  EXPECT_EQ(FormatProgressLine(2048, 4096, 1024, 10),
            "[====>     ]  50%  2.0 KiB / 4.0 KiB  1.0 KiB/s");
  EXPECT_EQ(FormatProgressLine(4096, 4096, 2048, 10),
            "[==========] 100%  4.0 KiB / 4.0 KiB  2.0 KiB/s");
  EXPECT_EQ(FormatProgressLine(9000, 4096, -1, 4), "[====] 100%  8.8 KiB / 4.0 KiB");
  EXPECT_EQ(FormatProgressLine(1536, 0, 512, 10), "1.5 KiB  512 B/s");
}

}  // namespace
}  // namespace aiaas::cli
