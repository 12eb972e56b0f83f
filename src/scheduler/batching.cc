#include "scheduler/batching.h"

#include <cstddef>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace aiaas::scheduler {
namespace {

std::string Name(DataType type) { return std::string(DataTypeName(type)); }

// Bytes of one row (dims after the first) of a tensor of `type` and rank >= 1.
absl::StatusOr<int64_t> RowBytes(DataType type, const std::vector<int64_t>& shape) {
  std::vector<int64_t> row_shape(shape.begin() + 1, shape.end());
  const auto element_size = static_cast<int64_t>(DataTypeSize(type));
  AIAAS_ASSIGN_OR_RETURN(int64_t elements,
                         ElementCount(row_shape, std::numeric_limits<int64_t>::max() /
                                                     (element_size == 0 ? 1 : element_size)));
  return elements * element_size;
}

// InvalidArgument unless `tensor` holds exactly the bytes its shape describes.
absl::Status CheckDataSize(const std::string& what, const Tensor& tensor) {
  AIAAS_ASSIGN_OR_RETURN(int64_t elements, ElementCount(tensor.shape));
  const auto element_size = static_cast<int64_t>(DataTypeSize(tensor.dtype));
  if (element_size != 0 && elements > std::numeric_limits<int64_t>::max() / element_size) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has shape ", ShapeToString(tensor.shape), ", which is too large"));
  }
  const int64_t expected = elements * element_size;
  if (static_cast<int64_t>(tensor.data.size()) != expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " of shape ", ShapeToString(tensor.shape), " and datatype ", Name(tensor.dtype),
        " holds ", tensor.data.size(), " bytes; expected ", expected));
  }
  return absl::OkStatus();
}

absl::Status CheckBatchable(const std::string& what, const Tensor& tensor) {
  if (tensor.dtype == DataType::kBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has datatype BYTES, which cannot be batched"));
  }
  if (tensor.shape.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is a scalar; batching needs a first (batch) dimension"));
  }
  return absl::OkStatus();
}

std::string InputName(const std::string& name) { return absl::StrCat("input '", name, "'"); }

}  // namespace

absl::StatusOr<int64_t> BatchRows(const TensorMap& inputs) {
  if (inputs.empty()) return absl::InvalidArgumentError("the request has no inputs to batch");
  const std::string* first_name = nullptr;
  int64_t rows = 0;
  for (const auto& [name, tensor] : inputs) {
    if (tensor.shape.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          InputName(name), " is a scalar; a batching model needs a first (batch) dimension"));
    }
    if (first_name == nullptr) {
      first_name = &name;
      rows = tensor.shape[0];
    } else if (tensor.shape[0] != rows) {
      return absl::InvalidArgumentError(absl::StrCat(
          "inputs disagree on the batch size (first dimension): ", InputName(*first_name), " has ",
          rows, " and ", InputName(name), " has ", tensor.shape[0]));
    }
  }
  if (rows < 0) {
    return absl::InvalidArgumentError(absl::StrCat("batch dimension ", rows, " is negative"));
  }
  return rows;
}

absl::Status CheckCompatible(const TensorMap& a, const TensorMap& b) {
  if (a.size() != b.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("requests have different inputs (", a.size(), " and ", b.size(), ")"));
  }
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia->first != ib->first) {
      return absl::InvalidArgumentError(
          absl::StrCat("requests have different inputs ('", ia->first, "' and '", ib->first, "')"));
    }
    const std::string what = InputName(ia->first);
    const Tensor& ta = ia->second;
    const Tensor& tb = ib->second;
    AIAAS_RETURN_IF_ERROR(CheckBatchable(what, ta));
    AIAAS_RETURN_IF_ERROR(CheckBatchable(what, tb));
    if (ta.dtype != tb.dtype) {
      return absl::InvalidArgumentError(absl::StrCat(what, " has datatype ", Name(ta.dtype),
                                                     " in one request and ", Name(tb.dtype),
                                                     " in another"));
    }
    if (ta.shape.size() != tb.shape.size() ||
        !std::equal(ta.shape.begin() + 1, ta.shape.end(), tb.shape.begin() + 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " has shape ", ShapeToString(ta.shape), " in one request and ",
          ShapeToString(tb.shape), " in another; only the first dimension may differ"));
    }
  }
  return absl::OkStatus();
}

bool Compatible(const TensorMap& a, const TensorMap& b) { return CheckCompatible(a, b).ok(); }

absl::StatusOr<TensorMap> Concatenate(const std::vector<const TensorMap*>& parts) {
  if (parts.empty()) return absl::InvalidArgumentError("no requests to concatenate");
  for (const TensorMap* part : parts) {
    if (part == nullptr) return absl::InvalidArgumentError("null request in a batch");
    AIAAS_RETURN_IF_ERROR(CheckCompatible(*parts.front(), *part));
  }
  TensorMap batch;
  for (const auto& [name, first] : *parts.front()) {
    int64_t rows = 0;
    size_t bytes = 0;
    for (const TensorMap* part : parts) {
      const Tensor& tensor = part->at(name);
      AIAAS_RETURN_IF_ERROR(CheckDataSize(InputName(name), tensor));
      if (tensor.shape[0] > std::numeric_limits<int64_t>::max() - rows) {
        return absl::InvalidArgumentError(
            absl::StrCat("the batch of ", InputName(name), " has too many rows"));
      }
      rows += tensor.shape[0];
      bytes += tensor.data.size();
    }
    Tensor& out = batch[name];
    out.dtype = first.dtype;
    out.shape = first.shape;
    out.shape[0] = rows;
    out.data.reserve(bytes);
    for (const TensorMap* part : parts) {
      const auto& data = part->at(name).data;
      out.data.insert(out.data.end(), data.begin(), data.end());
    }
  }
  return batch;
}

absl::Status CheckOutputRows(const runtime::NamedTensors& outputs, int64_t rows) {
  for (const auto& [name, tensor] : outputs) {
    if (tensor.shape.empty() || tensor.shape[0] != rows) {
      return absl::InvalidArgumentError(absl::StrCat("model output '", name, "' has shape ",
                                                     ShapeToString(tensor.shape),
                                                     "; its first dimension must be the batch "
                                                     "size ",
                                                     rows));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<runtime::NamedTensors>> Split(const runtime::NamedTensors& outputs,
                                                         const std::vector<int64_t>& rows) {
  int64_t total = 0;
  for (int64_t count : rows) {
    if (count < 0 || count > std::numeric_limits<int64_t>::max() - total) {
      return absl::InvalidArgumentError(absl::StrCat("invalid row count ", count, " in a batch"));
    }
    total += count;
  }
  AIAAS_RETURN_IF_ERROR(CheckOutputRows(outputs, total));

  std::vector<runtime::NamedTensors> results(rows.size());
  for (auto& result : results) result.reserve(outputs.size());
  for (const auto& [name, tensor] : outputs) {
    const std::string what = absl::StrCat("model output '", name, "'");
    AIAAS_RETURN_IF_ERROR(CheckBatchable(what, tensor));
    AIAAS_RETURN_IF_ERROR(CheckDataSize(what, tensor));
    AIAAS_ASSIGN_OR_RETURN(int64_t row_bytes, RowBytes(tensor.dtype, tensor.shape));
    size_t offset = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      Tensor slice;
      slice.dtype = tensor.dtype;
      slice.shape = tensor.shape;
      slice.shape[0] = rows[i];
      const auto bytes = static_cast<size_t>(rows[i] * row_bytes);
      slice.data.assign(tensor.data.begin() + offset, tensor.data.begin() + offset + bytes);
      offset += bytes;
      results[i].emplace_back(name, std::move(slice));
    }
  }
  return results;
}

}  // namespace aiaas::scheduler
