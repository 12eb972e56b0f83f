// The JobStore half of SqliteMetadataStore: durable jobs and their state
// machine, on the same connection and under the same mutex as the rest.
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "storage/job_store.h"
#include "storage/sqlite_connection.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/sqlite_quota_rows.h"

namespace aiaas::storage {

bool IsFinalJobState(const std::string& state) {
  return state == kJobSucceeded || state == kJobFailed || state == kJobCancelled;
}

namespace {

using sqlite::Connection;
using sqlite::Query;
using sqlite::Statement;
using sqlite::Transaction;
using sqlite::TxnMode;

#define AIAAS_JOB_COLUMNS                                                                    \
  "SELECT j.id, t.name, j.type, j.spec_json, j.state, j.cancel_requested, j.progress_json,"  \
  " j.history_json, j.metrics_json, j.error, j.checkpoint_digest, j.output_model,"           \
  " j.output_version, j.attempts, j.created_by, j.created_at_ms, j.started_at_ms,"           \
  " j.finished_at_ms, j.updated_at_ms FROM jobs j JOIN tenants t ON t.id = j.tenant_id"
constexpr Query kSelectJob = {"read job", AIAAS_JOB_COLUMNS " WHERE j.id = ?1"};
constexpr Query kSelectTenantJob = {"read job",
                                    AIAAS_JOB_COLUMNS " WHERE j.id = ?1 AND t.name = ?2"};
constexpr Query kListJobs = {
    "list jobs", AIAAS_JOB_COLUMNS
    " WHERE t.name = ?1 AND (?2 IS NULL OR j.state = ?2)"
    " ORDER BY j.created_at_ms DESC, j.id DESC LIMIT ?3"};
constexpr Query kOldestQueued = {
    "find queued job", AIAAS_JOB_COLUMNS
    " WHERE j.state = 'queued' ORDER BY j.created_at_ms, j.id LIMIT 1"};
#undef AIAAS_JOB_COLUMNS

constexpr Query kInsertJob = {
    "insert job",
    "INSERT INTO jobs(id, tenant_id, type, spec_json, state, output_model, created_by,"
    " created_at_ms, updated_at_ms) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7, ?7)"};
constexpr Query kStartJob = {
    "start job",
    "UPDATE jobs SET state = 'running', attempts = attempts + 1,"
    " started_at_ms = COALESCE(started_at_ms, ?2), updated_at_ms = ?2 WHERE id = ?1"};
constexpr Query kUpdateProgress = {
    "record job progress",
    "UPDATE jobs SET progress_json = ?2, history_json = COALESCE(?3, history_json),"
    " checkpoint_digest = COALESCE(?4, checkpoint_digest), updated_at_ms = ?5"
    " WHERE id = ?1 AND state = 'running'"};
constexpr Query kFinishJob = {
    "finish job",
    "UPDATE jobs SET state = ?2, metrics_json = ?3, error = ?4, output_version = ?5,"
    " checkpoint_digest = '', finished_at_ms = ?6, updated_at_ms = ?6"
    " WHERE id = ?1 AND state = 'running'"};
constexpr Query kCancelQueued = {
    "cancel job",
    "UPDATE jobs SET state = 'cancelled', cancel_requested = 1, finished_at_ms = ?2,"
    " updated_at_ms = ?2, error = 'cancelled before it started' WHERE id = ?1"};
constexpr Query kRequestCancel = {
    "request job cancel",
    "UPDATE jobs SET cancel_requested = 1, updated_at_ms = ?2 WHERE id = ?1"};
constexpr Query kCancelRequested = {"read job cancel flag",
                                    "SELECT cancel_requested FROM jobs WHERE id = ?1"};
// A job whose version was registered before the crash (the push happened, its end was
// not recorded) is not cancelled but requeued: its runner finds the version and
// succeeds with it, so a cancelled job never has a version.
#define AIAAS_CANCELLED_BY_RESTART                                                          \
  " WHERE state = 'running' AND cancel_requested = 1"                                      \
  " AND NOT EXISTS (SELECT 1 FROM versions v JOIN models m ON m.id = v.model_id"           \
  " WHERE m.tenant_id = jobs.tenant_id AND m.name = jobs.output_model"                     \
  " AND CASE WHEN json_valid(v.lineage_json) THEN json_extract(v.lineage_json, '$.job')"  \
  " END = jobs.id)"
constexpr Query kInterruptedCheckpoints = {
    "read checkpoints of cancelled jobs",
    "SELECT checkpoint_digest FROM jobs" AIAAS_CANCELLED_BY_RESTART " AND checkpoint_digest != ''"};
constexpr Query kCancelInterrupted = {
    "cancel interrupted jobs",
    "UPDATE jobs SET state = 'cancelled', finished_at_ms = ?1, updated_at_ms = ?1,"
    " error = 'cancelled', checkpoint_digest = ''" AIAAS_CANCELLED_BY_RESTART};
#undef AIAAS_CANCELLED_BY_RESTART
constexpr Query kRequeueInterrupted = {
    "requeue interrupted jobs",
    "UPDATE jobs SET state = 'queued', updated_at_ms = ?1 WHERE state = 'running' RETURNING id"};

std::optional<int64_t> NullableInt(const Statement& stmt, int column) {
  if (stmt.ColumnIsNull(column)) return std::nullopt;
  return stmt.ColumnInt(column);
}

absl::StatusOr<std::optional<JobRecord>> ReadOne(Statement& stmt) {
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<JobRecord>();
  JobRecord job;
  job.id = stmt.ColumnText(0);
  job.tenant = stmt.ColumnText(1);
  job.type = stmt.ColumnText(2);
  job.spec_json = stmt.ColumnText(3);
  job.state = stmt.ColumnText(4);
  job.cancel_requested = stmt.ColumnInt(5) != 0;
  job.progress_json = stmt.ColumnText(6);
  job.history_json = stmt.ColumnText(7);
  job.metrics_json = stmt.ColumnText(8);
  job.error = stmt.ColumnText(9);
  job.checkpoint_digest = stmt.ColumnText(10);
  job.output_model = stmt.ColumnText(11);
  job.output_version = NullableInt(stmt, 12);
  job.attempts = stmt.ColumnInt(13);
  job.created_by = stmt.ColumnText(14);
  job.created_at_ms = stmt.ColumnInt(15);
  job.started_at_ms = NullableInt(stmt, 16);
  job.finished_at_ms = NullableInt(stmt, 17);
  job.updated_at_ms = stmt.ColumnInt(18);
  return std::optional<JobRecord>(std::move(job));
}

absl::Status JobNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("job '", id, "' not found"));
}

absl::StatusOr<JobRecord> ReadJob(Connection& db, const std::string& id) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectJob));
  stmt.BindText(1, id);
  AIAAS_ASSIGN_OR_RETURN(std::optional<JobRecord> job, ReadOne(stmt));
  if (!job.has_value()) return JobNotFound(id);
  return *std::move(job);
}

absl::StatusOr<JobRecord> ReadTenantJob(Connection& db, const std::string& tenant,
                                        const std::string& id) {
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kSelectTenantJob));
  stmt.BindText(1, id).BindText(2, tenant);
  AIAAS_ASSIGN_OR_RETURN(std::optional<JobRecord> job, ReadOne(stmt));
  if (!job.has_value()) return JobNotFound(id);
  return *std::move(job);
}

absl::Status NotRunning(const JobRecord& job) {
  return absl::FailedPreconditionError(
      absl::StrCat("job '", job.id, "' is ", job.state, ", not running"));
}

}  // namespace

absl::StatusOr<JobRecord> SqliteMetadataStore::CreateJob(const JobRecord& job,
                                                         const QuotaLimits& defaults) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  const int64_t now_ms = now_ms_();
  AIAAS_ASSIGN_OR_RETURN(int64_t tenant_id, sqlite::FindTenantRowId(db, job.tenant));
  AIAAS_ASSIGN_OR_RETURN(QuotaOverrides overrides, sqlite::ReadQuotaOverrides(db, tenant_id));
  const int64_t limit = EffectiveLimits(overrides, defaults).max_concurrent_jobs;
  AIAAS_ASSIGN_OR_RETURN(int64_t active, sqlite::CountActiveJobs(db, tenant_id));
  if (active + 1 > limit) {
    return QuotaExceededError(QuotaExcess{job.tenant, "max_concurrent_jobs", active, 1, limit});
  }
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kInsertJob));
    stmt.BindText(1, job.id).BindInt(2, tenant_id).BindText(3, job.type);
    stmt.BindText(4, job.spec_json).BindText(5, job.output_model).BindText(6, job.created_by);
    stmt.BindInt(7, now_ms);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_ASSIGN_OR_RETURN(JobRecord created, ReadJob(db, job.id));
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return created;
}

absl::StatusOr<JobRecord> SqliteMetadataStore::GetJob(const std::string& tenant,
                                                      const std::string& id) {
  absl::MutexLock lock(&mu_);
  return ReadTenantJob(*db_, tenant, id);
}

absl::StatusOr<std::vector<JobRecord>> SqliteMetadataStore::ListJobs(
    const std::string& tenant, const std::optional<std::string>& state, int limit) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kDeferred));
  AIAAS_RETURN_IF_ERROR(sqlite::FindTenantRowId(db, tenant).status());
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kListJobs));
  stmt.BindText(1, tenant).BindNullableText(2, state).BindInt(3, limit);
  std::vector<JobRecord> jobs;
  while (true) {
    AIAAS_ASSIGN_OR_RETURN(std::optional<JobRecord> job, ReadOne(stmt));
    if (!job.has_value()) break;
    jobs.push_back(*std::move(job));
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return jobs;
}

absl::StatusOr<std::optional<JobRecord>> SqliteMetadataStore::ClaimNextJob() {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  std::optional<JobRecord> next;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kOldestQueued));
    AIAAS_ASSIGN_OR_RETURN(next, ReadOne(stmt));
  }
  if (!next.has_value()) return next;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kStartJob));
    stmt.BindText(1, next->id).BindInt(2, now_ms_());
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_ASSIGN_OR_RETURN(JobRecord started, ReadJob(db, next->id));
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return std::optional<JobRecord>(std::move(started));
}

absl::Status SqliteMetadataStore::UpdateJobProgress(const std::string& id,
                                                    const JobProgressUpdate& update) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(JobRecord job, ReadJob(db, id));
  if (job.state != kJobRunning) return NotRunning(job);
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kUpdateProgress));
    stmt.BindText(1, id).BindText(2, update.progress_json);
    stmt.BindNullableText(3, update.history_json).BindNullableText(4, update.checkpoint_digest);
    stmt.BindInt(5, now_ms_());
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  return txn.Commit();
}

absl::StatusOr<JobRecord> SqliteMetadataStore::FinishJob(const std::string& id,
                                                         const JobOutcome& outcome) {
  if (!IsFinalJobState(outcome.state)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a job cannot finish as '", outcome.state, "'"));
  }
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(JobRecord job, ReadJob(db, id));
  if (job.state != kJobRunning) return NotRunning(job);
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kFinishJob));
    stmt.BindText(1, id).BindText(2, outcome.state).BindText(3, outcome.metrics_json);
    stmt.BindText(4, outcome.error).BindNullableInt(5, outcome.output_version);
    stmt.BindInt(6, now_ms_());
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_ASSIGN_OR_RETURN(JobRecord finished, ReadJob(db, id));
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return finished;
}

absl::StatusOr<JobRecord> SqliteMetadataStore::RequestJobCancel(const std::string& tenant,
                                                                const std::string& id) {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  AIAAS_ASSIGN_OR_RETURN(JobRecord job, ReadTenantJob(db, tenant, id));
  // Cancelling a cancelled job again changes nothing and says so (a client may
  // retry a cancel whose answer it lost).
  if (job.state == kJobCancelled) return job;
  if (IsFinalJobState(job.state)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job '", id, "' has already ", job.state, "; only a queued or running job can be cancelled"));
  }
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt,
                           db.Prepare(job.state == kJobQueued ? kCancelQueued : kRequestCancel));
    stmt.BindText(1, id).BindInt(2, now_ms_());
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  AIAAS_ASSIGN_OR_RETURN(JobRecord updated, ReadJob(db, id));
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return updated;
}

absl::StatusOr<bool> SqliteMetadataStore::IsJobCancelRequested(const std::string& id) {
  absl::MutexLock lock(&mu_);
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(kCancelRequested));
  stmt.BindText(1, id);
  AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return JobNotFound(id);
  return stmt.ColumnInt(0) != 0;
}

absl::StatusOr<RequeuedJobs> SqliteMetadataStore::RequeueInterruptedJobs() {
  absl::MutexLock lock(&mu_);
  Connection& db = *db_;
  AIAAS_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db, TxnMode::kImmediate));
  const int64_t now_ms = now_ms_();
  RequeuedJobs result;
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kInterruptedCheckpoints));
    while (true) {
      AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      result.released_checkpoints.push_back(stmt.ColumnText(0));
    }
  }
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kCancelInterrupted));
    stmt.BindInt(1, now_ms);
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, db.Prepare(kRequeueInterrupted));
    stmt.BindInt(1, now_ms);
    while (true) {
      AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      ++result.requeued;
    }
  }
  AIAAS_RETURN_IF_ERROR(txn.Commit());
  return result;
}

}  // namespace aiaas::storage
