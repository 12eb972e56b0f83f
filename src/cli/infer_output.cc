#include "cli/infer_output.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/json_util.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

void Flatten(const json& data, std::vector<const json*>* out) {
  if (!data.is_array()) {
    out->push_back(&data);
    return;
  }
  for (const json& item : data) Flatten(item, out);
}

std::string ValueText(const json& value) {
  if (value.is_number_float()) return absl::StrFormat("%.6g", value.get<double>());
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<int64_t> Shape(const json& output) {
  std::vector<int64_t> shape;
  const json* dims = Field(output, "shape");
  if (dims == nullptr || !dims->is_array()) return shape;
  for (const json& dim : *dims) shape.push_back(dim.is_number_integer() ? dim.get<int64_t>() : -1);
  return shape;
}

std::string FormatRow(const std::vector<const json*>& values, size_t begin, size_t end,
                      size_t max_values) {
  std::vector<std::string> shown;
  for (size_t i = begin; i < end && shown.size() < max_values; ++i) {
    shown.push_back(ValueText(*values[i]));
  }
  const size_t hidden = end - begin - shown.size();
  std::string row = absl::StrCat("[", absl::StrJoin(shown, ", "));
  if (hidden > 0) absl::StrAppend(&row, ", ... (", hidden, " more)");
  return row + "]";
}

std::string FormatOutput(const json& output, const InferOutputOptions& options) {
  const std::vector<int64_t> shape = Shape(output);
  std::string text =
      absl::StrCat(StringField(output, "name", "?"), "  ", StringField(output, "datatype", "?"),
                   "  [", absl::StrJoin(shape, ", "), "]\n");
  const json* data = Field(output, "data");
  if (data == nullptr) return text + "  (no data)\n";
  std::vector<const json*> values;
  Flatten(*data, &values);
  // One row per slice of the last dimension when the data fits the shape.
  size_t row_length = values.size();
  if (shape.size() >= 2 && shape.back() > 0 &&
      values.size() % static_cast<size_t>(shape.back()) == 0) {
    row_length = static_cast<size_t>(shape.back());
  }
  const size_t rows = row_length == 0 ? 1 : values.size() / row_length;
  for (size_t row = 0; row < rows && row < options.max_rows; ++row) {
    absl::StrAppend(
        &text, "  ",
        FormatRow(values, row * row_length, (row + 1) * row_length, options.max_values_per_row),
        "\n");
  }
  if (rows > options.max_rows)
    absl::StrAppend(&text, "  ... (", rows - options.max_rows, " more rows)\n");
  return text;
}

}  // namespace

std::string FormatInferResponse(const json& response, const InferOutputOptions& options) {
  std::string text;
  const std::string model = StringField(response, "model_name");
  if (!model.empty()) {
    absl::StrAppend(&text, model);
    const std::string version = StringField(response, "model_version");
    if (!version.empty()) absl::StrAppend(&text, " version ", version);
    absl::StrAppend(&text, "\n");
  }
  const json* outputs = Field(response, "outputs");
  if (outputs == nullptr || !outputs->is_array()) return text + "(no outputs)\n";
  for (const json& output : *outputs) absl::StrAppend(&text, FormatOutput(output, options));
  return text;
}

}  // namespace aiaas::cli
