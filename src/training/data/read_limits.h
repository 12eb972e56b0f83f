// Size limits every dataset reader enforces, so a hostile or accidental upload is refused
// with a clear error before it costs memory or time.
#ifndef AIAAS_TRAINING_DATA_READ_LIMITS_H_
#define AIAAS_TRAINING_DATA_READ_LIMITS_H_

#include <cstddef>

namespace aiaas::training {

struct ReadLimits {
  // The uploaded bytes as received (compressed, for .csv.gz and .npz).
  size_t max_bytes = size_t{256} << 20;
  // After decompression: the whole inflated .csv.gz, and each .npz member as well as
  // all members together. A decompression bomb stops here; nothing beyond is inflated.
  size_t max_inflated_bytes = size_t{1} << 30;
  size_t max_rows = 10'000'000;
  size_t max_columns = 10'000;
  // rows x columns: bounds the table's memory (9 bytes per numeric cell).
  size_t max_cells = 100'000'000;
  // One CSV cell's raw text (and one unicode element of a .npy array).
  size_t max_cell_bytes = 64 << 10;
};

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_READ_LIMITS_H_
