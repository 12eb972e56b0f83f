#include "services/model_registry.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "services/inference_service.h"
#include "services/registry_test_env.h"

namespace aiaas::services {
namespace {

// A runtime whose "model" is a text file: "ok" loads (identity on input "x"),
// anything else fails to load. Counts loads so tests can check caching.
class FakeServable final : public runtime::Servable {
 public:
  FakeServable() {
    signature_.inputs = {TensorSpec{"x", std::nullopt, std::nullopt}};
    signature_.outputs = {TensorSpec{"y", std::nullopt, std::nullopt},
                          TensorSpec{"z", std::nullopt, std::nullopt}};
  }
  const Signature& signature() const override { return signature_; }
  absl::StatusOr<runtime::NamedTensors> Infer(const TensorMap& inputs) override {
    return runtime::NamedTensors{{"y", inputs.at("x")}, {"z", inputs.at("x")}};
  }

 private:
  Signature signature_;
};

class FakeRuntime final : public runtime::Runtime {
 public:
  std::string_view format() const override { return "fake"; }
  absl::StatusOr<std::unique_ptr<runtime::Servable>> Load(
      const std::string& path, const std::optional<Signature>&) override {
    ++loads;
    std::ifstream file(path);
    std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (content.rfind("ok", 0) != 0) return absl::InvalidArgumentError("not a fake model");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // widen the load race window
    return std::make_unique<FakeServable>();
  }
  std::atomic<int> loads{0};
};

absl::StatusOr<InferResponse> InferSync(InferenceService& service,
                                        const storage::VersionRecord& version,
                                        InferRequest request) {
  absl::Notification done;
  absl::StatusOr<InferResponse> result;
  service.Infer(version, std::move(request), InferOptions{},
                [&](absl::StatusOr<InferResponse> response) {
                  result = std::move(response);
                  done.Notify();
                });
  done.WaitForNotification();
  return result;
}

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fake = std::make_unique<FakeRuntime>();
    runtime_ = fake.get();
    ASSERT_TRUE(env_.Open(std::move(fake)).ok());
    registry_ = env_.registry.get();
  }

  absl::StatusOr<storage::VersionRecord> Push(const std::string& model, const std::string& bytes,
                                              const std::string& format = "fake") {
    return env_.Push("default", model, bytes, format);
  }

  size_t BlobCount() { return env_.BlobCount(); }

  RegistryTestEnv env_;
  FakeRuntime* runtime_ = nullptr;
  ModelRegistry* registry_ = nullptr;
};

TEST_F(ModelRegistryTest, PushCreatesModelAndNumbersVersions) {
  auto v1 = Push("m", "ok 1");
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->signature.inputs.at(0).name, "x");
  auto v2 = Push("m", "ok 2");
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->version, 2);
  auto view = registry_->GetModel("default", "m");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->latest_version, 2);
}

TEST_F(ModelRegistryTest, ArtifactThatDoesNotLoadLeavesNothingBehind) {
  auto bad = Push("m", "garbage");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BlobCount(), 0u);
  EXPECT_TRUE(absl::IsNotFound(registry_->GetModel("default", "m").status()));
}

TEST_F(ModelRegistryTest, UnknownFormatAndBadNameRejected) {
  auto unknown = Push("m", "ok", "onnx");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("supported formats: fake"), std::string::npos);
  auto bad_name = Push("Bad Name", "ok");
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BlobCount(), 0u);
}

TEST_F(ModelRegistryTest, DefaultVersionFollowsProductionAliasElseNewest) {
  ASSERT_TRUE(Push("m", "ok 1").ok());
  ASSERT_TRUE(Push("m", "ok 2").ok());
  EXPECT_EQ(registry_->GetVersion("default", "m", "")->version, 2);
  ASSERT_TRUE(registry_->SetAlias("default", "m", "production", 1).ok());
  EXPECT_EQ(registry_->GetVersion("default", "m", "")->version, 1);
  EXPECT_EQ(registry_->GetVersion("default", "m", "production")->version, 1);
  EXPECT_EQ(registry_->GetVersion("default", "m", "2")->version, 2);
  ASSERT_TRUE(registry_->DeleteAlias("default", "m", "production").ok());
  EXPECT_EQ(registry_->GetVersion("default", "m", "")->version, 2);
  EXPECT_TRUE(absl::IsNotFound(registry_->GetVersion("default", "m", "7").status()));
  EXPECT_TRUE(absl::IsNotFound(registry_->GetVersion("default", "m", "canary").status()));
  EXPECT_TRUE(absl::IsNotFound(registry_->SetAlias("default", "m", "x", 9).status()));
  EXPECT_EQ(registry_->SetAlias("default", "m", "12", 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// GetVersion answers from a cache; every write must be visible at once.
TEST_F(ModelRegistryTest, ResolvedVersionsFollowEveryWrite) {
  ASSERT_TRUE(Push("m", "ok 1").ok());
  EXPECT_EQ(registry_->GetVersion("default", "m", "1")->config.max_batch_size, 0);
  ServingConfig config;
  config.max_batch_size = 8;
  ASSERT_TRUE(registry_->UpdateServingConfig("default", "m", "1", config).ok());
  EXPECT_EQ(registry_->GetVersion("default", "m", "1")->config.max_batch_size, 8);
  EXPECT_EQ(registry_->GetVersion("default", "m", "")->version, 1);
  ASSERT_TRUE(Push("m", "ok 2").ok());
  EXPECT_EQ(registry_->GetVersion("default", "m", "")->version, 2);
  ASSERT_TRUE(registry_->DeleteVersion("default", "m", "2").ok());
  EXPECT_TRUE(absl::IsNotFound(registry_->GetVersion("default", "m", "2").status()));
  EXPECT_EQ(registry_->GetVersion("default", "m", "")->version, 1);
  ASSERT_TRUE(registry_->DeleteModel("default", "m").ok());
  EXPECT_TRUE(absl::IsNotFound(registry_->GetVersion("default", "m", "1").status()));
  EXPECT_TRUE(absl::IsNotFound(registry_->GetVersion("default", "m", "").status()));
}

TEST_F(ModelRegistryTest, SharedBlobSurvivesUntilLastReference) {
  ASSERT_TRUE(Push("a", "ok same").ok());
  ASSERT_TRUE(Push("b", "ok same").ok());
  EXPECT_EQ(BlobCount(), 1u);
  ASSERT_TRUE(registry_->DeleteModel("default", "a").ok());
  EXPECT_EQ(BlobCount(), 1u);
  ASSERT_TRUE(registry_->DeleteVersion("default", "b", "1").ok());
  EXPECT_EQ(BlobCount(), 0u);
}

TEST_F(ModelRegistryTest, InferenceLoadsOnceUnderConcurrencyAndSelectsOutputs) {
  auto version = Push("m", "ok");
  ASSERT_TRUE(version.ok());
  int loads_after_push = runtime_->loads.load();
  InferenceService inference(registry_, &env_.runtimes, InferenceServiceOptions{});
  std::vector<std::thread> threads;
  std::atomic<int> successes{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      InferRequest request;
      Tensor x;
      x.dtype = DataType::kUint8;
      x.shape = {1};
      x.data = {std::byte{7}};
      request.inputs["x"] = x;
      request.requested_outputs = {"z"};
      auto response = InferSync(inference, *version, request);
      if (response.ok() && response->outputs.size() == 1 && response->outputs[0].first == "z") {
        ++successes;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(successes.load(), 8);
  EXPECT_EQ(runtime_->loads.load() - loads_after_push, 1);

  InferRequest unknown_output;
  unknown_output.inputs["x"] = Tensor{DataType::kUint8, {1}, {std::byte{1}}};
  unknown_output.requested_outputs = {"nope"};
  auto response = InferSync(inference, *version, unknown_output);
  EXPECT_EQ(response.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelRegistryTest, CorruptedBlobIsNotServed) {
  auto version = Push("m", "ok");
  ASSERT_TRUE(version.ok());
  auto path = registry_->ArtifactPath(*version);
  ASSERT_TRUE(path.ok());
  std::filesystem::permissions(*path, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::ofstream(*path, std::ios::app) << "tampered";
  InferenceService inference(registry_, &env_.runtimes, InferenceServiceOptions{});
  auto loaded = inference.EnsureLoaded(*version);
  EXPECT_EQ(loaded.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(loaded.message().find("corrupt"), std::string::npos) << loaded;
}

}  // namespace
}  // namespace aiaas::services
