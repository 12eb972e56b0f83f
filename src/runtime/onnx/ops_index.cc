// Indexing: Gather, GatherElements, GatherND, Scatter, ScatterElements, ScatterND,
// OneHot, NonZero, Compress, Unique. Negative indices count from the end of their axis; an
// index outside [-dim, dim) is InvalidArgument.

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/tensor.h"
#include "runtime/onnx/op_registry.h"
#include "runtime/onnx/op_util.h"

namespace aiaas::runtime::onnxrt {
namespace {

using Outputs = absl::StatusOr<std::vector<at::Tensor>>;

// Indices as int64 with negative ones wrapped by `dim` (a scalar or a tensor that
// broadcasts); InvalidArgument when any is out of range.
absl::StatusOr<at::Tensor> WrapIndices(const at::Tensor& indices, const at::Tensor& dim,
                                       const char* op) {
  if (!at::isIntegralType(indices.scalar_type(), /*includeBool=*/false)) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": indices must be integers"));
  }
  at::Tensor wrapped = indices.to(at::kLong);
  wrapped = at::where(wrapped < 0, wrapped + dim, wrapped);
  if (wrapped.numel() > 0 && (wrapped < 0).logical_or(wrapped >= dim).any().item<bool>()) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": an index is out of range"));
  }
  return wrapped;
}

absl::StatusOr<at::Tensor> WrapIndices(const at::Tensor& indices, int64_t dim, const char* op) {
  return WrapIndices(indices, at::scalar_tensor(dim, at::kLong), op);
}

// out = data.shape[:axis] + indices.shape + data.shape[axis+1:].
Outputs Gather(const KernelContext& context) {
  const at::Tensor& data = context.input(0);
  AIAAS_ASSIGN_OR_RETURN(int64_t axis,
                         NormalizeAxis(context.attributes().GetInt("axis", 0), data.dim()));
  const at::Tensor& index = context.input(1);
  if (index.dim() == 0 && at::isIntegralType(index.scalar_type(), /*includeBool=*/false)) {
    // One index (shape arithmetic in exported graphs: Shape -> Gather): a view, checked
    // on the host, instead of the eight tensor operations of the general path.
    int64_t i = index.scalar_type() == at::kLong ? *index.data_ptr<int64_t>()
                                                 : index.item<int64_t>();
    if (i < 0) i += data.size(axis);
    if (i < 0 || i >= data.size(axis)) {
      return absl::InvalidArgumentError("Gather: an index is out of range");
    }
    return Single(data.select(axis, i));
  }
  AIAAS_ASSIGN_OR_RETURN(at::Tensor indices,
                         WrapIndices(index, data.size(axis), "Gather"));
  std::vector<int64_t> shape(data.sizes().begin(), data.sizes().begin() + axis);
  for (int64_t dim : indices.sizes()) shape.push_back(dim);
  for (int64_t i = axis + 1; i < data.dim(); ++i) shape.push_back(data.size(i));
  return Single(data.index_select(axis, indices.flatten()).reshape(shape));
}

absl::StatusOr<at::Tensor> ElementIndices(const KernelContext& context, const char* op,
                                          int64_t* axis) {
  const at::Tensor& data = context.input(0);
  const at::Tensor& indices = context.input(1);
  AIAAS_ASSIGN_OR_RETURN(*axis, NormalizeAxis(context.attributes().GetInt("axis", 0), data.dim()));
  if (indices.dim() != data.dim()) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": indices must have the data's rank"));
  }
  return WrapIndices(indices, data.size(*axis), op);
}

Outputs GatherElements(const KernelContext& context) {
  int64_t axis = 0;
  AIAAS_ASSIGN_OR_RETURN(at::Tensor indices, ElementIndices(context, "GatherElements", &axis));
  return Single(at::gather(context.input(0), axis, indices));
}

// Scatter (9-10) and ScatterElements (11+); `reduction` (none, add, mul) from 16.
Outputs ScatterElements(const KernelContext& context) {
  int64_t axis = 0;
  AIAAS_ASSIGN_OR_RETURN(at::Tensor indices, ElementIndices(context, "ScatterElements", &axis));
  const at::Tensor& data = context.input(0);
  const at::Tensor updates = context.input(2).to(data.scalar_type());
  if (!updates.sizes().equals(indices.sizes())) {
    return absl::InvalidArgumentError("ScatterElements: updates and indices differ in shape");
  }
  const std::string reduction = context.attributes().GetString("reduction", "none");
  if (reduction == "none") return Single(data.scatter(axis, indices, updates));
  if (reduction == "add") return Single(data.scatter_reduce(axis, indices, updates, "sum"));
  if (reduction == "mul") return Single(data.scatter_reduce(axis, indices, updates, "prod"));
  return absl::InvalidArgumentError(
      absl::StrCat("ScatterElements: unknown reduction '", reduction, "'"));
}

// For indices [..., k] into `data` (after `batch_dims` leading dims shared by both),
// the row numbers into data reshaped to [B * prod(data.shape[b:b+k]), rest...].
struct NdIndex {
  at::Tensor rows;                 // int64, [B * N]
  std::vector<int64_t> slice_shape;  // data.shape[b+k:]
  std::vector<int64_t> index_shape;  // indices.shape[:-1]
};

absl::StatusOr<NdIndex> ResolveNdIndex(const at::Tensor& data, const at::Tensor& raw_indices,
                                       int64_t batch_dims, const char* op) {
  if (raw_indices.dim() < 1 || batch_dims < 0 || batch_dims >= raw_indices.dim() ||
      batch_dims > data.dim()) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": bad indices rank or batch_dims"));
  }
  if (!at::isIntegralType(raw_indices.scalar_type(), /*includeBool=*/false)) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": indices must be integers"));
  }
  const int64_t k = raw_indices.size(-1);
  if (batch_dims + k > data.dim()) {
    return absl::InvalidArgumentError(absl::StrCat(op, ": index tuples longer than the rank"));
  }
  int64_t batch = 1;
  for (int64_t i = 0; i < batch_dims; ++i) {
    if (data.size(i) != raw_indices.size(i)) {
      return absl::InvalidArgumentError(absl::StrCat(op, ": batch dims differ"));
    }
    batch *= data.size(i);
  }
  std::vector<int64_t> dims(data.sizes().begin() + batch_dims,
                            data.sizes().begin() + batch_dims + k);
  int64_t block = 1;
  for (int64_t dim : dims) block *= dim;
  at::Tensor indices = raw_indices.to(at::kLong).reshape({batch, -1, k});
  at::Tensor limits = at::tensor(dims, at::kLong);
  AIAAS_ASSIGN_OR_RETURN(indices, WrapIndices(indices, limits, op));
  std::vector<int64_t> strides(k, 1);
  for (int64_t i = k - 2; i >= 0; --i) strides[i] = strides[i + 1] * dims[i + 1];
  at::Tensor rows = (indices * at::tensor(strides, at::kLong)).sum(-1);
  rows = rows + at::arange(batch, at::kLong).mul(block).unsqueeze(1);
  NdIndex result;
  result.rows = rows.flatten();
  result.slice_shape.assign(data.sizes().begin() + batch_dims + k, data.sizes().end());
  result.index_shape.assign(raw_indices.sizes().begin(), raw_indices.sizes().end() - 1);
  return result;
}

Outputs GatherND(const KernelContext& context) {
  const at::Tensor& data = context.input(0);
  const int64_t batch_dims = context.attributes().GetInt("batch_dims", 0);
  AIAAS_ASSIGN_OR_RETURN(NdIndex index,
                         ResolveNdIndex(data, context.input(1), batch_dims, "GatherND"));
  std::vector<int64_t> table_shape = {-1};
  table_shape.insert(table_shape.end(), index.slice_shape.begin(), index.slice_shape.end());
  std::vector<int64_t> shape = index.index_shape;
  shape.insert(shape.end(), index.slice_shape.begin(), index.slice_shape.end());
  return Single(data.reshape(table_shape).index_select(0, index.rows).reshape(shape));
}

Outputs ScatterND(const KernelContext& context) {
  const at::Tensor& data = context.input(0);
  AIAAS_ASSIGN_OR_RETURN(NdIndex index, ResolveNdIndex(data, context.input(1), 0, "ScatterND"));
  std::vector<int64_t> table_shape = {-1};
  table_shape.insert(table_shape.end(), index.slice_shape.begin(), index.slice_shape.end());
  std::vector<int64_t> update_shape = index.index_shape;
  update_shape.insert(update_shape.end(), index.slice_shape.begin(), index.slice_shape.end());
  const at::Tensor& updates = context.input(2);
  if (!updates.sizes().equals(update_shape)) {
    return absl::InvalidArgumentError(absl::StrCat("ScatterND: updates have shape ",
                                                   ShapeToString(updates.sizes().vec()),
                                                   ", expected ", ShapeToString(update_shape)));
  }
  at::Tensor table = data.reshape(table_shape).clone();  // our own copy to write into
  at::Tensor rows_updates = updates.to(data.scalar_type()).reshape(table_shape);
  const std::string reduction = context.attributes().GetString("reduction", "none");
  if (reduction == "none") {
    table.index_copy_(0, index.rows, rows_updates);
  } else if (reduction == "add") {
    table.index_add_(0, index.rows, rows_updates);
  } else if (reduction == "mul") {
    table.index_reduce_(0, index.rows, rows_updates, "prod");
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("ScatterND: unknown reduction '", reduction, "'"));
  }
  return Single(table.reshape(data.sizes()));
}

// indices.shape with `depth` inserted at `axis`; values = [off, on]. Out-of-range
// indices give all-off rows; negative ones count from depth.
Outputs OneHot(const KernelContext& context) {
  const at::Tensor& indices = context.input(0);
  const at::Tensor& depth_tensor = context.input(1);
  const at::Tensor& values = context.input(2);
  if (depth_tensor.numel() != 1 || values.numel() != 2) {
    return absl::InvalidArgumentError("OneHot: depth needs one element and values two");
  }
  const auto depth = static_cast<int64_t>(depth_tensor.to(at::kDouble).item<double>());
  if (depth < 1) return absl::InvalidArgumentError("OneHot: depth must be positive");
  AIAAS_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(context.attributes().GetInt("axis", -1),
                                                     indices.dim() + 1));
  at::Tensor positions = indices.to(at::kLong);
  positions = at::where(positions < 0, positions + depth, positions);
  at::Tensor hot = positions.unsqueeze(-1) == at::arange(depth, at::kLong);
  hot = hot.movedim(-1, axis);
  at::Tensor flat_values = values.flatten();
  return Single(at::where(hot, flat_values[1], flat_values[0]));
}

// [rank, count] int64 coordinates of the non-zero elements, in row-major order.
Outputs NonZero(const KernelContext& context) {
  const at::Tensor& input = context.input(0);
  if (input.dim() == 0) {
    return Single(at::zeros({0, input.item().toBool() ? 1 : 0}, at::kLong));
  }
  return Single(at::nonzero(input).t().contiguous());
}

// Keeps the slices (or, without axis, the flattened elements) whose condition is true;
// a condition shorter than the axis drops the rest.
Outputs Compress(const KernelContext& context) {
  at::Tensor input = context.input(0);
  int64_t axis = 0;
  if (const std::optional<int64_t> given = context.attributes().FindInt("axis")) {
    AIAAS_ASSIGN_OR_RETURN(axis, NormalizeAxis(*given, input.dim()));
  } else {
    input = input.flatten();
  }
  at::Tensor selected = at::nonzero(context.input(1).flatten().to(at::kBool)).flatten();
  if (selected.numel() > 0 && selected.max().item<int64_t>() >= input.size(axis)) {
    return absl::InvalidArgumentError("Compress: condition is longer than the axis");
  }
  return Single(input.index_select(axis, selected));
}


// Unique elements (or, with `axis`, slices) in ascending order (sorted=1) or in order
// of first occurrence (sorted=0), with the index of each one's first occurrence, each
// input position's index into the result, and the counts.
Outputs Unique(const KernelContext& context) {
  at::Tensor input = context.input(0);
  const bool sorted = context.attributes().GetInt("sorted", 1) != 0;
  at::Tensor values;
  at::Tensor inverse;
  at::Tensor counts;
  int64_t axis = 0;
  if (const std::optional<int64_t> given = context.attributes().FindInt("axis")) {
    AIAAS_ASSIGN_OR_RETURN(axis, NormalizeAxis(*given, input.dim()));
    std::tie(values, inverse, counts) = at::unique_dim(input, axis, true, true, true);
  } else {
    input = input.flatten();
    std::tie(values, inverse, counts) = at::_unique2(input, true, true, true);
  }
  inverse = inverse.flatten();
  const int64_t count = values.size(axis);
  const int64_t length = inverse.numel();
  at::Tensor first = at::full({count}, length, at::kLong)
                         .scatter_reduce(0, inverse, at::arange(length, at::kLong), "amin");
  if (!sorted) {
    at::Tensor order = first.argsort();
    at::Tensor rank = at::empty_like(order).scatter_(0, order, at::arange(count, at::kLong));
    values = values.index_select(axis, order);
    counts = counts.index_select(0, order);
    first = first.index_select(0, order);
    inverse = rank.index_select(0, inverse);
  }
  return std::vector<at::Tensor>{values, first, inverse, counts.to(at::kLong)};
}

}  // namespace

void RegisterIndexOps(OpRegistry& registry) {
  registry.Add("Gather", {1, kMaxOpset}, Gather);
  registry.Add("GatherElements", {11, kMaxOpset}, GatherElements);
  registry.Add("GatherND", {11, kMaxOpset}, GatherND);
  registry.Add("Scatter", {9, 10}, ScatterElements);
  registry.Add("ScatterElements", {11, kMaxOpset}, ScatterElements);
  registry.Add("ScatterND", {11, kMaxOpset}, ScatterND);
  registry.Add("OneHot", {9, kMaxOpset}, OneHot);
  registry.Add("NonZero", {9, kMaxOpset}, NonZero);
  registry.Add("Compress", {9, kMaxOpset}, Compress);
  registry.Add("Unique", {11, kMaxOpset}, Unique);
}

}  // namespace aiaas::runtime::onnxrt
