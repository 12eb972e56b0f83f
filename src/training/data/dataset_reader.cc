#include "training/data/dataset_reader.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "training/data/absl_string_view.h"
#include "training/data/csv_reader.h"
#include "training/data/npy_reader.h"

namespace aiaas::training {

std::string_view DatasetFormatName(DatasetFormat format) {
  switch (format) {
    case DatasetFormat::kCsv:
      return "csv";
    case DatasetFormat::kNpy:
      return "npy";
    case DatasetFormat::kNpz:
      return "npz";
  }
  return "unknown";
}

absl::StatusOr<DatasetFormat> ParseDatasetFormat(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(name));
  if (lower == "csv" || lower == "csv.gz") return DatasetFormat::kCsv;
  if (lower == "npy") return DatasetFormat::kNpy;
  if (lower == "npz") return DatasetFormat::kNpz;
  // The name comes from the request: echo a short, escaped prefix of it.
  return absl::InvalidArgumentError(
      absl::StrCat("unknown dataset format '", absl::CHexEscape(ToAbsl(name.substr(0, 32))),
                   name.size() > 32 ? "...'" : "'", "; expected csv, npy or npz"));
}

absl::StatusOr<DataTable> ReadDataset(std::string_view bytes, DatasetFormat format,
                                      const ReadLimits& limits) {
  switch (format) {
    case DatasetFormat::kCsv: {
      CsvOptions options;
      options.limits = limits;
      return ReadCsv(bytes, options);
    }
    case DatasetFormat::kNpy:
      return ReadNpy(bytes, limits);
    case DatasetFormat::kNpz:
      return ReadNpz(bytes, limits);
  }
  return absl::InvalidArgumentError("unknown dataset format");
}

}  // namespace aiaas::training
