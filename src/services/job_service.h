#ifndef AIAAS_SERVICES_JOB_SERVICE_H_
#define AIAAS_SERVICES_JOB_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "services/job_runner.h"
#include "services/permissions.h"
#include "services/quotas.h"
#include "storage/artifact_store.h"
#include "storage/job_store.h"
#include "storage/metadata_store.h"

namespace aiaas::services {

struct JobServiceOptions {
  int workers = 1;                 // --training-workers: jobs running at once
  std::string logs_dir;            // one <id>.log per job; created by Start()
  int64_t max_log_bytes = 8 << 20;  // a job's log stops growing here (a note says so)
  int64_t max_checkpoint_bytes = int64_t{4} << 30;
  // An idle worker looks for queued jobs this often (a submit wakes it at once).
  absl::Duration poll_interval = absl::Seconds(2);
  // Stored progress is written at most this often (epochs are always written).
  absl::Duration progress_write_interval = absl::Seconds(1);
};

// A job's latest state for watchers (Server-Sent Events): `seq` grows with
// every published change.
struct JobSnapshot {
  uint64_t seq = 0;
  bool final = false;
  nlohmann::json event;  // {"id", "state", "progress", "epoch"?, ...}
};

// Durable jobs: submission (checked by the job type's runner, quota-checked
// in the inserting transaction), a bounded pool of worker threads running
// them, cancel within a step, a checkpoint per epoch, logs, and recovery: on
// Start() jobs a stopped server left running are queued again and resume
// from their checkpoint.
//
// The caller has authorized the request (job:submit / job:read in the
// caller's tenant). Jobs belong to their tenant: another tenant's job is
// NotFound.
//
// Thread-safety: all methods may be called concurrently.
class JobService {
 public:
  JobService(storage::JobStore* jobs, storage::MetadataStore* metadata,
             storage::ArtifactStore* artifacts, Quotas* quotas, const JobServiceOptions& options);
  ~JobService();  // Stop()
  JobService(const JobService&) = delete;
  JobService& operator=(const JobService&) = delete;

  // Before Start(). `runner` is borrowed.
  void RegisterRunner(const std::string& type, JobRunner* runner);

  // Requeues interrupted jobs (ends those cancelled before the stop, removing
  // their checkpoints) and starts the workers.
  [[nodiscard]] absl::Status Start();
  // Asks running jobs to stop at their next step (they stay resumable) and
  // joins the workers. Idempotent.
  void Stop();

  // Checks `spec` with the runner of spec["type"] (default "train") and
  // stores a queued job. InvalidArgument for a bad spec, PermissionDenied for
  // max_concurrent_jobs.
  [[nodiscard]] absl::StatusOr<storage::JobRecord> Submit(const Caller& caller,
                                                          const nlohmann::json& spec);
  [[nodiscard]] absl::StatusOr<storage::JobRecord> Get(const std::string& tenant,
                                                       const std::string& id);
  [[nodiscard]] absl::StatusOr<std::vector<storage::JobRecord>> List(
      const std::string& tenant, const std::optional<std::string>& state, int limit);
  // A queued job ends at once; a running one stops within a step (unless its
  // training is over: it then succeeds). A cancelled job is returned as it is;
  // a succeeded or failed one is FailedPrecondition.
  [[nodiscard]] absl::StatusOr<storage::JobRecord> Cancel(const std::string& tenant,
                                                          const std::string& id);
  // The job's log file (NotFound for another tenant's job); may not exist yet.
  [[nodiscard]] absl::StatusOr<std::string> LogPath(const std::string& tenant,
                                                    const std::string& id);
  // The latest published snapshot of a job that ran since start-up (nullopt
  // otherwise: read the store). Cheap and non-blocking: for event streams.
  std::optional<JobSnapshot> Snapshot(const std::string& id);

  // The JSON event of a stored job, as Snapshot() publishes it.
  static nlohmann::json EventOf(const storage::JobRecord& job);

 private:
  class RunningJob;

  void WorkerLoop();
  void RunOne(storage::JobRecord job);
  void Publish(const std::string& id, nlohmann::json event, bool final);
  void CollectBlob(const std::string& digest);

  storage::JobStore* const jobs_;
  storage::MetadataStore* const metadata_;
  storage::ArtifactStore* const artifacts_;
  Quotas* const quotas_;
  const JobServiceOptions options_;
  std::map<std::string, JobRunner*> runners_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, RunningJob*> running_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, JobSnapshot> snapshots_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  std::atomic<bool> stop_flag_{false};
  std::vector<std::thread> workers_;

  friend class RunningJob;
};

// "job-" + 16 random hex digits.
std::string NewJobId();
// Whether `id` has that form (ids are used in file names).
bool IsJobId(const std::string& id);

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_JOB_SERVICE_H_
