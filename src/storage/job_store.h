#ifndef AIAAS_STORAGE_JOB_STORE_H_
#define AIAAS_STORAGE_JOB_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/quota_store.h"

namespace aiaas::storage {

// queued -> running -> succeeded | failed | cancelled; a running job whose
// server stopped goes back to queued on the next start (and resumes from its
// checkpoint). The three end states are final.
inline constexpr char kJobQueued[] = "queued";
inline constexpr char kJobRunning[] = "running";
inline constexpr char kJobSucceeded[] = "succeeded";
inline constexpr char kJobFailed[] = "failed";
inline constexpr char kJobCancelled[] = "cancelled";

bool IsFinalJobState(const std::string& state);

// A durable job. The JSON fields are stored as given (objects, or an array
// for history); storage parses them only to find the jobs that still need a
// dataset (spec "dataset" and "dataset_version") before deleting it.
struct JobRecord {
  std::string id;  // server-generated
  std::string tenant;
  std::string type;       // "train"
  std::string spec_json;  // the submitted spec
  std::string state = kJobQueued;
  bool cancel_requested = false;
  std::string progress_json = "{}";  // epoch, step, samples/s, ETA ...
  std::string history_json = "[]";   // per-epoch metrics
  std::string metrics_json = "{}";   // final evaluation
  std::string error;
  std::string checkpoint_digest;  // "" until the first checkpoint
  std::string output_model;
  std::optional<int64_t> output_version;
  int64_t attempts = 0;  // times a worker started (or resumed) it
  std::string created_by;
  int64_t created_at_ms = 0;
  std::optional<int64_t> started_at_ms;
  std::optional<int64_t> finished_at_ms;
  int64_t updated_at_ms = 0;
};

// A running job's progress after an epoch or a step. `checkpoint_digest`
// replaces the stored one when set.
struct JobProgressUpdate {
  std::string progress_json;
  std::optional<std::string> history_json;
  std::optional<std::string> checkpoint_digest;
};

// How a job ended.
struct JobOutcome {
  std::string state;  // succeeded | failed | cancelled
  std::string metrics_json = "{}";
  std::string error;
  std::optional<int64_t> output_version;
};

// What RequeueInterruptedJobs did.
struct RequeuedJobs {
  int64_t requeued = 0;  // running jobs queued again
  // The checkpoints of the jobs it cancelled instead, which no longer refer to
  // them: the caller removes each blob nothing else references.
  std::vector<std::string> released_checkpoints;
};

// Thread-safety: all methods may be called concurrently.
// Error codes: NotFound for an unknown tenant or job (a job of another tenant
// is NotFound too); PermissionDenied (QuotaExceededError, max_concurrent_jobs)
// on CreateJob; FailedPrecondition for a transition the state forbids.
class JobStore {
 public:
  virtual ~JobStore() = default;

  // Inserts a queued job. Refused when the tenant already has
  // max_concurrent_jobs jobs queued or running (counted in the inserting
  // transaction, so concurrent submissions cannot overshoot).
  [[nodiscard]] virtual absl::StatusOr<JobRecord> CreateJob(const JobRecord& job,
                                                            const QuotaLimits& defaults) = 0;

  [[nodiscard]] virtual absl::StatusOr<JobRecord> GetJob(const std::string& tenant,
                                                         const std::string& id) = 0;

  // The tenant's jobs, newest first, at most `limit`; `state` filters when set.
  [[nodiscard]] virtual absl::StatusOr<std::vector<JobRecord>> ListJobs(
      const std::string& tenant, const std::optional<std::string>& state, int limit) = 0;

  // The oldest queued job, now running (attempts + 1, started_at_ms set on
  // the first attempt); nullopt when none is queued.
  [[nodiscard]] virtual absl::StatusOr<std::optional<JobRecord>> ClaimNextJob() = 0;

  // Records progress of a running job. FailedPrecondition when it is not running.
  [[nodiscard]] virtual absl::Status UpdateJobProgress(const std::string& id,
                                                       const JobProgressUpdate& update) = 0;

  // Ends a running job and forgets its checkpoint (the caller removes the
  // blob). FailedPrecondition when it is not running.
  [[nodiscard]] virtual absl::StatusOr<JobRecord> FinishJob(const std::string& id,
                                                            const JobOutcome& outcome) = 0;

  // A queued job is cancelled at once; a running one gets cancel_requested
  // (its worker stops within a step); a cancelled one is returned as it is
  // (cancel is idempotent); a succeeded or failed one is left alone
  // (FailedPrecondition naming its state). Returns the job as stored.
  [[nodiscard]] virtual absl::StatusOr<JobRecord> RequestJobCancel(const std::string& tenant,
                                                                   const std::string& id) = 0;

  // Whether cancel was requested for a job (a cheap read for the worker).
  [[nodiscard]] virtual absl::StatusOr<bool> IsJobCancelRequested(const std::string& id) = 0;

  // At start-up: every running job (its server stopped) goes back to queued,
  // or to cancelled when cancel had been requested, unless a version of its
  // output_model names the job in its lineage ("job"): that one is queued (the
  // work is done, its runner succeeds with the version). A cancelled job drops
  // its checkpoint (returned in released_checkpoints).
  [[nodiscard]] virtual absl::StatusOr<RequeuedJobs> RequeueInterruptedJobs() = 0;
};

}  // namespace aiaas::storage

#endif  // AIAAS_STORAGE_JOB_STORE_H_
