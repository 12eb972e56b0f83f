// Deterministic train / validation / test splits of a dataset's rows.
//
// The shuffle uses its own PRNG (splitmix64 seeding xoshiro256**, unbiased bounded
// draws by rejection, Fisher-Yates), so a seed gives the same split with every
// compiler and standard library.
//
// Sizes (n rows, fractions v and t):
//  - plain: n_test = round(n * t), n_validation = round(n * v) (halves round up);
//    a requested split (fraction > 0) that rounds to 0 gets 1 row.
//  - stratified (class labels given): the same rounding inside each class, in
//    ascending label order. If that would leave a class without train rows, rows go
//    back to train from the larger of its test / validation parts (test on a tie), so
//    every class with >= 2 rows keeps at least one train row (a class of 1 row is
//    train only); this covers "every class with >= 3 rows appears in train". A
//    requested split that ends up empty takes one train row from the class with the
//    most train rows (lowest label on a tie), if that class keeps >= 1 train row.
// In both cases an empty train split, or an empty requested split, is InvalidArgument
// ("dataset too small").
//
// Example:
//   SplitOptions options;
//   options.validation_fraction = 0.1;
//   options.test_fraction = 0.2;
//   options.seed = 7;
//   AIAAS_ASSIGN_OR_RETURN(RowSplit split, SplitRows(rows.size(), options));
#ifndef AIAAS_TRAINING_PREPROCESS_SPLIT_H_
#define AIAAS_TRAINING_PREPROCESS_SPLIT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace aiaas::training {

struct SplitOptions {
  double validation_fraction = 0.0;  // in [0, 1); validation + test < 1
  double test_fraction = 0.0;        // in [0, 1)
  uint64_t seed = 0;
};

// Indices into 0..n-1, each list sorted ascending; together they hold every index once.
struct RowSplit {
  std::vector<size_t> train;
  std::vector<size_t> validation;
  std::vector<size_t> test;
};

// Splits positions 0..n-1. `class_labels`, when not null, holds one class per position
// (n entries) and makes the split stratified. InvalidArgument for bad fractions, a
// label count other than n, or a dataset too small for the requested splits.
[[nodiscard]] absl::StatusOr<RowSplit> SplitRows(
    size_t n, const SplitOptions& options, const std::vector<int64_t>* class_labels = nullptr);

// `rows[positions[i]]` for each i: turns SplitRows' positions back into table rows when
// the split was over a subset of the rows. Every position must be < rows.size()
// (aborts otherwise: positions come from SplitRows, never from users).
std::vector<size_t> RowsAt(const std::vector<size_t>& rows, const std::vector<size_t>& positions);

// The PRNG behind SplitRows, exposed for tests and for other deterministic shuffles
// (e.g. epoch order). xoshiro256** seeded through splitmix64.
class SplitRandom {
 public:
  explicit SplitRandom(uint64_t seed);
  uint64_t Next();
  // Uniform in [0, bound); bound > 0. Unbiased (rejection sampling).
  uint64_t Below(uint64_t bound);
  // Fisher-Yates shuffle of `values`.
  void Shuffle(std::vector<size_t>& values);

 private:
  uint64_t state_[4];
};

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_PREPROCESS_SPLIT_H_
