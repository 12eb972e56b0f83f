// The header of a NumPy .npy file (format versions 1.0, 2.0 and 3.0): magic, version,
// header length and the Python-literal dict with descr, fortran_order and shape.
// Internal to training/data; see
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#ifndef AIAAS_TRAINING_DATA_NPY_HEADER_H_
#define AIAAS_TRAINING_DATA_NPY_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace aiaas::training {

// The element types the readers accept.
enum class NpyKind { kFloat, kSigned, kUnsigned, kBool, kUnicode };

struct NpyDtype {
  NpyKind kind = NpyKind::kFloat;
  size_t item_bytes = 8;  // f2/f4/f8, i/u 1/2/4/8, b1 = 1, U<n> = 4 * n
  bool big_endian = false;
};

struct NpyHeader {
  NpyDtype dtype;
  bool fortran_order = false;
  std::vector<uint64_t> shape;  // () for a 0-d array
  size_t data_offset = 0;       // where the array data starts in the file
};

// Parses and validates the header at the start of `file`. InvalidArgument for a file that
// is not .npy (bad magic, e.g. a pickle), an unknown version, a header length past the
// end of the file, a malformed dict, or a dtype the readers refuse: object ('O', which
// needs pickle), structured (a list descr or 'V'), complex, datetime, byte strings.
// Messages name the array as `array_name`.
[[nodiscard]] absl::StatusOr<NpyHeader> ParseNpyHeader(std::string_view file,
                                                       std::string_view array_name);

// Parses a dtype string such as "<f8", "|b1" or ">U12".
[[nodiscard]] absl::StatusOr<NpyDtype> ParseNpyDescr(std::string_view descr);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_NPY_HEADER_H_
