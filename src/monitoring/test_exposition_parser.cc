#include "monitoring/test_exposition_parser.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace aiaas::monitoring {
namespace {

bool IsMetricName(absl::string_view s) {
  if (s.empty() || absl::ascii_isdigit(s[0])) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != ':') return false;
  }
  return true;
}

bool IsLabelName(absl::string_view s) {
  if (s.empty() || absl::ascii_isdigit(s[0]) || absl::StartsWith(s, "__")) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  return true;
}

std::optional<double> ParseValue(absl::string_view s) {
  if (s == "+Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s.empty()) return std::nullopt;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') {
      return std::nullopt;
    }
  }
  double value = 0;
  if (!absl::SimpleAtod(s, &value)) return std::nullopt;
  return value;
}

// Unescapes `s` in place of the exposition escapes: \\ and \n, plus \" when `quotes`.
std::optional<std::string> Unescape(absl::string_view s, bool quotes) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    if (++i == s.size()) return std::nullopt;
    if (s[i] == '\\' || (quotes && s[i] == '"')) {
      out.push_back(s[i]);
    } else if (s[i] == 'n') {
      out.push_back('\n');
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Parses `{a="x",b="y"}` at the start of `*rest`, consuming it.
std::optional<LabelMap> ParseLabels(absl::string_view* rest) {
  LabelMap labels;
  if (!absl::ConsumePrefix(rest, "{")) return labels;
  while (!absl::ConsumePrefix(rest, "}")) {
    const size_t eq = rest->find('=');
    if (eq == absl::string_view::npos) return std::nullopt;
    const std::string name(rest->substr(0, eq));
    rest->remove_prefix(eq + 1);
    if (!IsLabelName(name) || !absl::ConsumePrefix(rest, "\"")) return std::nullopt;
    size_t end = 0;  // the closing quote: the first '"' not escaped by a backslash
    while (end < rest->size() && (*rest)[end] != '"') end += (*rest)[end] == '\\' ? 2 : 1;
    if (end >= rest->size()) return std::nullopt;
    std::optional<std::string> value = Unescape(rest->substr(0, end), /*quotes=*/true);
    rest->remove_prefix(end + 1);
    if (!value.has_value() || !labels.emplace(name, *std::move(value)).second) return std::nullopt;
    if (!absl::ConsumePrefix(rest, ",") && !absl::StartsWith(*rest, "}")) return std::nullopt;
  }
  return labels;
}

// The family a sample belongs to, given the TYPEs seen so far.
std::optional<std::string> FamilyOf(const Exposition& e, const std::string& name) {
  if (e.types.count(name) != 0) {
    const std::string& type = e.types.at(name);
    if (type == "histogram" || type == "summary") return std::nullopt;  // only suffixed samples
    return name;
  }
  for (absl::string_view suffix : {"_bucket", "_sum", "_count"}) {
    absl::string_view base = name;
    if (!absl::ConsumeSuffix(&base, suffix)) continue;
    auto it = e.types.find(std::string(base));
    if (it == e.types.end()) continue;
    if (it->second == "histogram" || (it->second == "summary" && suffix != "_bucket")) {
      return it->first;
    }
  }
  return std::nullopt;
}

absl::Status CheckHistograms(const Exposition& e) {
  for (const auto& [family, type] : e.types) {
    if (type != "histogram") continue;
    std::map<LabelMap, std::vector<std::pair<double, double>>> buckets;  // series -> (le, count)
    for (const ExpositionSample& s : e.Find(family + "_bucket")) {
      LabelMap series = s.labels;
      auto le = series.find("le");
      std::optional<double> bound = le == series.end() ? std::nullopt : ParseValue(le->second);
      if (!bound.has_value()) return absl::InvalidArgumentError(family + ": bucket without le");
      series.erase("le");
      buckets[series].emplace_back(*bound, s.value);
    }
    for (auto& [series, counts] : buckets) {
      std::sort(counts.begin(), counts.end());
      for (size_t i = 1; i < counts.size(); ++i) {
        if (counts[i].second < counts[i - 1].second) {
          return absl::InvalidArgumentError(family + ": buckets decrease");
        }
      }
      std::optional<double> count = e.Value(family + "_count", series);
      if (counts.empty() || !std::isinf(counts.back().first) || !count.has_value() ||
          *count != counts.back().second || !e.Value(family + "_sum", series).has_value()) {
        return absl::InvalidArgumentError(family + ": +Inf bucket, _count and _sum disagree");
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<double> Exposition::Value(const std::string& name, const LabelMap& labels) const {
  for (const ExpositionSample& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

std::vector<ExpositionSample> Exposition::Find(const std::string& name,
                                               const LabelMap& subset) const {
  std::vector<ExpositionSample> out;
  for (const ExpositionSample& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [key, value] : subset) {
      auto it = s.labels.find(key);
      match = match && it != s.labels.end() && it->second == value;
    }
    if (match) out.push_back(s);
  }
  return out;
}

absl::StatusOr<Exposition> ParseExposition(const std::string& text) {
  if (text.empty() || text.back() != '\n') {
    return absl::InvalidArgumentError("exposition must end with a newline");
  }
  Exposition e;
  std::set<std::string> finished;  // families whose lines are over
  std::string current;
  // Every line belongs to one family; a family may not come back once another has started.
  auto enter = [&](const std::string& family) {
    if (family == current) return true;
    if (!current.empty()) finished.insert(current);
    current = family;
    return finished.count(family) == 0;
  };
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  lines.pop_back();  // after the final newline
  for (size_t n = 0; n < lines.size(); ++n) {
    absl::string_view line = lines[n];
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("line ", n + 1, ": ", why, ": ", line));
    };
    if (absl::ConsumePrefix(&line, "# HELP ") || absl::ConsumePrefix(&line, "# TYPE ")) {
      const bool is_help = absl::StartsWith(lines[n], "# HELP");
      const size_t space = line.find(' ');
      if (space == absl::string_view::npos) return bad("no text after the name");
      const std::string name(line.substr(0, space));
      const absl::string_view rest = line.substr(space + 1);
      if (!IsMetricName(name)) return bad("bad metric name");
      if (!enter(name)) return bad("family lines not contiguous");
      if (is_help) {
        std::optional<std::string> help = Unescape(rest, /*quotes=*/false);
        if (!help.has_value() || !e.help.emplace(name, *help).second) return bad("bad HELP");
        continue;
      }
      static const std::set<absl::string_view> kTypes = {"counter", "gauge", "histogram", "summary",
                                                         "untyped"};
      if (kTypes.count(rest) == 0) return bad("unknown TYPE");
      if (!e.types.emplace(name, std::string(rest)).second) return bad("second TYPE");
      continue;
    }
    if (line.empty() || line[0] == '#') return bad("blank line or unknown comment");

    ExpositionSample sample;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == absl::string_view::npos) return bad("no value");
    sample.name = std::string(line.substr(0, name_end));
    line.remove_prefix(name_end);
    if (!IsMetricName(sample.name)) return bad("bad metric name");
    std::optional<LabelMap> labels = ParseLabels(&line);
    if (!labels.has_value()) return bad("bad labels");
    sample.labels = *std::move(labels);
    if (!absl::ConsumePrefix(&line, " ")) return bad("no space before the value");
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    std::optional<double> value = ParseValue(fields[0]);
    int64_t timestamp_ms = 0;
    if (!value.has_value() || fields.size() > 2 ||
        (fields.size() == 2 && !absl::SimpleAtoi(fields[1], &timestamp_ms))) {
      return bad("bad value or timestamp");
    }
    sample.value = *value;
    std::optional<std::string> family = FamilyOf(e, sample.name);
    if (!family.has_value()) return bad("sample without a matching TYPE");
    if (!enter(*family)) return bad("family lines not contiguous");
    if (e.types.at(*family) == "counter" && !(sample.value >= 0)) return bad("negative counter");
    e.samples.push_back(std::move(sample));
  }
  absl::Status histograms = CheckHistograms(e);
  if (!histograms.ok()) return histograms;
  return e;
}

}  // namespace aiaas::monitoring
