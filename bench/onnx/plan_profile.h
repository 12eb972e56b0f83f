#ifndef AIAAS_BENCH_ONNX_PLAN_PROFILE_H_
#define AIAAS_BENCH_ONNX_PLAN_PROFILE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace aiaas::bench {

// Loads the ONNX model at `path` the way OnnxRuntime does and runs its execution plan
// `runs` times on a random float batch of [batch, row_shape...] with a CPU clock around
// every kernel call (same loop as the interpreter's). Prints, per operator type, the time per
// run and per node, and the time spent in the interpreter around the kernels. For
// finding what to optimize; main-graph nodes only (subgraphs count as their parent node).
// Returns a process exit status.
int ProfileOnnxPlan(const std::string& path, const std::vector<int64_t>& row_shape,
                    int64_t batch, int threads, int runs);

}  // namespace aiaas::bench

#endif  // AIAAS_BENCH_ONNX_PLAN_PROFILE_H_
