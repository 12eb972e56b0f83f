#include "training/trainer/train_loop.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/optim/optimizer.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/status_macros.h"
#include "training/trainer/checkpoint.h"
#include "training/trainer/losses.h"
#include "training/trainer/lr_schedule.h"
#include "training/trainer/optimizers.h"

namespace aiaas::training {
namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// The order of epoch `epoch`: a function of (seed, epoch) only, from a local generator.
at::Tensor ShufflePermutation(uint64_t seed, int64_t epoch, int64_t n) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(
      SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(epoch))));
  return at::randperm(n, generator, at::TensorOptions().dtype(at::kLong));
}

std::string Shape(c10::IntArrayRef sizes) {
  return absl::StrCat("[", absl::StrJoin(sizes.vec(), ", "), "]");
}

std::string NotFinite(double value) { return std::isnan(value) ? "NaN" : "infinite"; }

// One split with the dtypes the losses expect.
struct Split {
  at::Tensor inputs;  // float32
  at::Tensor
      targets;  // int64 for integral targets, float32 otherwise; undefined for reconstruction
  int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
};

absl::StatusOr<Split> PrepareSplit(const at::Tensor& inputs, const at::Tensor& targets,
                                   const TrainableModel& model, Task task, absl::string_view name) {
  std::vector<int64_t> expected = model.InputShape();
  if (!inputs.defined() || inputs.dim() != static_cast<int64_t>(expected.size()) + 1 ||
      !inputs.sizes().slice(1).equals(expected)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " inputs ", inputs.defined() ? Shape(inputs.sizes()) : "none",
                     " do not fit the model input [N, ", absl::StrJoin(expected, ", "), "]"));
  }
  if (!at::isFloatingType(inputs.scalar_type())) {
    return absl::InvalidArgumentError(absl::StrCat(name, " inputs must be floating point"));
  }
  if (inputs.size(0) == 0)
    return absl::InvalidArgumentError(absl::StrCat(name, " split has no examples"));
  Split split;
  split.inputs = inputs.to(at::kFloat).contiguous();
  if (task == Task::kReconstruction) return split;  // the input is the target
  if (!targets.defined() || targets.dim() < 1 || targets.size(0) != inputs.size(0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " targets ", targets.defined() ? Shape(targets.sizes()) : "none",
                     " do not match ", inputs.size(0), " examples"));
  }
  split.targets = at::isIntegralType(targets.scalar_type(), /*includeBool=*/true)
                      ? targets.to(at::kLong)
                      : targets.to(at::kFloat);
  split.targets = split.targets.contiguous();
  return split;
}

at::Tensor Rows(const at::Tensor& t, const at::Tensor& index) {
  return t.defined() ? t.index_select(0, index) : at::Tensor();
}

struct Evaluation {
  double loss = 0.0;
  std::optional<double> accuracy;
};

// Loss (and accuracy for classification) over a split, in eval mode without gradients.
absl::StatusOr<Evaluation> Evaluate(TrainableModel& model, const Split& split,
                                    const TrainConfig& config) {
  at::NoGradGuard no_grad;
  model.eval();
  const int64_t n = split.size();
  const int64_t batch = config.spec.batch_size;
  double loss_sum = 0.0;
  CorrectCount correct;
  for (int64_t begin = 0; begin < n; begin += batch) {
    const int64_t end = std::min(n, begin + batch);
    at::Tensor x = split.inputs.slice(0, begin, end);
    at::Tensor y = split.targets.defined() ? split.targets.slice(0, begin, end) : at::Tensor();
    ModelOutput out = model.Forward(x);
    AIAAS_ASSIGN_OR_RETURN(at::Tensor loss,
                           ComputeLoss(config.spec.loss, out, x, y, /*check_values=*/false));
    loss_sum += loss.item<double>() * static_cast<double>(end - begin);
    if (config.task == Task::kClassification) {
      AIAAS_ASSIGN_OR_RETURN(CorrectCount c, CountCorrect(config.spec.loss, out.output, y));
      correct.correct += c.correct;
      correct.count += c.count;
    }
  }
  Evaluation result;
  result.loss = loss_sum / static_cast<double>(n);
  if (config.task == Task::kClassification && correct.count > 0) {
    result.accuracy = static_cast<double>(correct.correct) / static_cast<double>(correct.count);
  }
  return result;
}

// Runs one sample of each split through the model and the loss before any update, so a
// misfit (shapes, a loss that does not fit the task, elbo without a VAE) fails fast, and
// checks the target values of both splits once (class indices in range, ...): the steps
// and Evaluate then skip those per-batch checks, which cost a reduction and a wait each.
absl::Status Probe(TrainableModel& model, const Split& train, const std::optional<Split>& val,
                   const TrainConfig& config) {
  at::NoGradGuard no_grad;
  model.eval();
  at::Tensor x = train.inputs.slice(0, 0, 1);
  ModelOutput out = model.Forward(x);
  const bool is_vae = out.mu.defined() && out.logvar.defined();
  AIAAS_RETURN_IF_ERROR(CheckLossFitsTask(config.spec.loss.kind, config.task, is_vae));
  AIAAS_RETURN_IF_ERROR(
      ComputeLoss(config.spec.loss, out, x,
                  train.targets.defined() ? train.targets.slice(0, 0, 1) : at::Tensor())
          .status());
  AIAAS_RETURN_IF_ERROR(
      CheckLossTargetValues(config.spec.loss, out.output, train.inputs, train.targets));
  if (val.has_value()) {
    at::Tensor vx = val->inputs.slice(0, 0, 1);
    at::Tensor vy = val->targets.defined() ? val->targets.slice(0, 0, 1) : at::Tensor();
    ModelOutput vout = model.Forward(vx);
    AIAAS_RETURN_IF_ERROR(ComputeLoss(config.spec.loss, vout, vx, vy).status());
    AIAAS_RETURN_IF_ERROR(
        CheckLossTargetValues(config.spec.loss, vout.output, val->inputs, val->targets));
    if (config.task == Task::kClassification) {
      AIAAS_RETURN_IF_ERROR(CountCorrect(config.spec.loss, vout.output, vy).status());
    }
  }
  return absl::OkStatus();
}

absl::Status CheckConfig(const TrainConfig& config, bool has_validation) {
  if (config.intra_op_threads < 1)
    return absl::InvalidArgumentError("intra_op_threads must be >= 1");
  const OptimizationSpec& spec = config.spec;
  if (spec.epochs < 1 || spec.batch_size < 1) {
    return absl::InvalidArgumentError("epochs and batch_size must be >= 1");
  }
  if (spec.early_stopping.has_value()) {
    const EarlyStoppingMetric metric = spec.early_stopping->metric;
    if (metric != EarlyStoppingMetric::kTrainLoss && !has_validation) {
      return absl::InvalidArgumentError(absl::StrCat("early_stopping.metric ",
                                                     std::string(EarlyStoppingMetricName(metric)),
                                                     " needs a validation split"));
    }
    if (metric == EarlyStoppingMetric::kValAccuracy && config.task != Task::kClassification) {
      return absl::InvalidArgumentError(
          "early_stopping.metric val_accuracy needs a classification task");
    }
  }
  return absl::OkStatus();
}

// Applies the early-stopping rule to the metrics of one epoch.
void UpdateEarlyStopping(const EarlyStoppingSpec& rule, const EpochMetrics& metrics,
                         TrainableModel& model, TrainState& state) {
  double value = metrics.train_loss;
  bool maximize = false;
  if (rule.metric == EarlyStoppingMetric::kValLoss) value = metrics.val_loss.value_or(value);
  if (rule.metric == EarlyStoppingMetric::kValAccuracy) {
    value = metrics.val_accuracy.value_or(0.0);
    maximize = true;
  }
  EarlyStoppingState& es = state.early_stopping;
  const bool improved =
      std::isnan(es.best_metric) || (maximize ? value > es.best_metric + rule.min_delta
                                              : value < es.best_metric - rule.min_delta);
  if (improved) {
    es.best_metric = value;
    es.best_epoch = metrics.epoch;
    es.bad_epochs = 0;
    state.best_weights = SnapshotWeights(model);
  } else if (++es.bad_epochs >= rule.patience) {
    es.stopped = true;
  }
}

class Run {
 public:
  Run(TrainableModel& model, const TrainConfig& config, TrainCallbacks& callbacks)
      : model_(model),
        config_(config),
        callbacks_(callbacks),
        clock_(config.clock != nullptr ? config.clock : RealClock::Get()) {}

  TrainResult Execute(const TrainData& data, const TrainState* resume_from) {
    absl::Status status = Setup(data, resume_from);
    if (!status.ok()) return Fail(std::move(status));
    while (state_.epochs_completed < config_.spec.epochs && !state_.early_stopping.stopped) {
      absl::StatusOr<bool> go_on = RunEpoch(state_.epochs_completed + 1);
      if (!go_on.ok()) return Fail(go_on.status());
      if (!*go_on) return Finish(TrainOutcome::kCancelled);
    }
    return Finish(TrainOutcome::kSucceeded);
  }

  // For an exception torch threw out of Execute (a bug or an exhausted resource).
  TrainResult FailWithTorchError(const std::string& what) {
    return Fail(absl::InternalError(absl::StrCat("training failed: ", what)));
  }

 private:
  absl::Status Setup(const TrainData& data, const TrainState* resume_from) {
    AIAAS_ASSIGN_OR_RETURN(
        train_, PrepareSplit(data.train_inputs, data.train_targets, model_, config_.task, "train"));
    if (data.val_inputs.defined()) {
      AIAAS_ASSIGN_OR_RETURN(val_, PrepareSplit(data.val_inputs, data.val_targets, model_,
                                                config_.task, "validation"));
    }
    AIAAS_RETURN_IF_ERROR(CheckConfig(config_, val_.has_value()));
    AIAAS_RETURN_IF_ERROR(Probe(model_, train_, val_, config_));
    parameters_ = model_.parameters(/*recurse=*/true);
    AIAAS_ASSIGN_OR_RETURN(optimizer_, MakeOptimizer(config_.spec.optimizer, parameters_));
    steps_per_epoch_ = (train_.size() + config_.spec.batch_size - 1) / config_.spec.batch_size;
    total_steps_ = steps_per_epoch_ * config_.spec.epochs;
    if (resume_from == nullptr) return absl::OkStatus();

    const TrainState& from = *resume_from;
    if (from.global_step != from.epochs_completed * steps_per_epoch_ ||
        static_cast<int64_t>(from.history.size()) != from.epochs_completed) {
      return absl::InvalidArgumentError(
          absl::StrCat("the checkpoint does not fit this run: ", from.global_step, " steps after ",
                       from.epochs_completed, " epochs, but this data and batch size make ",
                       steps_per_epoch_, " steps per epoch"));
    }
    AIAAS_RETURN_IF_ERROR(LoadWeights(from.model_weights, model_));
    if (!from.optimizer_state.empty())
      AIAAS_RETURN_IF_ERROR(LoadOptimizerState(from.optimizer_state, *optimizer_));
    state_.epochs_completed = from.epochs_completed;
    state_.global_step = from.global_step;
    state_.early_stopping = from.early_stopping;
    state_.best_weights = from.best_weights;
    state_.history = from.history;
    return absl::OkStatus();
  }

  // Trains and validates one epoch. false = cancelled by on_step.
  absl::StatusOr<bool> RunEpoch(int64_t epoch) {
    const OptimizationSpec& spec = config_.spec;
    const absl::Time epoch_start = clock_->Now();
    const int64_t n = train_.size();
    at::Tensor order = ShufflePermutation(spec.seed, epoch, n);
    model_.train();
    double loss_sum = 0.0;
    double lr = 0.0;
    for (int64_t step = 1; step <= steps_per_epoch_; ++step) {
      const int64_t begin = (step - 1) * spec.batch_size;
      const int64_t end = std::min(n, begin + spec.batch_size);
      at::Tensor index = order.slice(0, begin, end);
      at::Tensor x = Rows(train_.inputs, index);
      at::Tensor y = Rows(train_.targets, index);

      lr = LearningRateAt(spec.lr_schedule, spec.optimizer.lr, state_.global_step, total_steps_);
      SetLearningRate(*optimizer_, lr);
      optimizer_->zero_grad();
      ModelOutput out = model_.Forward(x);
      AIAAS_ASSIGN_OR_RETURN(at::Tensor loss,
                             ComputeLoss(spec.loss, out, x, y, /*check_values=*/false));
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        return absl::FailedPreconditionError(absl::StrCat("loss became ", NotFinite(loss_value),
                                                          " at epoch ", epoch, " step ", step,
                                                          "; try a lower learning rate"));
      }
      loss.backward();
      ClipGradientNorm(parameters_, spec.gradient_clip_max_norm);
      OptimizerStep(*optimizer_);
      ++state_.global_step;
      loss_sum += loss_value * static_cast<double>(end - begin);
      samples_this_call_ += end - begin;
      ++steps_this_call_;
      if (callbacks_.on_step && !callbacks_.on_step(Progress(epoch, step, loss_value, lr)))
        return false;
    }

    EpochMetrics metrics;
    metrics.epoch = epoch;
    metrics.train_loss = loss_sum / static_cast<double>(n);
    metrics.lr = lr;
    metrics.train_seconds = absl::ToDoubleSeconds(clock_->Now() - epoch_start);
    if (metrics.train_seconds > 0)
      metrics.samples_per_s = static_cast<double>(n) / metrics.train_seconds;
    if (val_.has_value()) {
      AIAAS_ASSIGN_OR_RETURN(Evaluation eval, Evaluate(model_, *val_, config_));
      if (!std::isfinite(eval.loss)) {
        return absl::FailedPreconditionError(absl::StrCat("validation loss became ",
                                                          NotFinite(eval.loss), " after epoch ",
                                                          epoch, "; try a lower learning rate"));
      }
      metrics.val_loss = eval.loss;
      metrics.val_accuracy = eval.accuracy;
    }
    metrics.seconds = absl::ToDoubleSeconds(clock_->Now() - epoch_start);
    if (spec.early_stopping.has_value())
      UpdateEarlyStopping(*spec.early_stopping, metrics, model_, state_);
    state_.epochs_completed = epoch;
    state_.history.push_back(metrics);
    if (callbacks_.on_epoch_end) {
      state_.model_weights = SnapshotWeights(model_);
      AIAAS_ASSIGN_OR_RETURN(state_.optimizer_state, SaveOptimizerState(*optimizer_));
      AIAAS_RETURN_IF_ERROR(callbacks_.on_epoch_end(metrics, state_));
    }
    return true;
  }

  StepProgress Progress(int64_t epoch, int64_t step, double loss, double lr) {
    StepProgress p;
    p.epoch = epoch;
    p.epochs = config_.spec.epochs;
    p.step = step;
    p.steps_per_epoch = steps_per_epoch_;
    p.global_step = state_.global_step;
    p.loss = loss;
    p.lr = lr;
    const double elapsed_s = absl::ToDoubleSeconds(clock_->Now() - call_start_);
    if (elapsed_s > 0) p.samples_per_s = static_cast<double>(samples_this_call_) / elapsed_s;
    const int64_t remaining = total_steps_ - state_.global_step;
    p.eta_s = elapsed_s / static_cast<double>(steps_this_call_) * static_cast<double>(remaining);
    return p;
  }

  TrainResult Finish(TrainOutcome outcome) {
    TrainResult result;
    result.outcome = outcome;
    if (outcome == TrainOutcome::kSucceeded && config_.spec.early_stopping.has_value() &&
        !state_.best_weights.empty()) {
      absl::Status restored = LoadWeights(state_.best_weights, model_);
      if (!restored.ok()) return Fail(std::move(restored));
      result.best_epoch = state_.early_stopping.best_epoch;
    }
    result.stopped_early = state_.early_stopping.stopped;
    result.epochs_completed = state_.epochs_completed;
    result.global_step = state_.global_step;
    result.history = state_.history;
    return result;
  }

  TrainResult Fail(absl::Status error) {
    TrainResult result;
    result.outcome = TrainOutcome::kFailed;
    result.error = std::move(error);
    result.epochs_completed = state_.epochs_completed;
    result.global_step = state_.global_step;
    result.history = state_.history;
    return result;
  }

  TrainableModel& model_;
  const TrainConfig& config_;
  TrainCallbacks& callbacks_;
  Clock* const clock_;
  const absl::Time call_start_ = clock_->Now();

  Split train_;
  std::optional<Split> val_;
  std::vector<at::Tensor> parameters_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  int64_t steps_per_epoch_ = 0;
  int64_t total_steps_ = 0;
  TrainState state_;  // counters, history, early stopping; weights only when a callback wants them
  int64_t samples_this_call_ = 0;
  int64_t steps_this_call_ = 0;
};

}  // namespace

TrainResult Train(TrainableModel& model, const TrainData& data, const TrainConfig& config,
                  TrainCallbacks& callbacks, const TrainState* resume_from) {
  at::set_num_threads(std::max(config.intra_op_threads, 1));
  Run run(model, config, callbacks);
  try {
    return run.Execute(data, resume_from);
  } catch (const c10::Error& e) {
    return run.FailWithTorchError(e.what_without_backtrace());
  } catch (const std::exception& e) {
    return run.FailWithTorchError(e.what());
  }
}

}  // namespace aiaas::training
