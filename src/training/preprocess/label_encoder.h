// Maps a classification target's values to class indices 0..C-1 and back.
//
// The classes are the distinct present values of the whole target column (not only
// the train rows, so a validation or test row never carries an unknown class):
//  - a numeric column must hold integer values; classes are those integers, ascending,
//    and are served as INT64;
//  - a categorical column's classes are its strings sorted byte-wise, served as BYTES.
//
// Immutable after Fit/FromJson; safe to share between threads.
//
// JSON: {"kind": "integer", "classes": [0, 3, 7]} or {"kind": "string", "classes": ["cat", "dog"]}
#ifndef AIAAS_TRAINING_PREPROCESS_LABEL_ENCODER_H_
#define AIAAS_TRAINING_PREPROCESS_LABEL_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "training/data/data_table.h"

namespace aiaas::training {

// What Fit does with rows whose target is missing.
enum class MissingTargets {
  kReject,  // InvalidArgument naming the count and the first such row
  kSkip,    // ignored (the rows are dropped from training)
};

class LabelEncoder {
 public:
  // Learns the classes of `target`. InvalidArgument for a numeric value that is not an
  // integer (or does not fit int64), for a missing value under kReject, and for a
  // column with fewer than 2 classes (nothing to classify).
  [[nodiscard]] static absl::StatusOr<LabelEncoder> Fit(const Column& target,
                                                        MissingTargets missing);

  // Restores an encoder from ToJson(); InvalidArgument for a malformed object
  // (unknown kind, unsorted or duplicate classes, fewer than 2 classes).
  [[nodiscard]] static absl::StatusOr<LabelEncoder> FromJson(const nlohmann::json& json);
  nlohmann::json ToJson() const;

  size_t NumClasses() const { return integer_ ? int_classes_.size() : string_classes_.size(); }
  // True: labels are integers (served as INT64); false: strings (served as BYTES).
  bool IntegerLabels() const { return integer_; }

  // Class index of `target`'s value at `row`. InvalidArgument when the cell is missing,
  // of the other kind than the encoder's, or not one of the classes.
  [[nodiscard]] absl::StatusOr<int64_t> Encode(const Column& target, size_t row) const;
  // Encode for each of `rows`, in order.
  [[nodiscard]] absl::StatusOr<std::vector<int64_t>> EncodeRows(
      const Column& target, const std::vector<size_t>& rows) const;

  // The label of class `index`; OutOfRange unless 0 <= index < NumClasses() and the
  // encoder holds labels of that kind.
  [[nodiscard]] absl::StatusOr<int64_t> DecodeInteger(int64_t index) const;
  [[nodiscard]] absl::StatusOr<std::string> DecodeString(int64_t index) const;

  // Every class label as text ("3", "dog"), in index order; for reports and logs.
  std::vector<std::string> ClassNames() const;

 private:
  LabelEncoder() = default;

  bool integer_ = true;
  std::vector<int64_t> int_classes_;         // ascending, when integer_
  std::vector<std::string> string_classes_;  // sorted, when !integer_
};

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_PREPROCESS_LABEL_ENCODER_H_
