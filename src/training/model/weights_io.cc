#include "training/model/weights_io.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/utils.h>

#include <exception>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "training/model/layer_shapes.h"

namespace aiaas::training {
namespace {

constexpr char kFormat[] = "aiaas.weights.v1";

std::string TensorKey(size_t index) { return absl::StrCat("t", index); }

std::string Describe(const at::Tensor& tensor) {
  return absl::StrCat(ShapeToString(Shape(tensor.sizes().begin(), tensor.sizes().end())), " ",
                      std::string(c10::toString(tensor.scalar_type())));
}

std::string ErrorText(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  if (text.size() > 300) text = text.substr(0, 300) + "...";
  return text;
}

}  // namespace

std::vector<NamedParameter> NamedParameters(const TrainableModel& model) {
  std::vector<NamedParameter> named;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    named.emplace_back(item.key(), item.value());
  }
  return named;
}

std::vector<NamedParameter> NamedState(const TrainableModel& model) {
  std::vector<NamedParameter> named = NamedParameters(model);
  for (const auto& item : model.named_buffers(/*recurse=*/true)) {
    named.emplace_back(item.key(), item.value());
  }
  return named;
}

absl::StatusOr<std::string> SaveWeights(const TrainableModel& model) {
  try {
    const std::vector<NamedParameter> state = NamedState(model);
    torch::serialize::OutputArchive archive;
    std::vector<std::string> names;
    for (const auto& [name, tensor] : state) names.push_back(name);
    archive.write("format", c10::IValue(std::string(kFormat)));
    archive.write("names", c10::IValue(absl::StrJoin(names, "\n")));
    for (size_t i = 0; i < state.size(); ++i) {
      archive.write(TensorKey(i), c10::IValue(state[i].second.detach().contiguous()));
    }
    std::ostringstream stream;
    archive.save_to(stream);
    return stream.str();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("saving weights failed: ", ErrorText(e)));
  }
}

absl::Status LoadWeights(TrainableModel& model, absl::string_view bytes) {
  const std::vector<NamedParameter> state = NamedState(model);
  std::vector<at::Tensor> loaded;
  try {
    torch::serialize::InputArchive archive;
    std::istringstream stream{std::string(bytes)};
    archive.load_from(stream);
    c10::IValue format;
    c10::IValue names;
    if (!archive.try_read("format", format) || !format.isString() ||
        format.toStringRef() != kFormat || !archive.try_read("names", names) || !names.isString()) {
      return absl::InvalidArgumentError("weights: not an aiaas weights archive");
    }
    std::vector<std::string> stored;
    if (!names.toStringRef().empty()) stored = absl::StrSplit(names.toStringRef(), '\n');
    if (stored.size() != state.size()) {
      return absl::InvalidArgumentError(absl::StrCat("weights: the archive holds ", stored.size(),
                                                     " tensors, the model has ", state.size()));
    }
    for (size_t i = 0; i < state.size(); ++i) {
      const auto& [name, target] = state[i];
      if (stored[i] != name) {
        return absl::InvalidArgumentError(absl::StrCat("weights: tensor ", i, " is \"", stored[i],
                                                       "\" in the archive, \"", name,
                                                       "\" in the model"));
      }
      c10::IValue value;
      if (!archive.try_read(TensorKey(i), value) || !value.isTensor()) {
        return absl::InvalidArgumentError(absl::StrCat("weights: \"", name, "\" is missing"));
      }
      at::Tensor tensor = value.toTensor();
      if (tensor.sizes() != target.sizes() || tensor.scalar_type() != target.scalar_type()) {
        return absl::InvalidArgumentError(absl::StrCat("weights: \"", name, "\" is ",
                                                       Describe(tensor), " in the archive, ",
                                                       Describe(target), " in the model"));
      }
      loaded.push_back(std::move(tensor));
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("weights: not a readable weights archive: ", ErrorText(e)));
  }
  // Everything matched: now copy, which cannot fail for tensors of equal shape and dtype.
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < state.size(); ++i) {
    at::Tensor target = state[i].second;
    target.copy_(loaded[i]);
  }
  return absl::OkStatus();
}

}  // namespace aiaas::training
