#ifndef AIAAS_CLI_PERF_INPUTS_H_
#define AIAAS_CLI_PERF_INPUTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/tensor.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {

// What `aiaas perf` sends: the model's inputs, resolved from its KServe v2 metadata and the
// command line, and filled with data. Pure functions; errors are InvalidArgument with a
// message for the person at the keyboard.

// One input as sent. `data` holds ElementCount(shape) * DataTypeSize(dtype) bytes, row-major
// and little-endian.
struct PerfTensor {
  std::string name;
  DataType dtype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::string data;
};

// One input of the model with every dimension known.
struct PerfInputSpec {
  std::string name;
  DataType dtype = DataType::kFp32;
  bool dtype_assumed = false;  // the metadata gave no datatype; FP32 is sent
  std::vector<int64_t> shape;
};

// Input name -> shape, from --shape.
using ShapeOverrides = std::map<std::string, std::vector<int64_t>>;

// --shape "x:1,784", several inputs separated by ';' ("x:1,784;mask:1,784"); dims are
// positive integers. A name given twice is an error.
[[nodiscard]] absl::StatusOr<ShapeOverrides> ParseShapeOverrides(absl::string_view text);

struct InputResolveOptions {
  ShapeOverrides shapes;              // replace the metadata shapes of these inputs
  std::optional<int64_t> batch_size;  // sets dim 0 of every input
};

// Resolves the inputs of `metadata` (a GET /v2/models/M response). Each shape is the
// --shape override, else the metadata shape; --batch-size then sets dim 0. InvalidArgument
// when an input still has a dynamic (-1) or unknown shape ("give it with --shape x:1,784"),
// when --shape names no input of the model, when a fixed dim 0 conflicts with --batch-size,
// for an unknown datatype, or when the model declares no inputs.
[[nodiscard]] absl::StatusOr<std::vector<PerfInputSpec>> ResolveInputSpecs(
    const nlohmann::json& metadata, const InputResolveOptions& options);

// The inputs with random data drawn from one generator seeded with `seed`, in order, so the
// same seed always gives the same bytes (see RandomTensorData).
[[nodiscard]] absl::StatusOr<std::vector<PerfTensor>> RandomInputs(
    const std::vector<PerfInputSpec>& specs, uint64_t seed);

// The inputs of a KServe v2 request body (--input-data), with `data` converted to bytes.
// InvalidArgument for a body without inputs or an input whose fields are missing or wrong.
[[nodiscard]] absl::StatusOr<std::vector<PerfTensor>> TensorsFromRequestJson(
    const nlohmann::json& request);

// The output names listed in `metadata`; empty if it lists none.
std::vector<std::string> OutputNames(const nlohmann::json& metadata);

// "x FP32 [1, 784]; mask INT64 [1, 784]" for the report header.
std::string DescribeInputs(const std::vector<PerfTensor>& tensors);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PERF_INPUTS_H_
