#ifndef AIAAS_STORAGE_SQLITE_SIGNATURE_ROWS_H_
#define AIAAS_STORAGE_SQLITE_SIGNATURE_ROWS_H_

// A version's Signature as rows of the `version_tensors` table, private to
// storage/. One row per tensor: io ('input'/'output'), position in the
// model's order, name, dtype (protocol name such as "FP32", NULL for any
// type) and shape (dims joined by ',' such as "1,-1,784"; '' for a scalar;
// NULL for any rank).

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/tensor.h"
#include "storage/sqlite_connection.h"

namespace aiaas::storage::sqlite {

// Inserts the rows of `signature` for the version row `version_id`. Call
// inside the transaction that inserts the version.
[[nodiscard]] absl::Status InsertSignature(Connection& conn, int64_t version_id,
                                           const Signature& signature);

// Reads the signature of version row `version_id` (empty if it has no rows).
// Internal if a stored dtype or shape cannot be parsed.
[[nodiscard]] absl::StatusOr<Signature> ReadSignature(Connection& conn, int64_t version_id);

}  // namespace aiaas::storage::sqlite

#endif  // AIAAS_STORAGE_SQLITE_SIGNATURE_ROWS_H_
