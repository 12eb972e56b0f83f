#include "training/model/model_builder.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>
#include <exception>
#include <new>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "training/model/architectures.h"

namespace aiaas::training {
namespace {

struct Fans {
  double in = 1;
  double out = 1;
};

Fans FansOf(const at::Tensor& weight) {
  double receptive = 1;
  for (int64_t axis = 2; axis < weight.dim(); ++axis) receptive *= weight.size(axis);
  return {static_cast<double>(weight.size(1)) * receptive,
          static_cast<double>(weight.size(0)) * receptive};
}

void FillWeight(at::Tensor& weight, InitScheme scheme, DefaultFill fill, at::Generator& gen) {
  if (scheme == InitScheme::kDefault) {
    switch (fill) {
      case DefaultFill::kXavier:
        scheme = InitScheme::kXavier;
        break;
      case DefaultFill::kKaiming:
        scheme = InitScheme::kKaiming;
        break;
      case DefaultFill::kUnitNormal:
        weight.normal_(0.0, 1.0, gen);
        return;
      case DefaultFill::kSmallNormal:
        weight.normal_(0.0, 0.02, gen);
        return;
    }
  }
  const Fans fans = FansOf(weight);
  switch (scheme) {
    case InitScheme::kXavier:
      weight.uniform_(-std::sqrt(6.0 / (fans.in + fans.out)), std::sqrt(6.0 / (fans.in + fans.out)),
                      gen);
      break;
    case InitScheme::kKaiming:
      weight.normal_(0.0, std::sqrt(2.0 / fans.in), gen);
      break;
    case InitScheme::kNormal:
      weight.normal_(0.0, 0.05, gen);
      break;
    case InitScheme::kUniform:
      weight.uniform_(-0.05, 0.05, gen);
      break;
    case InitScheme::kZeros:
    case InitScheme::kDefault:
      weight.zero_();
      break;
  }
}

bool IsBias(const std::string& name) {
  const size_t dot = name.rfind('.');
  const std::string last = dot == std::string::npos ? name : name.substr(dot + 1);
  return last.find("bias") != std::string::npos;
}

// Re-fills every parameter from a generator seeded with plan.seed, part by part in
// forward order, parameters in registration order.
void InitializeWeights(ZooModel& model, const ModelPlan& plan) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(plan.seed);
  torch::NoGradGuard no_grad;
  for (const ModelPart& part : model.Parts()) {
    for (auto& item : part.module->named_parameters(/*recurse=*/true)) {
      at::Tensor& parameter = item.value();
      if (IsBias(item.key())) {
        parameter.zero_();
      } else if (parameter.dim() < 2) {
        parameter.fill_(1.0);  // LayerNorm / BatchNorm scale
      } else {
        FillWeight(parameter, plan.init, part.fill, gen);
      }
    }
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<TrainableModel>> BuildModelFromPlan(const ModelPlan& plan) {
  try {
    std::shared_ptr<ZooModel> model = InstantiateModel(plan);
    InitializeWeights(*model, plan);
    model->train();
    return std::shared_ptr<TrainableModel>(std::move(model));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat("model: not enough memory for ", plan.parameters, " parameters"));
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("model: building failed: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("model: building failed: ", e.what()));
  }
}

absl::StatusOr<std::shared_ptr<TrainableModel>> BuildModel(const ModelSpec& spec,
                                                           const BuildOptions& options) {
  AIAAS_ASSIGN_OR_RETURN(ModelPlan plan, PlanModel(spec, options));
  return BuildModelFromPlan(plan);
}

}  // namespace aiaas::training
