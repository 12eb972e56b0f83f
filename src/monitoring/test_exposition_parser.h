#ifndef AIAAS_MONITORING_TEST_EXPOSITION_PARSER_H_
#define AIAAS_MONITORING_TEST_EXPOSITION_PARSER_H_

// Test-only: a strict parser for the Prometheus text exposition format 0.0.4, so tests check
// what a scraper would read rather than searching for substrings.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace aiaas::monitoring {

using LabelMap = std::map<std::string, std::string>;

struct ExpositionSample {
  std::string name;  // as written, e.g. "x_bucket"
  LabelMap labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family name -> "counter", "histogram", ...
  std::map<std::string, std::string> help;   // family name -> unescaped help text
  std::vector<ExpositionSample> samples;

  // The value of the sample named `name` whose labels are exactly `labels`.
  std::optional<double> Value(const std::string& name, const LabelMap& labels = {}) const;
  // Samples named `name` whose labels include every pair of `subset`.
  std::vector<ExpositionSample> Find(const std::string& name, const LabelMap& subset = {}) const;
};

// Parses `text`, or InvalidArgument naming the first offending line. Beyond the grammar
// (HELP/TYPE comments, names, escaped label values, float values) it requires: no blank lines
// or other comments; a TYPE before every family's samples and at most one HELP and TYPE each;
// each family's lines contiguous; counters non-negative; histogram series with non-decreasing
// buckets whose +Inf bucket equals _count, and a _sum.
absl::StatusOr<Exposition> ParseExposition(const std::string& text);

}  // namespace aiaas::monitoring

#endif  // AIAAS_MONITORING_TEST_EXPOSITION_PARSER_H_
