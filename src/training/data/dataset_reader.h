// The one entry point the dataset service calls: uploaded bytes and a declared format
// in, a DataTable out.
#ifndef AIAAS_TRAINING_DATA_DATASET_READER_H_
#define AIAAS_TRAINING_DATA_DATASET_READER_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "training/data/data_table.h"
#include "training/data/read_limits.h"

namespace aiaas::training {

enum class DatasetFormat { kCsv, kNpy, kNpz };

// "csv" | "npy" | "npz".
std::string_view DatasetFormatName(DatasetFormat format);

// Accepts "csv" (also "csv.gz": gzip is detected from the bytes anyway), "npy", "npz",
// in any case. InvalidArgument listing the accepted names otherwise.
[[nodiscard]] absl::StatusOr<DatasetFormat> ParseDatasetFormat(std::string_view name);

// Reads `bytes` as `format` (see ReadCsv, ReadNpy, ReadNpz; gzip is auto-detected for
// CSV). InvalidArgument, with a message for the uploader, for anything wrong with the
// data. Thread-safe.
[[nodiscard]] absl::StatusOr<DataTable> ReadDataset(std::string_view bytes, DatasetFormat format,
                                                    const ReadLimits& limits);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_DATASET_READER_H_
