#include "services/job_service.h"

#include <openssl/rand.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "services/blob_collect.h"

namespace aiaas::services {

using nlohmann::json;

namespace {

constexpr size_t kMaxSnapshots = 1000;  // finished jobs' snapshots kept for late watchers

std::string Iso8601(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

json ParseOr(const std::string& text, json fallback) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? fallback : parsed;
}

const char* StateOf(JobRunResult::Kind kind) {
  switch (kind) {
    case JobRunResult::Kind::kSucceeded:
      return storage::kJobSucceeded;
    case JobRunResult::Kind::kCancelled:
      return storage::kJobCancelled;
    default:
      return storage::kJobFailed;
  }
}

}  // namespace

std::string NewJobId() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    // Never expected; fall back to the clock so a submission still gets an id.
    const int64_t now = absl::ToUnixNanos(absl::Now());
    std::memcpy(bytes, &now, sizeof(bytes));
  }
  return "job-" + absl::BytesToHexString(
                      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

bool IsJobId(const std::string& id) {
  if (id.size() != 20 || id.compare(0, 4, "job-") != 0) return false;
  for (size_t i = 4; i < id.size(); ++i) {
    const char c = id[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

json JobService::EventOf(const storage::JobRecord& job) {
  json history = ParseOr(job.history_json, json::array());
  json event = {{"id", job.id},
                {"state", job.state},
                {"progress", ParseOr(job.progress_json, json::object())},
                {"epochs", history.is_array() ? history.size() : 0}};
  if (history.is_array() && !history.empty()) event["epoch"] = history.back();
  if (storage::IsFinalJobState(job.state)) {
    event["metrics"] = ParseOr(job.metrics_json, json::object());
    if (!job.error.empty()) event["error"] = job.error;
    if (job.output_version.has_value()) {
      event["output"] = {{"model", job.output_model}, {"version", *job.output_version}};
    }
  }
  return event;
}

// ---------------------------------------------------------------- a running job

class JobService::RunningJob final : public JobContext {
 public:
  RunningJob(JobService* service, storage::JobRecord job)
      : service_(service), job_(std::move(job)) {
    history_ = ParseOr(job_.history_json, json::array());
    if (!history_.is_array()) history_ = json::array();
    checkpoint_digest_ = job_.checkpoint_digest;
    cancel_.store(job_.cancel_requested);
    if (!service_->options_.logs_dir.empty()) {
      log_path_ = service_->options_.logs_dir + "/" + job_.id + ".log";
      std::error_code ec;
      log_bytes_ = static_cast<int64_t>(std::filesystem::file_size(log_path_, ec));
      if (ec) log_bytes_ = 0;
    }
  }

  const storage::JobRecord& job() const override { return job_; }
  bool CancelRequested() const override { return cancel_.load(); }
  bool Stopping() const override { return service_->stop_flag_.load(); }
  void RequestCancel() { cancel_.store(true); }
  const std::string& checkpoint_digest() const { return checkpoint_digest_; }

  void Log(std::string_view line) override {
    if (log_path_.empty()) return;
    absl::MutexLock lock(&log_mu_);
    const int64_t limit = service_->options_.max_log_bytes;
    if (log_bytes_ >= limit) return;
    std::string text = absl::StrCat(Iso8601(absl::Now()), " ", std::string(line), "\n");
    if (log_bytes_ + static_cast<int64_t>(text.size()) >= limit) {
      text = absl::StrCat(Iso8601(absl::Now()), " (log limit of ", limit,
                          " bytes reached; later lines are dropped)\n");
    }
    FILE* file = std::fopen(log_path_.c_str(), "ab");
    if (file == nullptr) return;
    std::fwrite(text.data(), 1, text.size(), file);
    std::fclose(file);
    log_bytes_ += static_cast<int64_t>(text.size());
  }

  void ReportProgress(const json& progress) override {
    progress_ = progress;
    service_->Publish(job_.id, Event(), /*final=*/false);
    const absl::Time now = absl::Now();
    if (now - last_write_ < service_->options_.progress_write_interval) return;
    last_write_ = now;
    storage::JobProgressUpdate update;
    update.progress_json = progress.dump();
    // Best effort: progress is refreshed by the next report and by every epoch.
    (void)service_->jobs_->UpdateJobProgress(job_.id, update);
  }

  absl::Status ReportEpoch(const json& progress, const json& epoch,
                           std::string_view checkpoint) override {
    progress_ = progress;
    storage::JobProgressUpdate update;
    update.progress_json = progress.dump();
    json history = history_;
    history.push_back(epoch);
    update.history_json = history.dump();
    std::string previous = checkpoint_digest_;
    std::string stored;
    // Holds the new checkpoint's blob until the job row refers to it.
    std::unique_ptr<storage::BlobWriter> writer;
    if (!checkpoint.empty()) {
      AIAAS_ASSIGN_OR_RETURN(
          writer, service_->artifacts_->NewWriter(service_->options_.max_checkpoint_bytes));
      AIAAS_RETURN_IF_ERROR(writer->Append(checkpoint));
      AIAAS_ASSIGN_OR_RETURN(storage::BlobInfo blob, writer->Commit());
      stored = blob.digest;
      update.checkpoint_digest = stored;
    }
    absl::Status written = service_->jobs_->UpdateJobProgress(job_.id, update);
    writer.reset();
    if (!written.ok()) {
      if (!stored.empty() && stored != previous) service_->CollectBlob(stored);
      return written;
    }
    history_ = std::move(history);
    last_write_ = absl::Now();
    if (!stored.empty()) {
      checkpoint_digest_ = stored;
      if (!previous.empty() && previous != stored) service_->CollectBlob(previous);
    }
    service_->Publish(job_.id, Event(), /*final=*/false);
    return absl::OkStatus();
  }

  json History() const override { return history_; }

  absl::StatusOr<std::optional<std::string>> LoadCheckpoint() override {
    if (checkpoint_digest_.empty()) return std::optional<std::string>();
    AIAAS_RETURN_IF_ERROR(service_->artifacts_->Verify(checkpoint_digest_));
    AIAAS_ASSIGN_OR_RETURN(std::string bytes, service_->artifacts_->Read(checkpoint_digest_));
    return std::optional<std::string>(std::move(bytes));
  }

  json Event() const {
    json event = {{"id", job_.id},
                  {"state", storage::kJobRunning},
                  {"progress", progress_},
                  {"epochs", history_.size()}};
    if (!history_.empty()) event["epoch"] = history_.back();
    return event;
  }

 private:
  JobService* const service_;
  const storage::JobRecord job_;
  std::atomic<bool> cancel_{false};
  json history_;
  json progress_ = json::object();
  std::string checkpoint_digest_;
  absl::Time last_write_ = absl::InfinitePast();
  absl::Mutex log_mu_;
  std::string log_path_;
  int64_t log_bytes_ = 0;
};

// ---------------------------------------------------------------- the service

JobService::JobService(storage::JobStore* jobs, storage::MetadataStore* metadata,
                       storage::ArtifactStore* artifacts, Quotas* quotas,
                       const JobServiceOptions& options)
    : jobs_(jobs), metadata_(metadata), artifacts_(artifacts), quotas_(quotas), options_(options) {}

JobService::~JobService() { Stop(); }

void JobService::RegisterRunner(const std::string& type, JobRunner* runner) {
  runners_[type] = runner;
}

absl::Status JobService::Start() {
  if (!options_.logs_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.logs_dir, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot create the job log folder ", options_.logs_dir, ": ", ec.message()));
    }
  }
  AIAAS_ASSIGN_OR_RETURN(storage::RequeuedJobs requeued, jobs_->RequeueInterruptedJobs());
  if (requeued.requeued > 0) {
    LogInfo("jobs interrupted by the last stop are queued again",
            {{"jobs", absl::StrCat(requeued.requeued)}});
  }
  // Jobs cancelled while running when the server stopped end now; their
  // checkpoints would otherwise stay on disk for good.
  for (const std::string& digest : requeued.released_checkpoints) CollectBlob(digest);
  const int workers = std::max(1, options_.workers);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  return absl::OkStatus();
}

void JobService::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
  }
  stop_flag_.store(true);
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
}

void JobService::WorkerLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    absl::StatusOr<std::optional<storage::JobRecord>> next = jobs_->ClaimNextJob();
    if (next.ok() && next->has_value()) {
      RunOne(**std::move(next));
      continue;
    }
    if (!next.ok()) {
      LogWarning("cannot read the job queue", {{"error", std::string(next.status().message())}});
    }
    absl::MutexLock lock(&mu_);
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || wake_; };
    mu_.AwaitWithTimeout(absl::Condition(&woken), options_.poll_interval);
    wake_ = false;
  }
}

void JobService::RunOne(storage::JobRecord job) {
  RunningJob running(this, job);
  {
    absl::MutexLock lock(&mu_);
    running_[job.id] = &running;
  }
  // A cancel that came between the claim and the line above found no running
  // entry to flag; it is in the store, so read it back now. (Cancel writes the
  // store before it looks for the entry, so one of the two always sees it.)
  if (absl::StatusOr<bool> cancelled = jobs_->IsJobCancelRequested(job.id);
      cancelled.ok() && *cancelled) {
    running.RequestCancel();
  }
  Publish(job.id, running.Event(), /*final=*/false);
  running.Log(job.attempts > 1 ? absl::StrCat("resumed (attempt ", job.attempts, ")")
                               : std::string("started"));
  LogInfo("job started", {{"job", job.id},
                          {"tenant", job.tenant},
                          {"type", job.type},
                          {"attempt", absl::StrCat(job.attempts)}});

  JobRunResult result;
  auto runner = runners_.find(job.type);
  if (runner == runners_.end()) {
    result = JobRunResult::Failed(absl::StrCat("unknown job type '", job.type, "'"));
  } else {
    try {
      result = runner->second->Run(running);
    } catch (const std::exception& e) {
      result = JobRunResult::Failed(absl::StrCat("internal error: ", e.what()));
    } catch (...) {
      result = JobRunResult::Failed("internal error");
    }
  }
  {
    absl::MutexLock lock(&mu_);
    running_.erase(job.id);
  }
  if (result.kind == JobRunResult::Kind::kInterrupted) {
    // The server is stopping: the job stays running in the store and the next
    // start queues it again (RequeueInterruptedJobs) to resume from its checkpoint.
    running.Log("interrupted by the server stopping; it resumes on the next start");
    return;
  }
  // A cancel that raced with success still cancels nothing: the work is done.
  storage::JobOutcome outcome;
  outcome.state = StateOf(result.kind);
  outcome.metrics_json = result.metrics.dump();
  outcome.error = result.error;
  outcome.output_version = result.output_version;
  absl::StatusOr<storage::JobRecord> finished = jobs_->FinishJob(job.id, outcome);
  running.Log(absl::StrCat(outcome.state, result.error.empty() ? "" : ": ", result.error));
  LogInfo("job finished", {{"job", job.id}, {"state", outcome.state}, {"error", result.error}});
  if (!finished.ok()) {
    LogWarning("cannot record the end of a job",
               {{"job", job.id}, {"error", std::string(finished.status().message())}});
    return;
  }
  if (!running.checkpoint_digest().empty()) CollectBlob(running.checkpoint_digest());
  Publish(job.id, EventOf(*finished), /*final=*/true);
}

void JobService::Publish(const std::string& id, json event, bool final) {
  absl::MutexLock lock(&mu_);
  JobSnapshot& snapshot = snapshots_[id];
  snapshot.seq = next_seq_++;
  snapshot.final = final;
  snapshot.event = std::move(event);
  if (snapshots_.size() > kMaxSnapshots) {
    // Forget the finished job seen longest ago; watchers of it fall back to the store.
    auto oldest = snapshots_.end();
    for (auto it = snapshots_.begin(); it != snapshots_.end(); ++it) {
      if (it->second.final && (oldest == snapshots_.end() || it->second.seq < oldest->second.seq)) {
        oldest = it;
      }
    }
    if (oldest != snapshots_.end()) snapshots_.erase(oldest);
  }
}

std::optional<JobSnapshot> JobService::Snapshot(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = snapshots_.find(id);
  if (it == snapshots_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<storage::JobRecord> JobService::Submit(const Caller& caller, const json& spec) {
  if (!spec.is_object()) return absl::InvalidArgumentError("a job spec must be a JSON object");
  std::string type = "train";
  if (auto it = spec.find("type"); it != spec.end()) {
    if (!it->is_string()) return absl::InvalidArgumentError("'type' must be a string");
    type = it->get<std::string>();
  }
  auto runner = runners_.find(type);
  if (runner == runners_.end()) {
    std::string known;
    for (const auto& [name, unused] : runners_)
      absl::StrAppend(&known, known.empty() ? "" : ", ", name);
    return absl::InvalidArgumentError(
        absl::StrCat("unknown job type '", type, "'; known types: ", known));
  }
  AIAAS_ASSIGN_OR_RETURN(CheckedJob checked, runner->second->Check(caller.tenant, spec));
  storage::JobRecord job;
  job.id = NewJobId();
  job.tenant = caller.tenant;
  job.type = type;
  job.spec_json = checked.spec.dump();
  job.output_model = checked.output_model;
  job.created_by = caller.KeyPrefix();
  AIAAS_ASSIGN_OR_RETURN(storage::JobRecord created, jobs_->CreateJob(job, quotas_->defaults()));
  {
    absl::MutexLock lock(&mu_);
    wake_ = true;
  }
  return created;
}

absl::StatusOr<storage::JobRecord> JobService::Get(const std::string& tenant,
                                                   const std::string& id) {
  if (!IsJobId(id))
    return absl::NotFoundError(absl::StrCat("job '", id.substr(0, 64), "' not found"));
  return jobs_->GetJob(tenant, id);
}

absl::StatusOr<std::vector<storage::JobRecord>> JobService::List(
    const std::string& tenant, const std::optional<std::string>& state, int limit) {
  return jobs_->ListJobs(tenant, state, limit);
}

absl::StatusOr<storage::JobRecord> JobService::Cancel(const std::string& tenant,
                                                      const std::string& id) {
  if (!IsJobId(id))
    return absl::NotFoundError(absl::StrCat("job '", id.substr(0, 64), "' not found"));
  AIAAS_ASSIGN_OR_RETURN(storage::JobRecord job, jobs_->RequestJobCancel(tenant, id));
  absl::MutexLock lock(&mu_);
  if (auto it = running_.find(id); it != running_.end()) it->second->RequestCancel();
  if (storage::IsFinalJobState(job.state)) {
    JobSnapshot& snapshot = snapshots_[id];
    if (snapshot.final) return job;  // cancelled before: nothing new to publish
    snapshot.seq = next_seq_++;
    snapshot.final = true;
    snapshot.event = EventOf(job);
  }
  return job;
}

absl::StatusOr<std::string> JobService::LogPath(const std::string& tenant, const std::string& id) {
  AIAAS_RETURN_IF_ERROR(Get(tenant, id).status());
  return options_.logs_dir + "/" + id + ".log";
}

void JobService::CollectBlob(const std::string& digest) {
  services::CollectBlob(*metadata_, *artifacts_, digest);
}

}  // namespace aiaas::services
