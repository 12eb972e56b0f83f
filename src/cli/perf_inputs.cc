#include "cli/perf_inputs.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/json_util.h"
#include "cli/perf_tensor_data.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

// Generated inputs live in memory once per run; a quarter of a gigabyte of elements is
// already far past any sensible load-test request.
constexpr int64_t kMaxInputElements = int64_t{64} << 20;

std::string ShapeText(const std::vector<int64_t>& shape) { return ShapeToString(shape); }

// "1,784" for --shape hints.
std::string DimsHint(const std::optional<std::vector<int64_t>>& shape) {
  if (!shape.has_value() || shape->empty()) return "1,...";
  std::vector<std::string> dims;
  for (int64_t dim : *shape) dims.push_back(dim < 0 ? "1" : absl::StrCat(dim));
  return absl::StrJoin(dims, ",");
}

// nullopt for a missing shape (any rank); InvalidArgument for a malformed one.
absl::StatusOr<std::optional<std::vector<int64_t>>> ShapeField(const json& object,
                                                               absl::string_view what) {
  const json* shape = Field(object, "shape");
  if (shape == nullptr || shape->is_null()) return std::optional<std::vector<int64_t>>();
  std::vector<int64_t> dims;
  if (shape->is_array()) {
    for (const json& dim : *shape) {
      if (!dim.is_number_integer()) break;
      dims.push_back(dim.get<int64_t>());
    }
    if (dims.size() == shape->size()) return std::optional<std::vector<int64_t>>(dims);
  }
  return absl::InvalidArgumentError(absl::StrCat(what, " has a malformed shape ", shape->dump()));
}

absl::StatusOr<int64_t> CheckedElements(const std::vector<int64_t>& shape, absl::string_view name) {
  absl::StatusOr<int64_t> elements = ElementCount(shape, kMaxInputElements);
  if (!elements.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("input '", name, "' shape ", ShapeText(shape),
                                                   ": ", elements.status().message()));
  }
  return elements;
}

}  // namespace

absl::StatusOr<ShapeOverrides> ParseShapeOverrides(absl::string_view text) {
  ShapeOverrides shapes;
  for (absl::string_view entry : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const size_t colon = entry.rfind(':');
    const std::string name(colon == absl::string_view::npos ? "" : entry.substr(0, colon));
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--shape '", entry, "': expected NAME:DIM,DIM,... e.g. x:1,784"));
    }
    std::vector<int64_t> dims;
    for (absl::string_view dim_text : absl::StrSplit(entry.substr(colon + 1), ',')) {
      int64_t dim = 0;
      if (!absl::SimpleAtoi(dim_text, &dim) || dim <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--shape '", entry, "': '", dim_text, "' is not a positive dimension"));
      }
      dims.push_back(dim);
    }
    if (!shapes.emplace(name, std::move(dims)).second) {
      return absl::InvalidArgumentError(absl::StrCat("--shape gives '", name, "' twice"));
    }
  }
  if (shapes.empty()) return absl::InvalidArgumentError("empty --shape");
  return shapes;
}

absl::StatusOr<std::vector<PerfInputSpec>> ResolveInputSpecs(const json& metadata,
                                                             const InputResolveOptions& options) {
  const json* inputs = Field(metadata, "inputs");
  if (inputs == nullptr || !inputs->is_array() || inputs->empty()) {
    return absl::InvalidArgumentError(
        "the model's metadata lists no inputs; describe them with --input-data FILE.json");
  }
  std::vector<PerfInputSpec> specs;
  ShapeOverrides unused = options.shapes;
  for (const json& input : *inputs) {
    PerfInputSpec spec;
    spec.name = StringField(input, "name");
    if (spec.name.empty()) return absl::InvalidArgumentError("the metadata has an unnamed input");
    const std::string what = absl::StrCat("input '", spec.name, "'");
    if (const json* dtype = Field(input, "datatype"); dtype != nullptr && dtype->is_string()) {
      absl::StatusOr<DataType> parsed = ParseDataType(dtype->get<std::string>());
      if (!parsed.ok())
        return absl::InvalidArgumentError(absl::StrCat(what, ": ", parsed.status().message()));
      spec.dtype = *parsed;
    } else {
      spec.dtype_assumed = true;
    }
    absl::StatusOr<std::optional<std::vector<int64_t>>> declared = ShapeField(input, what);
    if (!declared.ok()) return declared.status();
    std::optional<std::vector<int64_t>> shape = *declared;
    if (auto it = unused.find(spec.name); it != unused.end()) {
      shape = it->second;
      unused.erase(it);
    }
    if (shape.has_value() && !shape->empty() && options.batch_size.has_value()) {
      if ((*shape)[0] > 0 && (*shape)[0] != *options.batch_size &&
          options.shapes.count(spec.name) == 0) {
        return absl::InvalidArgumentError(absl::StrCat(what, " has a fixed dim 0 of ", (*shape)[0],
                                                       "; --batch-size ", *options.batch_size,
                                                       " cannot change it"));
      }
      (*shape)[0] = *options.batch_size;
    }
    const bool dynamic = !shape.has_value() ||
                         std::any_of(shape->begin(), shape->end(), [](int64_t d) { return d < 0; });
    if (dynamic) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, " has ",
          declared->has_value() ? absl::StrCat("the dynamic shape ", ShapeText(**declared))
                                : std::string("no declared shape"),
          "; give a concrete one with --shape ", spec.name, ":", DimsHint(*declared)));
    }
    if (absl::StatusOr<int64_t> elements = CheckedElements(*shape, spec.name); !elements.ok()) {
      return elements.status();
    }
    spec.shape = *std::move(shape);
    specs.push_back(std::move(spec));
  }
  if (!unused.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--shape names '", unused.begin()->first,
                                                   "', which is not an input of the model"));
  }
  return specs;
}

absl::StatusOr<std::vector<PerfTensor>> RandomInputs(const std::vector<PerfInputSpec>& specs,
                                                     uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<PerfTensor> tensors;
  for (const PerfInputSpec& spec : specs) {
    absl::StatusOr<int64_t> elements = CheckedElements(spec.shape, spec.name);
    if (!elements.ok()) return elements.status();
    absl::StatusOr<std::string> data = RandomTensorData(spec.dtype, *elements, rng);
    if (!data.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", spec.name, "': ", data.status().message()));
    }
    tensors.push_back({spec.name, spec.dtype, spec.shape, *std::move(data)});
  }
  return tensors;
}

absl::StatusOr<std::vector<PerfTensor>> TensorsFromRequestJson(const json& request) {
  const json* inputs = Field(request, "inputs");
  if (inputs == nullptr || !inputs->is_array() || inputs->empty()) {
    return absl::InvalidArgumentError(
        "--input-data must be a KServe v2 request {\"inputs\": [{\"name\", \"shape\", "
        "\"datatype\", \"data\"}]}");
  }
  std::vector<PerfTensor> tensors;
  for (const json& input : *inputs) {
    PerfTensor tensor;
    tensor.name = StringField(input, "name");
    const std::string what = absl::StrCat("--input-data input '", tensor.name, "'");
    if (tensor.name.empty()) return absl::InvalidArgumentError("--input-data has an unnamed input");
    absl::StatusOr<DataType> dtype = ParseDataType(StringField(input, "datatype"));
    if (!dtype.ok())
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", dtype.status().message()));
    tensor.dtype = *dtype;
    absl::StatusOr<std::optional<std::vector<int64_t>>> shape = ShapeField(input, what);
    if (!shape.ok()) return shape.status();
    if (!shape->has_value()) return absl::InvalidArgumentError(absl::StrCat(what, " has no shape"));
    tensor.shape = **shape;
    absl::StatusOr<int64_t> elements = CheckedElements(tensor.shape, tensor.name);
    if (!elements.ok()) return elements.status();
    const json* data = Field(input, "data");
    if (data == nullptr) return absl::InvalidArgumentError(absl::StrCat(what, " has no data"));
    absl::StatusOr<std::string> bytes = TensorDataFromJson(tensor.dtype, *data, *elements);
    if (!bytes.ok())
      return absl::InvalidArgumentError(absl::StrCat(what, ": ", bytes.status().message()));
    tensor.data = *std::move(bytes);
    tensors.push_back(std::move(tensor));
  }
  return tensors;
}

std::vector<std::string> OutputNames(const json& metadata) {
  std::vector<std::string> names;
  const json* outputs = Field(metadata, "outputs");
  if (outputs == nullptr || !outputs->is_array()) return names;
  for (const json& output : *outputs) {
    std::string name = StringField(output, "name");
    if (!name.empty()) names.push_back(std::move(name));
  }
  return names;
}

std::string DescribeInputs(const std::vector<PerfTensor>& tensors) {
  std::vector<std::string> parts;
  parts.reserve(tensors.size());
  for (const PerfTensor& tensor : tensors) {
    parts.push_back(absl::StrCat(tensor.name, " ", std::string(DataTypeName(tensor.dtype)), " ",
                                 ShapeText(tensor.shape)));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace aiaas::cli
