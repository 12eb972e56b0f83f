#include "training/preprocess/split.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aiaas::training {
namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// round(count * fraction) with halves up; never more than count.
size_t RoundedShare(size_t count, double fraction) {
  double share = std::floor(static_cast<double>(count) * fraction + 0.5);
  return std::min(count, static_cast<size_t>(share));
}

// One class's shuffled rows laid out as [test | validation | train].
struct Stratum {
  std::vector<size_t> rows;
  size_t test = 0;
  size_t validation = 0;
  size_t Train() const { return rows.size() - test - validation; }
};

absl::Status ValidateOptions(size_t n, const SplitOptions& options) {
  auto bad_fraction = [](double f) { return !std::isfinite(f) || f < 0.0 || f >= 1.0; };
  if (bad_fraction(options.validation_fraction)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "validation_fraction: expected a number in [0, 1), got ", options.validation_fraction));
  }
  if (bad_fraction(options.test_fraction)) {
    return absl::InvalidArgumentError(
        absl::StrCat("test_fraction: expected a number in [0, 1), got ", options.test_fraction));
  }
  if (options.validation_fraction + options.test_fraction >= 1.0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "validation_fraction + test_fraction must be below 1 (got ", options.validation_fraction,
        " + ", options.test_fraction, "): nothing would be left to train on"));
  }
  if (n == 0) return absl::InvalidArgumentError("cannot split a dataset with no rows");
  return absl::OkStatus();
}

absl::Status TooSmall(size_t n, const SplitOptions& options, const char* what) {
  return absl::InvalidArgumentError(
      absl::StrCat("dataset too small: ", n, " rows cannot give ", what, " (validation_fraction ",
                   options.validation_fraction, ", test_fraction ", options.test_fraction, ")"));
}

// Appends shuffled rows laid out as [test | validation | train] to `split`.
void Deal(const std::vector<size_t>& shuffled, size_t n_test, size_t n_validation,
          RowSplit& split) {
  for (size_t i = 0; i < shuffled.size(); ++i) {
    std::vector<size_t>& part = i < n_test                  ? split.test
                                : i < n_test + n_validation ? split.validation
                                                            : split.train;
    part.push_back(shuffled[i]);
  }
}

void SortAll(RowSplit& split) {
  std::sort(split.train.begin(), split.train.end());
  std::sort(split.validation.begin(), split.validation.end());
  std::sort(split.test.begin(), split.test.end());
}

absl::StatusOr<RowSplit> PlainSplit(size_t n, const SplitOptions& options) {
  size_t n_test = RoundedShare(n, options.test_fraction);
  size_t n_validation = RoundedShare(n, options.validation_fraction);
  if (options.test_fraction > 0 && n_test == 0) n_test = 1;
  if (options.validation_fraction > 0 && n_validation == 0) n_validation = 1;
  if (n_test + n_validation >= n) {
    return TooSmall(n, options, "non-empty train, validation and test splits");
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  SplitRandom random(options.seed);
  random.Shuffle(order);
  RowSplit split;
  Deal(order, n_test, n_validation, split);
  SortAll(split);
  return split;
}

// Gives one train row to the split `part` points into (test or validation) from the
// stratum with the most train rows, if it can spare one.
bool TopUp(std::vector<Stratum>& strata, size_t Stratum::*part) {
  Stratum* donor = nullptr;
  for (Stratum& stratum : strata) {
    if (donor == nullptr || stratum.Train() > donor->Train()) donor = &stratum;
  }
  if (donor == nullptr || donor->Train() < 2) return false;
  ++(donor->*part);
  return true;
}

absl::StatusOr<RowSplit> StratifiedSplit(size_t n, const SplitOptions& options,
                                         const std::vector<int64_t>& labels) {
  std::map<int64_t, std::vector<size_t>> by_class;
  for (size_t i = 0; i < n; ++i) by_class[labels[i]].push_back(i);
  SplitRandom random(options.seed);
  std::vector<Stratum> strata;
  strata.reserve(by_class.size());
  for (auto& [label, rows] : by_class) {
    Stratum stratum;
    stratum.rows = std::move(rows);
    random.Shuffle(stratum.rows);
    size_t count = stratum.rows.size();
    stratum.test = RoundedShare(count, options.test_fraction);
    stratum.validation = RoundedShare(count, options.validation_fraction);
    if (stratum.test + stratum.validation > count) stratum.validation = count - stratum.test;
    // Keep a train row for every class that has more than one.
    size_t min_train = count >= 2 ? 1 : count;
    while (stratum.Train() < min_train) {
      if (stratum.test >= stratum.validation) {
        --stratum.test;
      } else {
        --stratum.validation;
      }
    }
    strata.push_back(std::move(stratum));
  }
  size_t total_test = 0;
  size_t total_validation = 0;
  for (const Stratum& stratum : strata) {
    total_test += stratum.test;
    total_validation += stratum.validation;
  }
  if (options.test_fraction > 0 && total_test == 0 && !TopUp(strata, &Stratum::test)) {
    return TooSmall(n, options, "a non-empty stratified test split");
  }
  if (options.validation_fraction > 0 && total_validation == 0 &&
      !TopUp(strata, &Stratum::validation)) {
    return TooSmall(n, options, "a non-empty stratified validation split");
  }
  RowSplit split;
  for (const Stratum& stratum : strata) Deal(stratum.rows, stratum.test, stratum.validation, split);
  if (split.train.empty()) return TooSmall(n, options, "a non-empty train split");
  SortAll(split);
  return split;
}

}  // namespace

std::vector<size_t> RowsAt(const std::vector<size_t>& rows, const std::vector<size_t>& positions) {
  std::vector<size_t> picked;
  picked.reserve(positions.size());
  for (size_t position : positions) {
    if (position >= rows.size()) std::abort();  // a caller bug, not bad input
    picked.push_back(rows[position]);
  }
  return picked;
}

SplitRandom::SplitRandom(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t& word : state_) word = SplitMix64(x);
}

uint64_t SplitRandom::Next() {
  uint64_t result = RotateLeft(state_[1] * 5, 7) * 9;
  uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = RotateLeft(state_[3], 45);
  return result;
}

uint64_t SplitRandom::Below(uint64_t bound) {
  // Reject the lowest (2^64 mod bound) values so every residue is equally likely.
  uint64_t threshold = (0 - bound) % bound;
  while (true) {
    uint64_t r = Next();
    if (r >= threshold) return r % bound;
  }
}

void SplitRandom::Shuffle(std::vector<size_t>& values) {
  for (size_t i = values.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(Below(i));
    std::swap(values[i - 1], values[j]);
  }
}

absl::StatusOr<RowSplit> SplitRows(size_t n, const SplitOptions& options,
                                   const std::vector<int64_t>* class_labels) {
  if (absl::Status status = ValidateOptions(n, options); !status.ok()) return status;
  if (class_labels == nullptr) return PlainSplit(n, options);
  if (class_labels->size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("stratified split: ", class_labels->size(), " class labels for ", n, " rows"));
  }
  return StratifiedSplit(n, options, *class_labels);
}

}  // namespace aiaas::training
