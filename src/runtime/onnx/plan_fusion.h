#ifndef AIAAS_RUNTIME_ONNX_PLAN_FUSION_H_
#define AIAAS_RUNTIME_ONNX_PLAN_FUSION_H_

// Load-time rewrites of a plan for speed. Fusion of node chains that exporters spell out
// into one ATen call:
//
//   GELU (torch.onnx.export, opset < 20): Div(x, sqrt 2) -> Erf -> Add(1) -> Mul(x) ->
//     Mul(0.5)                                              => at::gelu(x)
//   Linear layer on a 3-D or wider input: MatMul(a, W) -> Add(bias), W a constant matrix
//     [K, N] and bias a constant vector [N]                 => at::addmm over a viewed as 2-D
//   Conv [-> Relu] [-> MaxPool] stages, one after the other (2-D, float32, MaxPool without
//     Indices; e.g. a whole CNN feature extractor)          => the chain in oneDNN's blocked
//     layout (as torch.jit.optimize_for_inference runs it): one conversion in and out,
//     Relu in place, oneDNN pooling, from batch 4 up; below that, and where oneDNN does
//     not apply, the original kernels run (Conv + Relu with Relu in place on the
//     convolution's own new output)
//
// A chain is fused only when every intermediate value has the next node of the chain as
// its only reader (and is no graph output), the constants have the expected values and
// shapes, and the operators are the default domain's at opset 7 or later. The fused node
// takes the chain's outside inputs (constants included, so memory accounting is
// unchanged) and produces the last node's output. At run time it uses the fused call
// when the inputs' types and ranks allow it (float or double), and otherwise runs the
// original kernels one after the other, so results never depend on the fusion beyond
// floating-point rounding (at::gelu's erf, addmm's and oneDNN's summation order: ~1e-7
// relative).

#include <unordered_map>

#include <ATen/core/Tensor.h>

#include "runtime/onnx/execution_plan.h"

namespace aiaas::runtime::onnxrt {

// Rewrites the fusable chains of `plan.nodes` (topologically sorted, constants folded)
// in place. `constants` holds the values of the constant slots (initializers and folded
// results). Returns the number of chains fused.
int FuseNodeChains(GraphPlan& plan, const std::unordered_map<int, at::Tensor>& constants);

// Stores the constant 4-D float weights of Conv nodes channels-last (the layout the Conv
// kernel computes in), so that runs do not convert them each time, and the constant B of
// Gemm nodes with transB=1 column-major (so B' is dense for BLAS). Same values; only the
// strides change, which every kernel accepts.
void PrepareConstantLayouts(const GraphPlan& plan,
                            std::unordered_map<int, at::Tensor>& constants);

}  // namespace aiaas::runtime::onnxrt

#endif  // AIAAS_RUNTIME_ONNX_PLAN_FUSION_H_
