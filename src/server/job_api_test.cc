// The jobs API and its event stream through the router, with a real JobService on
// SQLite and a scripted runner: submission (202, 400, 403), reading, cancel (200, 409),
// permissions and tenant isolation, and Server-Sent Events from queued to end.
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/job_api.h"
#include "server/job_events_api.h"
#include "server/router.h"
#include "services/job_service.h"
#include "services/permissions.h"
#include "storage/local_artifact_store.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/test_temp_dir.h"

namespace aiaas::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// "epochs" epochs; each waits for Step() unless spec "free" is true.
class StepRunner final : public services::JobRunner {
 public:
  absl::StatusOr<services::CheckedJob> Check(const std::string&, const json& spec) override {
    if (!spec.contains("epochs")) return absl::InvalidArgumentError("'epochs' is required");
    return services::CheckedJob{spec, "out"};
  }
  services::JobRunResult Run(services::JobContext& context) override {
    const json spec = json::parse(context.job().spec_json);
    for (int epoch = 1; epoch <= spec["epochs"].get<int>(); ++epoch) {
      while (!spec.value("free", false) && steps_.load() < epoch && !context.ShouldStop()) {
        absl::SleepFor(absl::Milliseconds(2));
      }
      if (context.CancelRequested()) {
        return services::JobRunResult::Of(services::JobRunResult::Kind::kCancelled);
      }
      if (context.Stopping()) {
        return services::JobRunResult::Of(services::JobRunResult::Kind::kInterrupted);
      }
      context.ReportProgress({{"epoch", epoch}, {"epochs", spec["epochs"]}});
      (void)context.ReportEpoch({{"epoch", epoch}}, {{"epoch", epoch}, {"train_loss", 1.0}}, "");
    }
    services::JobRunResult result =
        services::JobRunResult::Of(services::JobRunResult::Kind::kSucceeded);
    result.metrics = {{"accuracy", 0.75}};
    result.output_version = 7;
    return result;
  }
  void Step() { ++steps_; }

 private:
  std::atomic<int> steps_{0};
};

std::shared_ptr<const services::Caller> MakeCaller(const std::string& tenant,
                                                   services::Role role) {
  auto caller = std::make_shared<services::Caller>();
  caller->tenant = tenant;
  caller->role = role;
  caller->key_id = "k-" + tenant;
  return caller;
}

struct Answer {
  int status = 0;
  json body;
  std::shared_ptr<ResponseStream> stream;
};

class JobApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::SqliteMetadataStore::Open(dir_.path() + "/metadata.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->CreateTenant("acme").ok());
    auto artifacts = storage::LocalArtifactStore::Open(dir_.path());
    ASSERT_TRUE(artifacts.ok());
    artifacts_ = std::move(*artifacts);
    services::QuotaOptions quota_options;
    quota_options.max_concurrent_jobs = 2;
    quotas_ = std::make_unique<services::Quotas>(store_.get(), quota_options);
    services::JobServiceOptions options;
    options.logs_dir = dir_.path() + "/jobs";
    options.poll_interval = absl::Milliseconds(10);
    jobs_ = std::make_unique<services::JobService>(store_.get(), store_.get(), artifacts_.get(),
                                                   quotas_.get(), options);
    jobs_->RegisterRunner("train", &runner_);
    ASSERT_TRUE(jobs_->Start().ok());
    RegisterJobApi(&router_, jobs_.get());
    RegisterJobEventsApi(&router_, jobs_.get());
  }

  void TearDown() override { jobs_->Stop(); }

  Answer Send(const std::shared_ptr<const services::Caller>& caller, const std::string& method,
              const std::string& path, const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.path = path.substr(0, path.find('?'));
    request.body = body;
    request.caller = caller;
    if (size_t q = path.find('?'); q != std::string::npos) {
      std::vector<std::string> pairs = absl::StrSplit(path.substr(q + 1), '&');
      for (const std::string& pair : pairs) {
        const size_t eq = pair.find('=');
        request.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
      }
    }
    Router::Match match = router_.Find(method, request.path);
    Answer answer;
    if (match.status != 200 || match.handler == nullptr) {
      answer.status = match.status;
      return answer;
    }
    request.path_params = match.params;
    (*match.handler)(request, [&answer](HttpResponse response) {
      answer.status = response.status;
      answer.stream = response.stream;
      answer.body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    });
    return answer;
  }

  json WaitForState(const std::string& id, const std::string& state) {
    json job;
    for (int i = 0; i < 1000; ++i) {
      job = Send(editor_, "GET", "/api/v1/jobs/" + id).body;
      if (job.value("state", "") == state) return job;
      absl::SleepFor(absl::Milliseconds(10));
    }
    ADD_FAILURE() << "job " << id << " never became " << state << ": " << job.dump();
    return job;
  }

  // Polls until the stream yields something (or ends); "" after 5 s of nothing.
  static std::optional<std::string> NextEvent(ResponseStream& stream) {
    for (int i = 0; i < 500; ++i) {
      std::optional<std::string> chunk = stream.Poll();
      if (!chunk.has_value() || !chunk->empty()) return chunk;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::string();
  }

  storage::TestTempDir dir_;
  std::unique_ptr<storage::SqliteMetadataStore> store_;
  std::unique_ptr<storage::LocalArtifactStore> artifacts_;
  std::unique_ptr<services::Quotas> quotas_;
  StepRunner runner_;
  std::unique_ptr<services::JobService> jobs_;
  Router router_;
  std::shared_ptr<const services::Caller> editor_ = MakeCaller("acme", services::Role::kEditor);
  std::shared_ptr<const services::Caller> viewer_ = MakeCaller("acme", services::Role::kViewer);
  std::shared_ptr<const services::Caller> stranger_ =
      MakeCaller("default", services::Role::kAdmin);
};

TEST_F(JobApiTest, SubmitRunAndReadBack) {
  Answer submitted = Send(editor_, "POST", "/api/v1/jobs", R"({"epochs": 1, "free": true})");
  ASSERT_EQ(submitted.status, 202) << submitted.body.dump();
  const std::string id = submitted.body["id"];
  EXPECT_EQ(submitted.body["state"], "queued");
  EXPECT_EQ(submitted.body["output"]["model"], "out");
  json done = WaitForState(id, "succeeded");
  EXPECT_EQ(done["metrics"]["accuracy"], 0.75);
  EXPECT_EQ(done["output"]["version"], 7);
  EXPECT_EQ(done["history"].size(), 1u);
  EXPECT_TRUE(done["error"].is_null());
  EXPECT_FALSE(done["finished_at"].is_null());

  Answer listed = Send(viewer_, "GET", "/api/v1/jobs?state=succeeded");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body["jobs"].size(), 1u);
  EXPECT_EQ(listed.body["jobs"][0]["id"], id);
  EXPECT_EQ(Send(viewer_, "GET", "/api/v1/jobs?state=bogus").status, 400);
  // Another tenant's job does not exist for the caller.
  EXPECT_EQ(Send(stranger_, "GET", "/api/v1/jobs/" + id).status, 404);
  EXPECT_EQ(Send(stranger_, "POST", "/api/v1/jobs/" + id + "/cancel", "{}").status, 404);
  EXPECT_EQ(Send(stranger_, "GET", "/api/v1/jobs/" + id + "/events").status, 404);
}

TEST_F(JobApiTest, RefusalsSayWhy) {
  Answer bad_json = Send(editor_, "POST", "/api/v1/jobs", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  Answer bad_spec = Send(editor_, "POST", "/api/v1/jobs", R"({"dataset": "x"})");
  EXPECT_EQ(bad_spec.status, 400);
  EXPECT_THAT(bad_spec.body["error"].get<std::string>(), HasSubstr("epochs"));
  Answer viewer = Send(viewer_, "POST", "/api/v1/jobs", R"({"epochs": 1})");
  EXPECT_EQ(viewer.status, 403);
  EXPECT_THAT(viewer.body["error"].get<std::string>(), HasSubstr("job:submit"));
  EXPECT_TRUE(Send(editor_, "GET", "/api/v1/jobs").body["jobs"].empty());
}

TEST_F(JobApiTest, QuotaCancelAndEventStream) {
  Answer first = Send(editor_, "POST", "/api/v1/jobs", R"({"epochs": 2})");
  ASSERT_EQ(first.status, 202);
  const std::string id = first.body["id"];
  ASSERT_EQ(Send(editor_, "POST", "/api/v1/jobs", R"({"epochs": 2})").status, 202);
  Answer third = Send(editor_, "POST", "/api/v1/jobs", R"({"epochs": 2})");
  EXPECT_EQ(third.status, 403);
  EXPECT_THAT(third.body["error"].get<std::string>(), HasSubstr("max_concurrent_jobs"));

  Answer events = Send(viewer_, "GET", "/api/v1/jobs/" + id + "/events");
  ASSERT_EQ(events.status, 200);
  ASSERT_NE(events.stream, nullptr);
  std::optional<std::string> opening = NextEvent(*events.stream);
  ASSERT_TRUE(opening.has_value());
  EXPECT_THAT(*opening, HasSubstr("event: job\n"));

  runner_.Step();  // epoch 1 ends: a progress event with the epoch
  std::optional<std::string> progress;
  for (int i = 0; i < 20; ++i) {
    progress = NextEvent(*events.stream);
    if (!progress.has_value() || progress->find("\"epochs\":1") != std::string::npos) break;
  }
  ASSERT_TRUE(progress.has_value());
  EXPECT_THAT(*progress, HasSubstr("\"epochs\":1"));

  Answer cancelled = Send(editor_, "POST", "/api/v1/jobs/" + id + "/cancel", "{}");
  ASSERT_EQ(cancelled.status, 200);
  EXPECT_TRUE(cancelled.body["cancel_requested"].get<bool>());
  std::optional<std::string> last;
  for (int i = 0; i < 20; ++i) {
    std::optional<std::string> next = NextEvent(*events.stream);
    if (!next.has_value()) break;
    last = next;
  }
  ASSERT_TRUE(last.has_value());
  EXPECT_THAT(*last, HasSubstr("event: end\n"));
  EXPECT_THAT(*last, HasSubstr("\"state\":\"cancelled\""));
  EXPECT_FALSE(events.stream->Poll().has_value());  // ended for good

  Answer again = Send(editor_, "POST", "/api/v1/jobs/" + id + "/cancel", "{}");
  EXPECT_EQ(again.status, 200);  // idempotent: the job as it is
  EXPECT_EQ(again.body["state"], "cancelled");
  // A finished job's stream is its end event at once.
  Answer late = Send(viewer_, "GET", "/api/v1/jobs/" + id + "/events");
  ASSERT_NE(late.stream, nullptr);
  std::optional<std::string> only = late.stream->Poll();
  ASSERT_TRUE(only.has_value());
  EXPECT_THAT(*only, HasSubstr("event: end\n"));
  EXPECT_FALSE(late.stream->Poll().has_value());
}

}  // namespace
}  // namespace aiaas::server
