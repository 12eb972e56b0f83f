#include "common/signature_check.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace aiaas {
namespace {

std::string InputNames(const Signature& signature) {
  std::vector<std::string> names;
  for (const auto& spec : signature.inputs) names.push_back(spec.name);
  return absl::StrJoin(names, ", ");
}

}  // namespace

absl::Status CheckInputAgainstSignature(const Signature& signature, const std::string& name,
                                        DataType dtype, const std::vector<int64_t>& shape) {
  if (signature.inputs.empty()) return absl::OkStatus();
  auto it = std::find_if(signature.inputs.begin(), signature.inputs.end(),
                         [&](const TensorSpec& spec) { return spec.name == name; });
  if (it == signature.inputs.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unexpected input '", name,
                                                   "'; the model's inputs are: ",
                                                   InputNames(signature)));
  }
  if (it->dtype.has_value() && *it->dtype != dtype) {
    return absl::InvalidArgumentError(absl::StrCat("input '", name, "' has datatype ",
                                                   std::string(DataTypeName(dtype)), ", expected ",
                                                   std::string(DataTypeName(*it->dtype))));
  }
  if (it->shape.has_value()) {
    const auto& expected = *it->shape;
    bool ok = expected.size() == shape.size();
    for (size_t i = 0; ok && i < shape.size(); ++i) {
      ok = expected[i] < 0 || expected[i] == shape[i];
    }
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat("input '", name, "' has shape ",
                                                     ShapeToString(shape), ", expected ",
                                                     ShapeToString(expected),
                                                     " (-1 means any size)"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAllInputsPresent(const Signature& signature,
                                   const std::vector<std::string>& given_names) {
  std::vector<std::string> missing;
  for (const auto& spec : signature.inputs) {
    if (std::find(given_names.begin(), given_names.end(), spec.name) == given_names.end()) {
      missing.push_back(spec.name);
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("missing input(s): ", absl::StrJoin(missing, ", ")));
}

}  // namespace aiaas
