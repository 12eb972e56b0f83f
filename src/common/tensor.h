#ifndef AIAAS_COMMON_TENSOR_H_
#define AIAAS_COMMON_TENSOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace aiaas {

// Element types of the KServe v2 / Open Inference Protocol. kBytes is the
// protocol's BYTES type (variable-length strings); no runtime accepts it yet.
enum class DataType {
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kBf16,
  kFp32,
  kFp64,
  kBytes,
};

// Protocol name ("FP32", "INT64", ...) of a data type.
std::string_view DataTypeName(DataType type);

// Parses a protocol name. Unknown names are InvalidArgument listing the valid ones.
absl::StatusOr<DataType> ParseDataType(std::string_view name);

// Size of one element in bytes; 0 for kBytes (variable length).
size_t DataTypeSize(DataType type);

// Number of elements of a shape, or InvalidArgument when a dim is negative or
// the product overflows int64 / exceeds `max_elements`.
absl::StatusOr<int64_t> ElementCount(const std::vector<int64_t>& shape,
                                     int64_t max_elements = INT64_MAX);

// "[1, 3, -1]" — for error messages.
std::string ShapeToString(const std::vector<int64_t>& shape);

// A dense, row-major, host-memory tensor: the domain type that crosses layers
// (codec -> service -> runtime) without any LibTorch header. `data` holds exactly
// ElementCount(shape) * DataTypeSize(dtype) bytes in native (little-endian) order.
struct Tensor {
  DataType dtype = DataType::kFp32;
  std::vector<int64_t> shape;
  std::vector<std::byte> data;

  int64_t NumElements() const;
};

// Tensors keyed by name; inputs and outputs of one inference.
using TensorMap = std::map<std::string, Tensor>;

// Declared input or output of a model. `dtype` unset means "any type";
// a dim of -1 is dynamic. `shape` unset means "any rank".
struct TensorSpec {
  std::string name;
  std::optional<DataType> dtype;
  std::optional<std::vector<int64_t>> shape;
};

// The named inputs and outputs of a model version, in the model's order.
struct Signature {
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

}  // namespace aiaas

#endif  // AIAAS_COMMON_TENSOR_H_
