// The artifact of format "native": a trained model in one file, everything serving
// needs to rebuild it and apply the training-time preprocessing.
//
// Layout (integers little-endian):
//   8 bytes   magic "AIAASNB\0"
//   uint32    format version (1)
//   uint64    header length H, then H bytes of JSON (the header below)
//   uint64    weights length W, then W bytes (training/model/weights_io.h)
//
// Header:
//   {"format": "aiaas.native.v1",
//    "task": "classification" | "regression" | "reconstruction",
//    "model": {...},                        // the job's "model" object, as given
//    "build": {"input_shape": [..], "num_outputs": C, "init": "kaiming", "seed": 7},
//    "preprocessor": {...},                 // FittedPreprocessor::ToJson
//    "labels": ["setosa", ...],             // classification: class names, index order
//    "target_scale": {"mean": m, "std": s}, // regression: the model predicts (y - m) / s
//    "metrics": {...}, "lineage": {...}}    // informative copies
//
// Torch-free; pure functions.
#ifndef AIAAS_TRAINING_JOB_NATIVE_BUNDLE_H_
#define AIAAS_TRAINING_JOB_NATIVE_BUNDLE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace aiaas::training {

inline constexpr char kNativeBundleFormat[] = "aiaas.native.v1";

struct NativeBundle {
  nlohmann::json header = nlohmann::json::object();
  std::string weights;
};

// The file's bytes.
std::string EncodeNativeBundle(const NativeBundle& bundle);

// Parses the file's bytes. InvalidArgument for another magic, a newer version, lengths
// that do not match the bytes, a header that is not a JSON object or whose "format"
// is not kNativeBundleFormat. The header's fields are checked by their users.
[[nodiscard]] absl::StatusOr<NativeBundle> DecodeNativeBundle(absl::string_view bytes);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_JOB_NATIVE_BUNDLE_H_
