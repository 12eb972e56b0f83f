// Test helpers for the exporters: native bundles with seeded random weights (no
// training needed to compare two runtimes), temp files and tensors.
#ifndef AIAAS_TRAINING_EXPORT_EXPORT_TEST_UTIL_H_
#define AIAAS_TRAINING_EXPORT_EXPORT_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/tensor.h"
#include "nlohmann/json.hpp"

namespace aiaas::training::testing {

struct BundleOptions {
  nlohmann::json model;                 // the "model" object of a job spec
  std::string task = "classification";  // or "regression", "reconstruction"
  int64_t features = 4;                 // numeric input columns
  std::vector<int64_t> sample_shape;    // empty: {features}
  int64_t num_outputs = 3;              // classes (labels 10, 20, 30, ...) or targets
  std::string scale = "standard";       // none | standard | minmax
  bool string_labels = false;
  bool categorical = false;  // adds a categorical column "color"
  uint64_t seed = 7;
};

// A native bundle whose weights are random (seeded); batchnorm statistics included.
std::string RandomBundle(const BundleOptions& options);

// Writes `bytes` to a new temp file; returns its path.
std::string WriteTemp(const std::string& bytes, const std::string& suffix);

// `rows` random raw rows of `features` values in [-2, 2] (every 7th value NaN when
// `with_missing`), or integer token ids in [0, vocab) when vocab > 0.
Tensor RandomRows(int64_t rows, int64_t features, bool with_missing, int64_t vocab = 0,
                  uint64_t seed = 3);

std::vector<float> FloatValues(const Tensor& tensor);
std::vector<int64_t> Int64Values(const Tensor& tensor);

}  // namespace aiaas::training::testing

#endif  // AIAAS_TRAINING_EXPORT_EXPORT_TEST_UTIL_H_
