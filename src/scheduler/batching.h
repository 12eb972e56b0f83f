#ifndef AIAAS_SCHEDULER_BATCHING_H_
#define AIAAS_SCHEDULER_BATCHING_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/tensor.h"
#include "runtime/servable.h"

// Pure functions that turn several requests into one batch along the first
// dimension (dim 0, "rows") and the batch's outputs back into one result per
// request. Tensors are dense row-major bytes, so a batch is the parts' bytes
// appended in order and a slice is a contiguous byte range: the functions work
// for every fixed-size DataType without looking at values. BYTES tensors
// (variable length) are never batched.
//
// All functions are thread-compatible and never abort on bad data: malformed
// input is InvalidArgument.
namespace aiaas::scheduler {

// The number of rows of one request: the first dimension shared by all of its
// inputs. InvalidArgument when there are no inputs, an input is a scalar
// (rank 0), or inputs disagree on the first dimension.
[[nodiscard]] absl::StatusOr<int64_t> BatchRows(const TensorMap& inputs);

// OK when `a` and `b` can be concatenated along dim 0: the same input names,
// each input with the same fixed-size dtype (not BYTES) and rank >= 1 in both,
// and equal dims except dim 0. Otherwise InvalidArgument saying what differs.
[[nodiscard]] absl::Status CheckCompatible(const TensorMap& a, const TensorMap& b);

// CheckCompatible(a, b).ok(). An equivalence on the maps it accepts.
bool Compatible(const TensorMap& a, const TensorMap& b);

// Concatenates every input of `parts` along dim 0, in the order given: the
// result's input `x` has dim 0 = the sum of the parts' dim 0 and holds the
// parts' bytes one after another. `parts` must be non-empty, non-null and
// pairwise compatible, and each tensor's data must hold exactly its shape's
// bytes; otherwise InvalidArgument. A single part is copied.
[[nodiscard]] absl::StatusOr<TensorMap> Concatenate(const std::vector<const TensorMap*>& parts);

// OK when every output has rank >= 1 and first dimension `rows`; otherwise
// InvalidArgument "model output 'x' has shape [..]; its first dimension must
// be the batch size N".
[[nodiscard]] absl::Status CheckOutputRows(const runtime::NamedTensors& outputs, int64_t rows);

// Splits a batch's outputs into one NamedTensors per request: element i holds
// every output (same names, same order) sliced to the `rows[i]` rows that
// follow the rows of requests 0..i-1. InvalidArgument when a count is negative,
// CheckOutputRows(outputs, sum(rows)) fails, an output is BYTES, or an
// output's data does not hold exactly its shape's bytes.
[[nodiscard]] absl::StatusOr<std::vector<runtime::NamedTensors>> Split(
    const runtime::NamedTensors& outputs, const std::vector<int64_t>& rows);

}  // namespace aiaas::scheduler

#endif  // AIAAS_SCHEDULER_BATCHING_H_
