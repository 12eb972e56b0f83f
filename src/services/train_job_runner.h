// The JobRunner of "type": "train" jobs: from a spec (training/job/train_job_spec.h)
// and a stored dataset to a new version of the spec's output_model in format
// "native", served at once.
#ifndef AIAAS_SERVICES_TRAIN_JOB_RUNNER_H_
#define AIAAS_SERVICES_TRAIN_JOB_RUNNER_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "services/dataset_service.h"
#include "services/job_runner.h"
#include "services/model_registry.h"

namespace aiaas::services {

struct TrainJobRunnerOptions {
  // --training-threads: LibTorch intra-op threads of each running job, set on the
  // worker thread that runs it (separate from the serving threads' setting).
  int intra_op_threads = 1;
};

// Check() parses the spec, resolves the dataset version (pinning "dataset_version" in
// the stored spec, so a resumed job trains on the same data), loads the table and plans
// the run (split, preprocessing fit, model shapes, loss against task): a spec that
// cannot work is rejected before it is queued. Run() plans again, trains with progress
// per step and a checkpoint per epoch (resuming from the last one), evaluates on the
// test split and pushes the native bundle with its metrics and lineage
// ({"dataset", "dataset_version", "job", "test_row_indices"}). A resumed job whose
// earlier attempt already pushed its version (crash between push and the job's end)
// succeeds with that version instead of training again.
//
// Thread-safety: Check and Run may run concurrently; the borrowed services must
// outlive the runner.
class TrainJobRunner final : public JobRunner {
 public:
  TrainJobRunner(DatasetService* datasets, ModelRegistry* registry,
                 const TrainJobRunnerOptions& options)
      : datasets_(datasets), registry_(registry), options_(options) {}

  // InvalidArgument for a spec that cannot work (naming the field, column, layer and
  // shapes, or loss and task), NotFound for an unknown dataset or version.
  [[nodiscard]] absl::StatusOr<CheckedJob> Check(const std::string& tenant,
                                                 const nlohmann::json& spec) override;

  JobRunResult Run(JobContext& context) override;

 private:
  DatasetService* const datasets_;
  ModelRegistry* const registry_;
  const TrainJobRunnerOptions options_;
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_TRAIN_JOB_RUNNER_H_
