// Reads NumPy .npy and .npz files into a DataTable.
#ifndef AIAAS_TRAINING_DATA_NPY_READER_H_
#define AIAAS_TRAINING_DATA_NPY_READER_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "training/data/data_table.h"
#include "training/data/read_limits.h"

namespace aiaas::training {

// How an array becomes columns: a 1-D array named `a` of length N is column `a`; an
// array of shape [N, d1, d2, ...] is prod(d) columns `a_0`, `a_1`, ... in C order of the
// trailing dimensions (whatever the file's fortran_order). Float, int, uint and bool
// arrays become numeric columns (NaN is missing; infinities are refused); unicode (U<n>)
// arrays become categorical columns (trailing NULs stripped; the empty string is
// missing). Object, pickled, structured, complex, datetime and byte-string arrays are
// refused. A 0-d array or one with N = 0 is refused.
//
// All functions return InvalidArgument for anything wrong with the data (a truncated or
// malformed file, a limit exceeded) and never allocate more than the limits allow.
// Thread-safe (no shared state).

// A single .npy file (format 1.0, 2.0 or 3.0); its array is named `x`.
[[nodiscard]] absl::StatusOr<DataTable> ReadNpy(std::string_view bytes, const ReadLimits& limits);

// An .npz file (a zip of .npy members, stored or deflated, as numpy.savez and
// numpy.savez_compressed write): member `a.npy` is array `a`, in the zip's order. All
// arrays must have the same first dimension N. limits.max_inflated_bytes bounds each
// member and all of them together.
[[nodiscard]] absl::StatusOr<DataTable> ReadNpz(std::string_view bytes, const ReadLimits& limits);

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_NPY_READER_H_
