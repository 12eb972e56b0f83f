#include "cli/infer_output.h"

#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

TEST(FormatInferResponseTest, OneRowPerLastDimension) {
  const json response = json::parse(R"({
    "id": "42", "model_name": "mnist-mlp", "model_version": "1",
    "outputs": [{"name": "output_0", "shape": [2, 3], "datatype": "FP32",
                 "data": [0.25, -1.5, 3.0, 1e-7, 0, 2.123456789]}]})");
  EXPECT_EQ(FormatInferResponse(response),
            "mnist-mlp version 1\n"
            "output_0  FP32  [2, 3]\n"
            "  [0.25, -1.5, 3]\n"
            "  [1e-07, 0, 2.12346]\n");
}

TEST(FormatInferResponseTest, NestedDataAndSeveralOutputs) {
  const json response = json::parse(R"({
    "outputs": [{"name": "a", "shape": [2, 2], "datatype": "INT64", "data": [[1, 2], [3, 4]]},
                {"name": "b", "shape": [2], "datatype": "BOOL", "data": [true, false]},
                {"name": "c", "shape": [], "datatype": "FP64", "data": [0.5]}]})");
  EXPECT_EQ(FormatInferResponse(response),
            "a  INT64  [2, 2]\n  [1, 2]\n  [3, 4]\n"
            "b  BOOL  [2]\n  [true, false]\n"
            "c  FP64  []\n  [0.5]\n");
}

TEST(FormatInferResponseTest, TruncatesHugeOutputs) {
  json data = json::array();
  for (int i = 0; i < 1000; ++i) data.push_back(i);
  const json response = {
      {"outputs", {{{"name", "y"}, {"shape", {100, 10}}, {"datatype", "INT32"}, {"data", data}}}}};
  InferOutputOptions options;
  options.max_rows = 2;
  options.max_values_per_row = 4;
  EXPECT_EQ(FormatInferResponse(response, options),
            "y  INT32  [100, 10]\n"
            "  [0, 1, 2, 3, ... (6 more)]\n"
            "  [10, 11, 12, 13, ... (6 more)]\n"
            "  ... (98 more rows)\n");
}

TEST(FormatInferResponseTest, OddShapesAreNotFatal) {
  EXPECT_EQ(FormatInferResponse(json::parse(R"({"outputs": [{"name": "x", "data": []}]})")),
            "x  ?  []\n  []\n");
  EXPECT_EQ(FormatInferResponse(json::parse(R"({"outputs": [{"name": "x", "shape": [2, 3]}]})")),
            "x  ?  [2, 3]\n  (no data)\n");
  EXPECT_EQ(
      FormatInferResponse(json::parse(R"({"outputs": [{"shape": [3, 2], "data": [1, 2, 3]}]})")),
      "?  ?  [3, 2]\n  [1, 2, 3]\n");
  EXPECT_EQ(FormatInferResponse(json::parse(R"([1, 2])")), "(no outputs)\n");
}

}  // namespace
}  // namespace aiaas::cli
