// An unload that arrives while a version is still loading: the unload wins, is
// counted once, and the waiting request gets the "being unloaded" answer.
#include <atomic>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "monitoring/metrics.h"
#include "services/inference_service.h"
#include "services/model_registry.h"
#include "services/registry_test_env.h"

namespace aiaas::services {
namespace {

class EchoServable final : public runtime::Servable {
 public:
  EchoServable() {
    signature_.inputs = {TensorSpec{"x", std::nullopt, std::nullopt}};
    signature_.outputs = {TensorSpec{"y", std::nullopt, std::nullopt}};
  }
  const Signature& signature() const override { return signature_; }
  absl::StatusOr<runtime::NamedTensors> Infer(const TensorMap& inputs) override {
    return runtime::NamedTensors{{"y", inputs.at("x")}};
  }

 private:
  Signature signature_;
};

// Loads instantly until Hold() is called; then the next Load() reports that it
// started and blocks until Release().
class GatedRuntime final : public runtime::Runtime {
 public:
  std::string_view format() const override { return "gated"; }
  absl::StatusOr<std::unique_ptr<runtime::Servable>> Load(
      const std::string&, const std::optional<Signature>&) override {
    ++loads;
    if (held_.exchange(false)) {
      started_.Notify();
      release_.WaitForNotification();
    }
    return std::make_unique<EchoServable>();
  }
  void Hold() { held_ = true; }
  void WaitUntilLoading() { started_.WaitForNotification(); }
  void Release() { release_.Notify(); }

  std::atomic<int> loads{0};

 private:
  std::atomic<bool> held_{false};
  absl::Notification started_;
  absl::Notification release_;
};

Tensor Scalar(float value) {
  Tensor tensor;
  tensor.dtype = DataType::kFp32;
  tensor.shape = {1};
  tensor.data.resize(sizeof(float));
  std::memcpy(tensor.data.data(), &value, sizeof(float));
  return tensor;
}

// Sums the samples of `metric` whose labels contain `labels`.
double MetricSum(const std::string& text, const std::string& metric, const std::string& labels) {
  double sum = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(metric + "{", 0) != 0 || line.find(labels) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

class InferenceServiceUnloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto gated = std::make_unique<GatedRuntime>();
    runtime_ = gated.get();
    ASSERT_TRUE(env_.Open(std::move(gated)).ok());
    InferenceServiceOptions options;
    options.metrics = &metrics_;
    service_ = std::make_unique<InferenceService>(env_.registry.get(), &env_.runtimes, options);
    auto version = env_.Push("default", "m", "model bytes", "gated");
    ASSERT_TRUE(version.ok()) << version.status();
    version_ = *version;
  }

  void InferAsync(absl::StatusOr<InferResponse>* result, absl::Notification* done) {
    InferRequest request;
    request.inputs.emplace("x", Scalar(2.0f));
    service_->Infer(version_, std::move(request), InferOptions{},
                    [result, done](absl::StatusOr<InferResponse> response) {
                      *result = std::move(response);
                      done->Notify();
                    });
  }

  double Counted(const std::string& metric) {
    return MetricSum(metrics_.Serialize(), metric, "model=\"m\"");
  }

  RegistryTestEnv env_;
  GatedRuntime* runtime_ = nullptr;
  monitoring::Metrics metrics_;
  std::unique_ptr<InferenceService> service_;
  storage::VersionRecord version_;
};

TEST_F(InferenceServiceUnloadTest, UnloadDuringLoadWinsAndIsCountedOnce) {
  const int loads_at_push = runtime_->loads;
  runtime_->Hold();
  absl::StatusOr<InferResponse> first;
  absl::Notification first_done;
  std::thread client([&] { InferAsync(&first, &first_done); });
  runtime_->WaitUntilLoading();

  service_->Unload("default", "m", version_.version);
  EXPECT_FALSE(service_->IsLoaded(version_));
  runtime_->Release();
  client.join();
  first_done.WaitForNotification();

  // The request that started the load is answered like one queued during an unload.
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(first.status().message().find("is being unloaded"), std::string::npos)
      << first.status();
  // The orphaned load is not cached: nothing is loaded and its unload is counted.
  EXPECT_FALSE(service_->IsLoaded(version_));
  EXPECT_EQ(service_->loaded_bytes(), 0);
  EXPECT_EQ(Counted("aiaas_model_unloads_total"), 1);

  // The next request loads afresh and is served.
  absl::StatusOr<InferResponse> second;
  absl::Notification second_done;
  InferAsync(&second, &second_done);
  second_done.WaitForNotification();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(runtime_->loads, loads_at_push + 2);
  EXPECT_TRUE(service_->IsLoaded(version_));

  // Every counted load has its unload once the model is dropped again.
  service_->UnloadModel("default", "m");
  EXPECT_EQ(Counted("aiaas_model_unloads_total"), 2);
  EXPECT_EQ(Counted("aiaas_model_loads_total"), 2);
}

}  // namespace
}  // namespace aiaas::services
