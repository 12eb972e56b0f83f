#include "monitoring/test_exposition_parser.h"

#include <string>

#include "gtest/gtest.h"

namespace aiaas::monitoring {
namespace {

constexpr char kValid[] =
    "# HELP x_total Things \\\\ done.\\nSecond line.\n"
    "# TYPE x_total counter\n"
    "x_total{a=\"q\\\"uote\",b=\"back\\\\slash\",} 3\n"
    "x_total 1 1700000000000\n"
    "# TYPE h histogram\n"
    "h_bucket{le=\"0.5\"} 1\n"
    "h_bucket{le=\"+Inf\"} 2\n"
    "h_sum 1.5e+00\n"
    "h_count 2\n";

TEST(ExpositionParserTest, ParsesValidText) {
  absl::StatusOr<Exposition> e = ParseExposition(kValid);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->types.at("x_total"), "counter");
  EXPECT_EQ(e->help.at("x_total"), "Things \\ done.\nSecond line.");
  EXPECT_EQ(e->Value("x_total", {{"a", "q\"uote"}, {"b", "back\\slash"}}), 3);
  EXPECT_EQ(e->Value("x_total"), 1);
  EXPECT_EQ(e->Value("h_sum"), 1.5);
  ASSERT_EQ(e->Find("h_bucket").size(), 2u);
}

// Each line breaks one rule; the parser must notice, or the other tests prove nothing.
TEST(ExpositionParserTest, RejectsMalformedText) {
  const std::string kType = "# TYPE x gauge\n";
  for (const std::string& bad : {
           std::string("# TYPE x gauge\nx 1"),        // no final newline
           kType + "x 1\n\nx 2\n",                    // blank line
           kType + "# random comment\n",              // unknown comment
           std::string("x 1\n"),                      // no TYPE
           kType + "# TYPE x counter\n",              // second TYPE
           std::string("# TYPE x flavour\n"),         // unknown type
           kType + "x{a=\"1\"} one\n",                // bad value
           kType + "x{a=1} 1\n",                      // unquoted label value
           kType + "x{a=\"1\",a=\"2\"} 1\n",          // duplicate label
           kType + "x{a=\"\\t\"} 1\n",                // bad escape
           kType + "x{a=\"1\" 1\n",                   // unclosed braces
           kType + "x{1a=\"1\"} 1\n",                 // bad label name
           kType + "x  1\n",                          // two spaces
           kType + "x 1 2 3\n",                       // trailing field
           kType + "# TYPE y gauge\ny 1\nx 2\n",      // family not contiguous
           std::string("# TYPE c counter\nc -1\n"),   // negative counter
           std::string("# TYPE h histogram\nh 1\n"),  // bare histogram sample
           std::string("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                       "h_sum 1\nh_count 1\n"),  // decreasing buckets
           std::string("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"),
           std::string("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n"),  // no _sum
       }) {
    EXPECT_FALSE(ParseExposition(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace aiaas::monitoring
