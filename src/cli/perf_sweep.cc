#include "cli/perf_sweep.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace aiaas::cli {
namespace {

// start[:end[:step]] where a step of "xF" multiplies by F instead of adding.
struct SweepSpec {
  double start = 0;
  double end = 0;
  double step = 1;
  bool multiply = false;
};

absl::StatusOr<double> ParseNumber(absl::string_view text, bool integers) {
  if (integers) {
    int64_t value = 0;
    if (absl::SimpleAtoi(text, &value)) return static_cast<double>(value);
  } else {
    double value = 0;
    if (absl::SimpleAtod(text, &value) && std::isfinite(value)) return value;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not ", integers ? "an integer" : "a number"));
}

absl::StatusOr<SweepSpec> ParseSpec(absl::string_view spec, bool integers) {
  const std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  if (parts.size() > 3) {
    return absl::InvalidArgumentError("expected VALUE, START:END or START:END:STEP");
  }
  SweepSpec result;
  absl::StatusOr<double> start = ParseNumber(parts[0], integers);
  if (!start.ok()) return start.status();
  result.start = result.end = *start;
  if (parts.size() >= 2) {
    absl::StatusOr<double> end = ParseNumber(parts[1], integers);
    if (!end.ok()) return end.status();
    result.end = *end;
  }
  if (parts.size() == 3) {
    absl::string_view step = parts[2];
    if (!step.empty() && (step[0] == 'x' || step[0] == 'X')) {
      result.multiply = true;
      step.remove_prefix(1);
    }
    absl::StatusOr<double> value = ParseNumber(step, integers);
    if (!value.ok()) return value.status();
    result.step = *value;
    if (result.multiply && result.step <= 1) {
      return absl::InvalidArgumentError("a multiplying step must be greater than 1 (x2)");
    }
    if (!result.multiply && result.step <= 0) {
      return absl::InvalidArgumentError("the step must be positive");
    }
  }
  if (result.end < result.start) {
    return absl::InvalidArgumentError("the end is smaller than the start");
  }
  return result;
}

absl::StatusOr<std::vector<double>> Expand(const SweepSpec& spec) {
  std::vector<double> values;
  // Computed from the index, not by accumulation, so 0.1 steps do not drift past the end.
  const double tolerance = 1e-9 * std::max(1.0, std::abs(spec.end));
  for (int i = 0;; ++i) {
    const double value = spec.multiply ? spec.start * std::pow(spec.step, i)
                                       : spec.start + spec.step * static_cast<double>(i);
    if (value > spec.end + tolerance) break;
    if (static_cast<int>(values.size()) == kMaxSweepSteps) {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", kMaxSweepSteps, " steps; use a larger step"));
    }
    values.push_back(value);
    if (spec.step == 0 || (spec.multiply && spec.start == 0)) break;
  }
  return values;
}

absl::StatusOr<std::vector<double>> ParseSweep(absl::string_view spec, bool integers,
                                               absl::string_view flag) {
  absl::StatusOr<std::vector<double>> values;
  absl::StatusOr<SweepSpec> parsed = ParseSpec(spec, integers);
  values = parsed.ok() ? Expand(*parsed) : parsed.status();
  if (!values.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " '", spec, "': ", values.status().message()));
  }
  return values;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseConcurrencySweep(absl::string_view spec) {
  absl::StatusOr<std::vector<double>> values = ParseSweep(spec, true, "--concurrency");
  if (!values.ok()) return values.status();
  std::vector<int> levels;
  for (double value : *values) {
    if (value < 1 || value > kMaxConcurrency) {
      return absl::InvalidArgumentError(
          absl::StrCat("--concurrency '", spec, "': each level must be in 1..", kMaxConcurrency));
    }
    levels.push_back(static_cast<int>(value));
  }
  return levels;
}

absl::StatusOr<std::vector<double>> ParseRateSweep(absl::string_view spec) {
  absl::StatusOr<std::vector<double>> values = ParseSweep(spec, false, "--request-rate");
  if (!values.ok()) return values.status();
  for (double value : *values) {
    if (value <= 0 || value > kMaxRequestRate) {
      return absl::InvalidArgumentError(absl::StrCat("--request-rate '", spec,
                                                     "': each rate must be above 0 and at most ",
                                                     kMaxRequestRate, " per second"));
    }
  }
  return values;
}

absl::StatusOr<absl::Duration> ParsePerfDuration(absl::string_view text, absl::string_view flag) {
  absl::Duration duration;
  double seconds = 0;
  if (absl::SimpleAtod(text, &seconds) && std::isfinite(seconds)) {
    duration = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(std::string(text), &duration)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " '", text, "' is not a duration (e.g. 10s, 500ms, 1m)"));
  }
  if (duration < absl::ZeroDuration() || duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " '", text, "' must be finite and >= 0"));
  }
  return duration;
}

}  // namespace aiaas::cli
