#ifndef AIAAS_SCHEDULER_TEST_TENSORS_H_
#define AIAAS_SCHEDULER_TEST_TENSORS_H_

// Tensor builders shared by the scheduler tests.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/tensor.h"

namespace aiaas::scheduler::testing {

// Every fixed-size data type (all but BYTES).
inline std::vector<DataType> FixedSizeTypes() {
  return {DataType::kBool,   DataType::kUint8, DataType::kUint16, DataType::kUint32,
          DataType::kUint64, DataType::kInt8,  DataType::kInt16,  DataType::kInt32,
          DataType::kInt64,  DataType::kFp16,  DataType::kBf16,   DataType::kFp32,
          DataType::kFp64};
}

// A tensor whose bytes are a pattern derived from `seed`, so tensors made with
// different seeds differ in every byte position that matters.
inline Tensor MakeTensor(DataType dtype, std::vector<int64_t> shape, int seed) {
  Tensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  int64_t elements = 1;
  for (int64_t dim : tensor.shape) elements *= dim;
  tensor.data.resize(static_cast<size_t>(elements) * DataTypeSize(dtype));
  for (size_t i = 0; i < tensor.data.size(); ++i) {
    const auto value = static_cast<uint8_t>(seed * 31 + i * 7 + 1);
    // BOOL elements must stay 0 or 1.
    tensor.data[i] = std::byte{dtype == DataType::kBool ? static_cast<uint8_t>(value & 1) : value};
  }
  return tensor;
}

// An INT32 tensor of shape [values.size(), 1] holding `values`.
inline Tensor Int32Column(const std::vector<int32_t>& values) {
  Tensor tensor;
  tensor.dtype = DataType::kInt32;
  tensor.shape = {static_cast<int64_t>(values.size()), 1};
  tensor.data.resize(values.size() * sizeof(int32_t));
  for (size_t i = 0; i < values.size(); ++i) {
    const auto bits = static_cast<uint32_t>(values[i]);
    for (size_t b = 0; b < 4; ++b) tensor.data[i * 4 + b] = std::byte(bits >> (8 * b) & 0xff);
  }
  return tensor;
}

// The values of an INT32 tensor (little-endian bytes).
inline std::vector<int32_t> Int32Values(const Tensor& tensor) {
  std::vector<int32_t> values(tensor.data.size() / 4);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t bits = 0;
    for (size_t b = 0; b < 4; ++b) {
      bits |= static_cast<uint32_t>(std::to_integer<uint8_t>(tensor.data[i * 4 + b])) << (8 * b);
    }
    values[i] = static_cast<int32_t>(bits);
  }
  return values;
}

}  // namespace aiaas::scheduler::testing

#endif  // AIAAS_SCHEDULER_TEST_TENSORS_H_
