#include "services/train_job_runner.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "training/job/train_job_spec.h"
#include "training/job/train_pipeline.h"
#include "training/job/training_plan.h"

namespace aiaas::services {
namespace {

using nlohmann::json;

// Test-row indices are kept in the version's lineage up to this many rows (so anyone
// can re-check the reported figures on the same rows), beyond that only their count.
constexpr size_t kMaxLineageTestRows = 10000;

// What Run needs from the stored spec and the data, planned again as at submit time.
struct PreparedRun {
  training::TrainJobSpec spec;
  storage::DatasetVersionRecord dataset;
  training::DataTable table;
  training::TrainingPlan plan;
};

absl::StatusOr<PreparedRun> Prepare(DatasetService& datasets, const std::string& tenant,
                                    const json& spec_json) {
  PreparedRun run;
  AIAAS_ASSIGN_OR_RETURN(run.spec, training::ParseTrainJobSpec(spec_json));
  absl::StatusOr<storage::DatasetVersionRecord> dataset =
      datasets.Get(tenant, run.spec.dataset, run.spec.dataset_version);
  if (!dataset.ok()) {
    return absl::Status(dataset.status().code(),
                        absl::StrCat("dataset: ", dataset.status().message()));
  }
  run.dataset = *std::move(dataset);
  run.spec.dataset_version = run.dataset.version;
  AIAAS_ASSIGN_OR_RETURN(run.table, datasets.LoadTable(run.dataset));
  AIAAS_ASSIGN_OR_RETURN(run.plan, training::PlanTraining(run.spec, run.table));
  return run;
}

json EpochJson(const training::TrainEpochReport& e) {
  json epoch = {{"epoch", e.epoch},
                {"train_loss", e.train_loss},
                {"lr", e.lr},
                {"seconds", e.seconds},
                {"train_seconds", e.train_seconds},
                {"samples_per_s", e.samples_per_s}};
  if (e.val_loss.has_value()) epoch["val_loss"] = *e.val_loss;
  if (e.val_accuracy.has_value()) epoch["val_accuracy"] = *e.val_accuracy;
  return epoch;
}

std::string EpochLine(const training::TrainEpochReport& e, int64_t epochs) {
  std::string line = absl::StrFormat("epoch %d/%d: train_loss %.5f", e.epoch, epochs,
                                     e.train_loss);
  if (e.val_loss.has_value()) absl::StrAppendFormat(&line, ", val_loss %.5f", *e.val_loss);
  if (e.val_accuracy.has_value()) {
    absl::StrAppendFormat(&line, ", val_accuracy %.4f", *e.val_accuracy);
  }
  absl::StrAppendFormat(&line, " (%.2f s)", e.seconds);
  return line;
}

std::string MetricsLine(const json& metrics) {
  std::string line = "test split:";
  for (const char* key : {"accuracy", "precision_macro", "recall_macro", "f1_macro", "mse",
                          "mae", "r2", "reconstruction_mse", "baseline_mse"}) {
    if (metrics.contains(key)) {
      absl::StrAppendFormat(&line, " %s %.4f", key, metrics[key].get<double>());
    }
  }
  return line;
}

// A version an earlier attempt of `job` registered before the server died (the push
// happened, the job's end was not recorded): the job is done, nothing to train again.
std::optional<storage::VersionRecord> AlreadyRegistered(ModelRegistry& registry,
                                                        const storage::JobRecord& job) {
  if (job.attempts <= 1 || job.output_model.empty()) return std::nullopt;
  absl::StatusOr<std::vector<storage::VersionRecord>> versions =
      registry.ListVersions(job.tenant, job.output_model);
  if (!versions.ok()) return std::nullopt;
  for (const storage::VersionRecord& version : *versions) {
    const json lineage = json::parse(version.lineage_json, nullptr, /*allow_exceptions=*/false);
    if (lineage.is_object() && lineage.value("job", std::string()) == job.id) return version;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<CheckedJob> TrainJobRunner::Check(const std::string& tenant, const json& spec) {
  AIAAS_ASSIGN_OR_RETURN(PreparedRun run, Prepare(*datasets_, tenant, spec));
  CheckedJob checked;
  checked.spec = spec;
  checked.spec["type"] = "train";
  checked.spec["dataset_version"] = run.dataset.version;
  checked.output_model = run.spec.output_model;
  return checked;
}

JobRunResult TrainJobRunner::Run(JobContext& context) {
  const storage::JobRecord& job = context.job();
  if (std::optional<storage::VersionRecord> done = AlreadyRegistered(*registry_, job)) {
    context.Log(absl::StrCat("version ", done->version, " of ", done->model,
                             " was registered by an earlier attempt; nothing left to do"));
    JobRunResult result = JobRunResult::Of(JobRunResult::Kind::kSucceeded);
    result.metrics = json::parse(done->metrics_json, nullptr, /*allow_exceptions=*/false);
    if (!result.metrics.is_object()) result.metrics = json::object();
    result.output_version = done->version;
    return result;
  }
  const json spec_json = json::parse(job.spec_json, nullptr, /*allow_exceptions=*/false);
  absl::StatusOr<PreparedRun> prepared = Prepare(*datasets_, job.tenant, spec_json);
  if (!prepared.ok()) return JobRunResult::Failed(std::string(prepared.status().message()));
  PreparedRun& run = *prepared;
  const training::TrainingPlan& plan = run.plan;
  const int64_t epochs = run.spec.optimization.epochs;
  context.Log(absl::StrCat("dataset ", run.dataset.name, " version ", run.dataset.version, ": ",
                           run.table.rows, " rows; split train ", plan.train_rows.size(),
                           ", validation ", plan.validation_rows.size(), ", test ",
                           plan.test_rows.size()));
  context.Log(absl::StrCat("model: ", plan.model.parameters, " parameters, input shape [",
                           absl::StrJoin(plan.build.input_shape, ", "), "], ",
                           run.spec.optimization.epochs, " epochs, batch ",
                           run.spec.optimization.batch_size, ", ", options_.intra_op_threads,
                           " thread(s)"));

  training::TrainingRunOptions options;
  options.intra_op_threads = options_.intra_op_threads;
  options.lineage = {{"dataset", run.dataset.name},
                     {"dataset_version", run.dataset.version},
                     {"job", job.id}};
  absl::StatusOr<std::optional<std::string>> checkpoint = context.LoadCheckpoint();
  if (!checkpoint.ok()) {
    return JobRunResult::Failed(
        absl::StrCat("cannot read the checkpoint: ", checkpoint.status().message()));
  }
  if (checkpoint->has_value()) {
    options.resume_checkpoint = **std::move(checkpoint);
    context.Log(absl::StrCat("resuming from the checkpoint after epoch ",
                             context.History().size()));
  }

  json last_epoch = json::object();  // val metrics shown with every step's progress
  json last_step = json::object();   // the epoch's end shows its last step too
  training::TrainingCallbacks callbacks;
  callbacks.on_step = [&](const training::TrainStepReport& s) {
    json progress = {{"epoch", s.epoch},
                     {"epochs", s.epochs},
                     {"step", s.step},
                     {"steps_per_epoch", s.steps_per_epoch},
                     {"loss", s.loss},
                     {"lr", s.lr},
                     {"samples_per_s", s.samples_per_s},
                     {"eta_s", s.eta_s}};
    for (const char* key : {"val_loss", "val_accuracy"}) {
      if (last_epoch.contains(key)) progress[key] = last_epoch[key];
    }
    context.ReportProgress(progress);
    last_step = std::move(progress);
    return !context.ShouldStop();
  };
  callbacks.on_epoch_end = [&](const training::TrainEpochReport& e,
                               const std::string& bytes) -> absl::Status {
    last_epoch = EpochJson(e);
    json progress = last_step;
    for (const auto& [key, value] : last_epoch.items()) {
      // The epoch's timings stay in the history; progress keeps the run's throughput.
      if (key != "seconds" && key != "train_seconds" && key != "samples_per_s") {
        progress[key] = value;
      }
    }
    progress["epochs"] = epochs;
    context.Log(EpochLine(e, epochs));
    return context.ReportEpoch(progress, last_epoch, bytes);
  };
  training::TrainingRunResult result = training::RunTraining(plan, run.table, options, callbacks);

  switch (result.outcome) {
    case training::TrainingRunResult::Outcome::kStopped:
      return JobRunResult::Of(context.CancelRequested() ? JobRunResult::Kind::kCancelled
                                                        : JobRunResult::Kind::kInterrupted);
    case training::TrainingRunResult::Outcome::kFailed:
      return JobRunResult::Failed(std::string(result.error.message()));
    case training::TrainingRunResult::Outcome::kSucceeded:
      break;
  }
  context.Log(MetricsLine(result.metrics));

  json lineage = options.lineage;
  if (plan.test_rows.size() <= kMaxLineageTestRows) lineage["test_row_indices"] = plan.test_rows;
  const int64_t size = static_cast<int64_t>(result.bundle.size());
  absl::StatusOr<StoredBytesBudget> budget =
      registry_->CheckPushQuota(job.tenant, run.spec.output_model, size);
  absl::StatusOr<std::unique_ptr<ArtifactUpload>> upload =
      budget.ok() ? registry_->StartUpload(size) : budget.status();
  absl::Status written = upload.ok() ? (*upload)->Write(result.bundle) : upload.status();
  if (!written.ok()) {
    return JobRunResult::Failed(absl::StrCat("cannot store the model: ", written.message()));
  }
  PushRequest push;
  push.tenant = job.tenant;
  push.model = run.spec.output_model;
  push.format = "native";
  push.description = run.spec.description.empty()
                         ? absl::StrCat("trained by job ", job.id, " on ", run.dataset.name,
                                        " version ", run.dataset.version)
                         : run.spec.description;
  push.metrics_json = result.metrics.dump();
  push.lineage_json = lineage.dump();
  absl::StatusOr<storage::VersionRecord> version =
      registry_->PushVersion(push, *std::move(upload));
  if (!version.ok()) {
    return JobRunResult::Failed(
        absl::StrCat("cannot register the model: ", version.status().message()));
  }
  context.Log(absl::StrCat("registered ", version->model, " version ", version->version,
                           " (format native)"));
  JobRunResult done = JobRunResult::Of(JobRunResult::Kind::kSucceeded);
  done.metrics = std::move(result.metrics);
  done.output_version = version->version;
  return done;
}

}  // namespace aiaas::services
