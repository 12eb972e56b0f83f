#include "cli/perf_report.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::HasSubstr;

PerfRunInfo Info(bool server_stats) {
  PerfRunInfo info;
  info.model = "m";
  info.protocol = "json";
  info.duration_s = 3;
  info.warmup_s = 1;
  info.inputs = {{"input", DataType::kFp32, {1, 784}, ""}};
  info.server_stats = server_stats;
  return info;
}

PerfStepResult Step() {
  PerfStepResult step;
  step.concurrency = 4;
  step.threads = 4;
  step.window_s = 2;
  step.latency = {1000, 1500, 1200, 2500, 4000, 9000};
  step.errors = {{"503", 3}, {"timeout", 1}};
  step.error_details = {{"503", "overloaded"}};
  step.response_bytes = 12345;
  return step;
}

TEST(FormatErrorsTest, TotalThenMostFrequent) {
  EXPECT_EQ(FormatErrors({}), "0");
  EXPECT_EQ(FormatErrors({{"timeout", 1}, {"503", 3}, {"400", 0}}),
            "4 (503: 3, timeout: 1, 400: 0)");
}

TEST(FormatErrorDetailsTest, OneLinePerError) {
  PerfStepResult step = Step();
  step.error_details["timeout"] = "Operation timed out";
  EXPECT_EQ(FormatErrorDetails(step), "  503: overloaded\n  timeout: Operation timed out\n");
  EXPECT_EQ(FormatErrorDetails(PerfStepResult{}), "");
}

TEST(ThroughputTest, CountsBatchElements) {
  PerfStepResult step = Step();
  EXPECT_DOUBLE_EQ(Throughput(step), 500);
  step.batch_size = 8;
  EXPECT_DOUBLE_EQ(Throughput(step), 4000);
  step.window_s = 0;
  EXPECT_DOUBLE_EQ(Throughput(step), 0);
}

TEST(FormatReportTest, TableWithoutServerStats) {
  const PerfRunInfo info = Info(false);
  EXPECT_EQ(FormatReportHeader(info) + FormatStepLine(info, Step()),
            "model m (version default), protocol json, inputs: input FP32 [1, 784]\n"
            "closed loop, 3s measured after 1s warmup per step; server statistics not "
            "available\n"
            "CONCURRENCY    INFER/S     P50 MS     P90 MS     P99 MS     MAX MS  ERRORS\n"
            "4                500.0       1.20       2.50       4.00       9.00  "
            "4 (503: 3, timeout: 1)\n");
}

TEST(FormatReportTest, TableWithServerStatsAndRates) {
  PerfRunInfo info = Info(true);
  info.open_loop = true;
  info.arrivals = "poisson";
  info.version = "2";
  PerfStepResult step = Step();
  step.request_rate = 250.5;
  step.errors.clear();
  ServerStatsDelta server;
  server.queue_avg_us = 12.5;
  server.compute_avg_us = 640;
  step.server = server;
  const std::string text = FormatReportHeader(info) + FormatStepLine(info, step);
  EXPECT_THAT(text, HasSubstr("(version 2)"));
  EXPECT_THAT(text, HasSubstr("open loop (poisson arrivals), 3s measured"));
  EXPECT_THAT(text, HasSubstr("RATE/S         INFER/S     P50 MS     P90 MS     P99 MS     MAX MS"
                              "  SRV QUEUE MS  SRV COMPUTE MS  ERRORS\n"));
  EXPECT_THAT(text, HasSubstr("250.5            500.0       1.20       2.50       4.00       "
                              "9.00         0.013           0.640  0\n"));
  step.server.reset();
  EXPECT_THAT(FormatStepLine(info, step), HasSubstr("9.00             -               -  0\n"));
}

TEST(ReportJsonTest, AllSteps) {
  PerfRunInfo info = Info(true);
  PerfStepResult first = Step();
  ServerStatsDelta server;
  server.requests = 1000;
  server.queue_avg_us = 20;
  first.server = server;
  PerfStepResult second = Step();
  second.concurrency = 8;
  second.errors.clear();
  const nlohmann::ordered_json report = ReportJson(info, {first, second});
  EXPECT_EQ(report["model"], "m");
  EXPECT_TRUE(report["version"].is_null());
  EXPECT_EQ(report["mode"], "concurrency");
  EXPECT_EQ(report["inputs"].dump(), R"([{"name":"input","datatype":"FP32","shape":[1,784]}])");
  ASSERT_EQ(report["steps"].size(), 2u);
  const auto& step = report["steps"][0];
  EXPECT_EQ(step["concurrency"], 4);
  EXPECT_EQ(step["requests"], 1000);
  EXPECT_DOUBLE_EQ(step["throughput_infer_per_s"].get<double>(), 500);
  EXPECT_DOUBLE_EQ(step["latency_ms"]["p99"].get<double>(), 4);
  EXPECT_EQ(step["errors"].dump(), R"({"503":3,"timeout":1})");
  EXPECT_EQ(step["error_count"], 4);
  EXPECT_EQ(step["error_details"].dump(), R"({"503":"overloaded"})");
  EXPECT_DOUBLE_EQ(step["server"]["queue_avg_ms"].get<double>(), 0.02);
  EXPECT_TRUE(step["server"]["compute_avg_ms"].is_null());
  EXPECT_FALSE(report["steps"][1].contains("server"));
  EXPECT_EQ(report["steps"][1]["errors"].dump(), "{}");
}

}  // namespace
}  // namespace aiaas::cli
