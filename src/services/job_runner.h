// The seam between the job service (queue, workers, durable state, cancel,
// checkpoints, logs) and what a job of one type does (training, later
// quantization, distillation, ...).
#ifndef AIAAS_SERVICES_JOB_RUNNER_H_
#define AIAAS_SERVICES_JOB_RUNNER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "storage/job_store.h"

namespace aiaas::services {

// What a running job may do. Used by one worker thread at a time.
class JobContext {
 public:
  virtual ~JobContext() = default;

  virtual const storage::JobRecord& job() const = 0;

  // Cancel was requested (answer kCancelled), or the server is stopping
  // (answer kInterrupted: the job resumes from its checkpoint on the next
  // start). Cheap: poll it every step.
  virtual bool CancelRequested() const = 0;
  virtual bool Stopping() const = 0;
  bool ShouldStop() const { return CancelRequested() || Stopping(); }

  // Appends a timestamped line to the job's log (GET /api/v1/jobs/{id}/logs).
  virtual void Log(std::string_view line) = 0;

  // Live progress (epoch, step, samples/s, ETA ...): published to watchers at
  // once, stored at most about once a second.
  virtual void ReportProgress(const nlohmann::json& progress) = 0;

  // The end of an epoch: appends `epoch` to the job's history and stores
  // `checkpoint` (opaque bytes; empty = none) as the job's new checkpoint
  // blob, durably, before returning. The previous checkpoint is removed.
  [[nodiscard]] virtual absl::Status ReportEpoch(const nlohmann::json& progress,
                                                 const nlohmann::json& epoch,
                                                 std::string_view checkpoint) = 0;

  // The per-epoch entries reported so far (also those of earlier attempts).
  virtual nlohmann::json History() const = 0;

  // The last stored checkpoint, nullopt when there is none (a fresh start).
  [[nodiscard]] virtual absl::StatusOr<std::optional<std::string>> LoadCheckpoint() = 0;
};

// How a run ended.
struct JobRunResult {
  enum class Kind { kSucceeded, kFailed, kCancelled, kInterrupted };
  Kind kind = Kind::kFailed;
  nlohmann::json metrics = nlohmann::json::object();
  std::string error;
  std::optional<int64_t> output_version;

  static JobRunResult Failed(std::string error) {
    JobRunResult result;
    result.error = std::move(error);
    return result;
  }
  static JobRunResult Of(Kind kind) {
    JobRunResult result;
    result.kind = kind;
    return result;
  }
};

// A job submission, as checked by its runner.
struct CheckedJob {
  nlohmann::json spec;       // stored and later handed to Run (may be normalized)
  std::string output_model;  // "" when the job produces no model
};

// One job type. Thread-safety: Check and Run may be called concurrently
// (Run once per running job).
class JobRunner {
 public:
  virtual ~JobRunner() = default;

  // At submission, before anything is stored: InvalidArgument saying what in
  // the spec is wrong (HTTP 400), NotFound for a dataset that does not exist.
  // Cheap enough to run on a request thread.
  [[nodiscard]] virtual absl::StatusOr<CheckedJob> Check(const std::string& tenant,
                                                         const nlohmann::json& spec) = 0;

  // Runs the job to its end on the calling (worker) thread. Exceptions are
  // caught by the service and fail the job.
  virtual JobRunResult Run(JobContext& context) = 0;
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_JOB_RUNNER_H_
