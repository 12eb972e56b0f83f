#ifndef AIAAS_CLI_INFER_OUTPUT_H_
#define AIAAS_CLI_INFER_OUTPUT_H_

#include <cstddef>
#include <string>

#include "nlohmann/json.hpp"

namespace aiaas::cli {

struct InferOutputOptions {
  size_t max_rows = 8;             // rows (last-dimension slices) shown per output
  size_t max_values_per_row = 16;  // values shown per row
};

// A readable rendering of a KServe v2 inference response:
//
//   mnist-mlp version 1
//   output_0  FP32  [2, 3]
//     [0.25, -1.5, 3]
//     [1e-07, 0, 2]
//
// Data (flat or nested) is shown one row per slice of the last dimension; long rows end in
// "... (N more)" and extra rows in "... (N more rows)". Floats use 6 significant digits.
// Fields of an unexpected shape are skipped, never fatal.
std::string FormatInferResponse(const nlohmann::json& response,
                                const InferOutputOptions& options = {});

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_INFER_OUTPUT_H_
