#ifndef AIAAS_RUNTIME_ONNX_KERNEL_MEMO_H_
#define AIAAS_RUNTIME_ONNX_KERNEL_MEMO_H_

// Load-time memoization of the small integer nodes of a plan (shape arithmetic).

#include "runtime/onnx/execution_plan.h"

namespace aiaas::runtime::onnxrt {

// Remembers, per deterministic node, the outputs for the last inputs when all of them
// are small integer tensors (at most 16 elements: the shape arithmetic exporters write
// for dynamic batch sizes), so that later runs with the same shapes skip those kernels.
// Outputs of at most 16 KiB are kept; one entry per node, guarded by a mutex.
void MemoizeSmallIntegerNodes(GraphPlan& plan);

}  // namespace aiaas::runtime::onnxrt

#endif  // AIAAS_RUNTIME_ONNX_KERNEL_MEMO_H_
