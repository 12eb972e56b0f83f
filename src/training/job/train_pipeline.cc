#include "training/job/train_pipeline.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "training/evaluation/metrics.h"
#include "training/job/native_bundle.h"
#include "training/model/model_builder.h"
#include "training/model/weights_io.h"
#include "training/trainer/checkpoint.h"
#include "training/trainer/train_loop.h"

namespace aiaas::training {
namespace {

using nlohmann::json;
using Outcome = TrainingRunResult::Outcome;

constexpr int64_t kEvalBatchRows = 1024;

const char* TaskWord(Task task) {
  switch (task) {
    case Task::kClassification:
      return "classification";
    case Task::kRegression:
      return "regression";
    case Task::kReconstruction:
      return "reconstruction";
  }
  return "?";
}

// Encoded rows as a float tensor [n, ...sample shape] that owns its memory.
at::Tensor InputTensor(const Matrix& x, const std::vector<int64_t>& sample_shape) {
  std::vector<int64_t> shape = {static_cast<int64_t>(x.rows)};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  at::Tensor flat = at::empty({static_cast<int64_t>(x.rows), static_cast<int64_t>(x.cols)},
                              at::kFloat);
  std::copy(x.values.begin(), x.values.end(), flat.data_ptr<float>());
  return flat.reshape(shape);
}

// One split of the table: its encoded inputs and, per task, its targets.
struct SplitTensors {
  at::Tensor inputs;
  at::Tensor targets;  // int64 [n] classes | float [n, 1] scaled targets | undefined
  std::vector<int64_t> classes;
  std::vector<float> values;  // regression targets in their own units
  size_t rows = 0;
};

absl::StatusOr<SplitTensors> EncodeSplit(const TrainingPlan& plan, const DataTable& table,
                                         const std::vector<size_t>& rows) {
  const FittedPreprocessor& prep = *plan.preprocessor;
  SplitTensors out;
  if (rows.empty()) return out;
  AIAAS_ASSIGN_OR_RETURN(Matrix x, prep.TransformTable(table, rows));
  out.rows = x.rows;
  out.inputs = InputTensor(x, prep.SampleShape());
  switch (plan.spec.task) {
    case Task::kClassification: {
      AIAAS_ASSIGN_OR_RETURN(out.classes, prep.ClassTargets(table, x.source_rows));
      out.targets = at::empty({static_cast<int64_t>(out.classes.size())}, at::kLong);
      std::copy(out.classes.begin(), out.classes.end(), out.targets.data_ptr<int64_t>());
      break;
    }
    case Task::kRegression: {
      AIAAS_ASSIGN_OR_RETURN(out.values, prep.RegressionTargets(table, x.source_rows));
      out.targets = at::empty({static_cast<int64_t>(out.values.size()), 1}, at::kFloat);
      float* y = out.targets.data_ptr<float>();
      for (size_t i = 0; i < out.values.size(); ++i) {
        y[i] = static_cast<float>((out.values[i] - plan.target_mean) / plan.target_std);
      }
      break;
    }
    case Task::kReconstruction:
      break;
  }
  return out;
}

// The model's outputs for `inputs`, in batches, in eval mode without gradients.
at::Tensor Predict(TrainableModel& model, const at::Tensor& inputs) {
  at::NoGradGuard no_grad;
  model.eval();
  std::vector<at::Tensor> parts;
  const int64_t n = inputs.size(0);
  for (int64_t begin = 0; begin < n; begin += kEvalBatchRows) {
    const int64_t end = std::min(n, begin + kEvalBatchRows);
    parts.push_back(model.Forward(inputs.slice(0, begin, end)).output);
  }
  return at::cat(parts, 0).contiguous();
}

absl::StatusOr<json> Evaluate(const TrainingPlan& plan, TrainableModel& model,
                              const SplitTensors& test) {
  const at::Tensor output = Predict(model, test.inputs);
  switch (plan.spec.task) {
    case Task::kClassification: {
      const at::Tensor predicted = output.argmax(1).contiguous();
      std::vector<int64_t> classes(predicted.data_ptr<int64_t>(),
                                   predicted.data_ptr<int64_t>() + predicted.numel());
      AIAAS_ASSIGN_OR_RETURN(
          ClassificationReport report,
          EvaluateClassification(test.classes, classes,
                                 static_cast<int64_t>(plan.preprocessor->labels()->NumClasses())));
      json metrics = ToJson(report);
      metrics["labels"] = plan.preprocessor->labels()->ClassNames();
      return metrics;
    }
    case Task::kRegression: {
      const at::Tensor flat = output.reshape({-1}).to(at::kDouble).contiguous();
      std::vector<float> predicted;
      predicted.reserve(flat.numel());
      for (int64_t i = 0; i < flat.numel(); ++i) {
        predicted.push_back(
            static_cast<float>(flat.data_ptr<double>()[i] * plan.target_std + plan.target_mean));
      }
      AIAAS_ASSIGN_OR_RETURN(RegressionReport report, EvaluateRegression(test.values, predicted));
      return ToJson(report);
    }
    case Task::kReconstruction: {
      const at::Tensor in = test.inputs.reshape({test.inputs.size(0), -1}).contiguous();
      const at::Tensor out = output.reshape({output.size(0), -1}).contiguous();
      const size_t width = static_cast<size_t>(in.size(1));
      std::vector<float> a(in.data_ptr<float>(), in.data_ptr<float>() + in.numel());
      std::vector<float> b(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
      AIAAS_ASSIGN_OR_RETURN(ReconstructionReport report,
                             EvaluateReconstruction(a, b, test.rows, width));
      return ToJson(report);
    }
  }
  return absl::InternalError("unknown task");
}

json BundleHeader(const TrainingPlan& plan, const json& metrics, const json& lineage) {
  json header = {
      {"format", kNativeBundleFormat},
      {"task", TaskWord(plan.spec.task)},
      {"model", plan.spec.model_json},
      {"build",
       {{"input_shape", plan.build.input_shape},
        {"num_outputs", plan.build.num_outputs},
        {"init", std::string(InitSchemeName(plan.build.init))},
        {"seed", plan.build.seed}}},
      {"preprocessor", plan.preprocessor->ToJson()},
      {"metrics", metrics},
      {"lineage", lineage},
  };
  if (plan.spec.task == Task::kClassification) {
    header["labels"] = plan.preprocessor->labels()->ClassNames();
  }
  if (plan.spec.task == Task::kRegression) {
    header["target_scale"] = {{"mean", plan.target_mean}, {"std", plan.target_std}};
  }
  return header;
}

TrainingRunResult Failed(absl::Status error) {
  TrainingRunResult result;
  result.outcome = Outcome::kFailed;
  result.error = std::move(error);
  return result;
}

// The run proper; may throw c10::Error from tensor code outside Train().
TrainingRunResult RunOrThrow(const TrainingPlan& plan, const DataTable& table,
                             const TrainingRunOptions& options, TrainingCallbacks& callbacks) {
  at::set_num_threads(std::max(options.intra_op_threads, 1));
  absl::StatusOr<SplitTensors> train = EncodeSplit(plan, table, plan.train_rows);
  if (!train.ok()) return Failed(train.status());
  absl::StatusOr<SplitTensors> validation = EncodeSplit(plan, table, plan.validation_rows);
  if (!validation.ok()) return Failed(validation.status());
  absl::StatusOr<SplitTensors> test = EncodeSplit(plan, table, plan.test_rows);
  if (!test.ok()) return Failed(test.status());
  if (test->rows == 0) return Failed(absl::InvalidArgumentError("the test split is empty"));

  absl::StatusOr<std::shared_ptr<TrainableModel>> built = BuildModelFromPlan(plan.model);
  if (!built.ok()) return Failed(built.status());
  TrainableModel& model = **built;

  std::optional<TrainState> resume;
  if (options.resume_checkpoint.has_value()) {
    absl::StatusOr<TrainState> state = DeserializeTrainState(*options.resume_checkpoint, model);
    if (!state.ok()) {
      return Failed(absl::Status(state.status().code(),
                                 absl::StrCat("cannot resume from the checkpoint: ",
                                              state.status().message())));
    }
    resume = *std::move(state);
  }

  TrainData data;
  data.train_inputs = train->inputs;
  data.train_targets = train->targets;
  if (validation->rows > 0) {
    data.val_inputs = validation->inputs;
    data.val_targets = validation->targets;
  }
  TrainConfig config;
  config.spec = plan.spec.optimization;
  config.task = plan.spec.task;
  config.intra_op_threads = std::max(options.intra_op_threads, 1);

  TrainCallbacks loop_callbacks;
  loop_callbacks.on_step = [&](const StepProgress& p) {
    if (!callbacks.on_step) return true;
    TrainStepReport report;
    report.epoch = p.epoch;
    report.epochs = p.epochs;
    report.step = p.step;
    report.steps_per_epoch = p.steps_per_epoch;
    report.loss = p.loss;
    report.lr = p.lr;
    report.samples_per_s = p.samples_per_s;
    report.eta_s = p.eta_s;
    return callbacks.on_step(report);
  };
  loop_callbacks.on_epoch_end = [&](const EpochMetrics& m,
                                    const TrainState& state) -> absl::Status {
    if (!callbacks.on_epoch_end) return absl::OkStatus();
    AIAAS_ASSIGN_OR_RETURN(std::string checkpoint, SerializeTrainState(state));
    TrainEpochReport report;
    report.epoch = m.epoch;
    report.train_loss = m.train_loss;
    report.val_loss = m.val_loss;
    report.val_accuracy = m.val_accuracy;
    report.lr = m.lr;
    report.seconds = m.seconds;
    report.train_seconds = m.train_seconds;
    report.samples_per_s = m.samples_per_s;
    return callbacks.on_epoch_end(report, checkpoint);
  };

  TrainResult trained = Train(model, data, config, loop_callbacks, resume ? &*resume : nullptr);
  if (trained.outcome == TrainOutcome::kCancelled) {
    TrainingRunResult result;
    result.outcome = Outcome::kStopped;
    return result;
  }
  if (trained.outcome == TrainOutcome::kFailed) return Failed(trained.error);

  absl::StatusOr<json> metrics = Evaluate(plan, model, *test);
  if (!metrics.ok()) return Failed(metrics.status());
  (*metrics)["test_rows"] = test->rows;
  (*metrics)["epochs_completed"] = trained.epochs_completed;
  if (plan.spec.optimization.early_stopping.has_value()) {
    (*metrics)["stopped_early"] = trained.stopped_early;
    (*metrics)["best_epoch"] = trained.best_epoch;
  }
  absl::StatusOr<std::string> weights = SaveWeights(model);
  if (!weights.ok()) return Failed(weights.status());

  TrainingRunResult result;
  result.outcome = Outcome::kSucceeded;
  result.metrics = *metrics;
  NativeBundle bundle;
  bundle.header = BundleHeader(plan, result.metrics, options.lineage);
  bundle.weights = *std::move(weights);
  result.bundle = EncodeNativeBundle(bundle);
  return result;
}

}  // namespace

TrainingRunResult RunTraining(const TrainingPlan& plan, const DataTable& table,
                              const TrainingRunOptions& options, TrainingCallbacks& callbacks) {
  try {
    return RunOrThrow(plan, table, options, callbacks);
  } catch (const c10::Error& e) {
    return Failed(absl::InternalError(absl::StrCat("LibTorch: ", e.what_without_backtrace())));
  } catch (const std::exception& e) {
    return Failed(absl::InternalError(e.what()));
  }
}

}  // namespace aiaas::training
