#include "scheduler/batching.h"

#include <cstdint>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/test_tensors.h"

namespace aiaas::scheduler {
namespace {

using ::aiaas::scheduler::testing::FixedSizeTypes;
using ::aiaas::scheduler::testing::MakeTensor;
using ::testing::HasSubstr;

std::string TypeName(DataType type) { return std::string(DataTypeName(type)); }

// A request of `rows` rows with two inputs of the given type.
TensorMap Request(DataType dtype, int64_t rows, int seed) {
  TensorMap inputs;
  inputs["a"] = MakeTensor(dtype, {rows, 3}, seed);
  inputs["b"] = MakeTensor(dtype, {rows, 2, 2}, seed + 100);
  return inputs;
}

TEST(BatchRowsTest, IsTheCommonFirstDimension) {
  auto rows = BatchRows(Request(DataType::kFp32, 5, 0));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, 5);
  rows = BatchRows(Request(DataType::kFp32, 0, 0));
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, 0);
}

TEST(BatchRowsTest, RejectsNoInputsScalarsAndDisagreement) {
  EXPECT_EQ(BatchRows({}).status().code(), absl::StatusCode::kInvalidArgument);

  TensorMap scalar = {{"x", MakeTensor(DataType::kFp32, {}, 0)}};
  auto rows = BatchRows(scalar);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(), HasSubstr("input 'x' is a scalar"));

  TensorMap disagree = {{"a", MakeTensor(DataType::kFp32, {2, 3}, 0)},
                        {"b", MakeTensor(DataType::kFp32, {3, 3}, 0)}};
  rows = BatchRows(disagree);
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(), HasSubstr("'a' has 2 and input 'b' has 3"));
}

TEST(CompatibleTest, OnlyTheFirstDimensionMayDiffer) {
  for (DataType type : FixedSizeTypes()) {
    SCOPED_TRACE(TypeName(type));
    EXPECT_TRUE(Compatible(Request(type, 1, 0), Request(type, 7, 1)));
    EXPECT_TRUE(Compatible(Request(type, 0, 0), Request(type, 2, 1)));
  }
}

TEST(CompatibleTest, RejectsEveryOtherDifference) {
  const TensorMap base = {{"x", MakeTensor(DataType::kFp32, {2, 3}, 0)}};
  struct Case {
    std::string name;
    TensorMap other;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"other name", {{"y", MakeTensor(DataType::kFp32, {2, 3}, 0)}}, "different inputs"},
      {"extra input",
       {{"x", MakeTensor(DataType::kFp32, {2, 3}, 0)}, {"y", MakeTensor(DataType::kFp32, {2}, 0)}},
       "different inputs"},
      {"dtype", {{"x", MakeTensor(DataType::kFp64, {2, 3}, 0)}}, "datatype FP32 in one"},
      {"inner dim", {{"x", MakeTensor(DataType::kFp32, {2, 4}, 0)}}, "shape [2, 3] in one"},
      {"rank", {{"x", MakeTensor(DataType::kFp32, {2, 3, 1}, 0)}}, "only the first dimension"},
      {"scalar", {{"x", MakeTensor(DataType::kFp32, {}, 0)}}, "scalar"},
      {"bytes", {{"x", Tensor{DataType::kBytes, {2, 3}, {}}}}, "BYTES"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_FALSE(Compatible(base, c.other));
    EXPECT_FALSE(Compatible(c.other, base));
    absl::Status status = CheckCompatible(base, c.other);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
  // Scalars and BYTES are not even compatible with themselves.
  TensorMap scalar = {{"x", MakeTensor(DataType::kFp32, {}, 0)}};
  EXPECT_FALSE(Compatible(scalar, scalar));
}

TEST(ConcatenateTest, AppendsBytesAndSplitRestoresEveryPartForEveryType) {
  const std::vector<int64_t> rows = {1, 3, 0, 2};
  for (DataType type : FixedSizeTypes()) {
    SCOPED_TRACE(TypeName(type));
    std::vector<TensorMap> requests;
    for (size_t i = 0; i < rows.size(); ++i) {
      requests.push_back(Request(type, rows[i], static_cast<int>(i)));
    }
    std::vector<const TensorMap*> parts;
    for (const TensorMap& request : requests) parts.push_back(&request);

    auto batch = Concatenate(parts);
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_EQ(batch->size(), 2u);
    for (const auto& [name, tensor] : *batch) {
      SCOPED_TRACE(name);
      EXPECT_EQ(tensor.dtype, type);
      EXPECT_EQ(tensor.shape[0], 6);
      std::vector<std::byte> expected;
      for (const TensorMap& request : requests) {
        const auto& data = request.at(name).data;
        expected.insert(expected.end(), data.begin(), data.end());
      }
      EXPECT_EQ(tensor.data, expected);
      EXPECT_EQ(static_cast<int64_t>(tensor.data.size()),
                tensor.NumElements() * static_cast<int64_t>(DataTypeSize(type)));
    }

    // Outputs in a model order that is not the map's order.
    runtime::NamedTensors outputs = {{"b", batch->at("b")}, {"a", batch->at("a")}};
    auto split = Split(outputs, rows);
    ASSERT_TRUE(split.ok()) << split.status();
    ASSERT_EQ(split->size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const runtime::NamedTensors& part = (*split)[i];
      ASSERT_EQ(part.size(), 2u);
      EXPECT_EQ(part[0].first, "b");
      EXPECT_EQ(part[1].first, "a");
      for (const auto& [name, tensor] : part) {
        const Tensor& original = requests[i].at(name);
        EXPECT_EQ(tensor.dtype, original.dtype);
        EXPECT_EQ(tensor.shape, original.shape);
        EXPECT_EQ(tensor.data, original.data) << "request " << i << " output " << name;
      }
    }
  }
}

TEST(ConcatenateTest, OnePartIsCopied) {
  const TensorMap request = Request(DataType::kInt16, 4, 9);
  auto batch = Concatenate({&request});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->at("a").data, request.at("a").data);
  EXPECT_EQ(batch->at("b").shape, request.at("b").shape);
}

TEST(ConcatenateTest, RejectsNothingNullIncompatibleAndShortData) {
  EXPECT_EQ(Concatenate({}).status().code(), absl::StatusCode::kInvalidArgument);
  const TensorMap a = Request(DataType::kFp32, 2, 0);
  EXPECT_EQ(Concatenate({&a, nullptr}).status().code(), absl::StatusCode::kInvalidArgument);

  const TensorMap other_shape = {{"a", MakeTensor(DataType::kFp32, {2, 4}, 0)},
                                 {"b", MakeTensor(DataType::kFp32, {2, 2, 2}, 0)}};
  auto batch = Concatenate({&a, &other_shape});
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(batch.status().message(), HasSubstr("input 'a' has shape [2, 3] in one request"));

  TensorMap short_data = Request(DataType::kFp32, 2, 1);
  short_data["a"].data.pop_back();
  batch = Concatenate({&a, &short_data});
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(batch.status().message(), HasSubstr("holds 23 bytes; expected 24"));
}

TEST(SplitTest, OutputWithoutTheBatchDimensionIsRejected) {
  runtime::NamedTensors outputs = {{"logits", MakeTensor(DataType::kFp32, {5, 10}, 0)},
                                   {"mean", MakeTensor(DataType::kFp32, {10}, 0)}};
  auto split = Split(outputs, {2, 3});
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(split.status().message(),
            "model output 'mean' has shape [10]; its first dimension must be the batch size 5");

  outputs = {{"total", MakeTensor(DataType::kFp32, {}, 0)}};
  split = Split(outputs, {1});
  EXPECT_EQ(split.status().message(),
            "model output 'total' has shape []; its first dimension must be the batch size 1");
}

TEST(SplitTest, RejectsBadCountsBytesAndShortData) {
  runtime::NamedTensors outputs = {{"y", MakeTensor(DataType::kUint8, {3, 2}, 0)}};
  EXPECT_EQ(Split(outputs, {4, -1}).status().code(), absl::StatusCode::kInvalidArgument);

  runtime::NamedTensors bytes = {{"y", Tensor{DataType::kBytes, {3}, {}}}};
  auto split = Split(bytes, {1, 2});
  EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(split.status().message(), HasSubstr("BYTES"));

  outputs[0].second.data.pop_back();
  split = Split(outputs, {1, 2});
  EXPECT_EQ(split.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(split.status().message(), HasSubstr("holds 5 bytes; expected 6"));
}

TEST(SplitTest, ZeroRowsAndNoOutputs) {
  runtime::NamedTensors outputs = {{"y", MakeTensor(DataType::kFp64, {0, 4}, 0)}};
  auto split = Split(outputs, {0, 0});
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_EQ(split->size(), 2u);
  EXPECT_EQ((*split)[1][0].second.shape, (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE((*split)[1][0].second.data.empty());

  split = Split({}, {1, 2});
  ASSERT_TRUE(split.ok()) << split.status();
  ASSERT_EQ(split->size(), 2u);
  EXPECT_TRUE((*split)[0].empty());
}

TEST(CheckOutputRowsTest, AcceptsMatchingFirstDimensions) {
  runtime::NamedTensors outputs = {{"a", MakeTensor(DataType::kInt8, {4}, 0)},
                                   {"b", MakeTensor(DataType::kBf16, {4, 2}, 0)}};
  EXPECT_TRUE(CheckOutputRows(outputs, 4).ok());
  EXPECT_EQ(CheckOutputRows(outputs, 3).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace aiaas::scheduler
