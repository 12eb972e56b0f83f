#include "common/tensor.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace aiaas {
namespace {

struct TypeInfo {
  DataType type;
  std::string_view name;
  size_t size;
};

constexpr std::array<TypeInfo, 14> kTypes = {{
    {DataType::kBool, "BOOL", 1},
    {DataType::kUint8, "UINT8", 1},
    {DataType::kUint16, "UINT16", 2},
    {DataType::kUint32, "UINT32", 4},
    {DataType::kUint64, "UINT64", 8},
    {DataType::kInt8, "INT8", 1},
    {DataType::kInt16, "INT16", 2},
    {DataType::kInt32, "INT32", 4},
    {DataType::kInt64, "INT64", 8},
    {DataType::kFp16, "FP16", 2},
    {DataType::kBf16, "BF16", 2},
    {DataType::kFp32, "FP32", 4},
    {DataType::kFp64, "FP64", 8},
    {DataType::kBytes, "BYTES", 0},
}};

const TypeInfo& Info(DataType type) {
  for (const auto& info : kTypes) {
    if (info.type == type) return info;
  }
  return kTypes.back();  // unreachable for valid enum values
}

}  // namespace

std::string_view DataTypeName(DataType type) { return Info(type).name; }

size_t DataTypeSize(DataType type) { return Info(type).size; }

absl::StatusOr<DataType> ParseDataType(std::string_view name) {
  for (const auto& info : kTypes) {
    if (info.name == name) return info.type;
  }
  std::vector<std::string> names;
  for (const auto& info : kTypes) names.emplace_back(info.name);
  return absl::InvalidArgumentError(absl::StrCat("unknown datatype '", std::string(name),
                                                 "'; expected one of ", absl::StrJoin(names, ", ")));
}

absl::StatusOr<int64_t> ElementCount(const std::vector<int64_t>& shape, int64_t max_elements) {
  bool has_zero = false;
  for (int64_t dim : shape) {
    if (dim < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("shape ", ShapeToString(shape), " has a negative dimension"));
    }
    has_zero = has_zero || dim == 0;
  }
  if (has_zero) return 0;  // an empty tensor, however large its other dims
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (count > max_elements / dim) {
      return absl::InvalidArgumentError(absl::StrCat("shape ", ShapeToString(shape),
                                                     " has more than ", max_elements,
                                                     " elements"));
    }
    count *= dim;
  }
  return count;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

int64_t Tensor::NumElements() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

}  // namespace aiaas
