#include "server/stats_json.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "monitoring/model_stats.h"

namespace aiaas::server {
namespace {

using nlohmann::json;

TEST(StatsJsonTest, EmptyListIsAnEmptyArray) {
  EXPECT_EQ(json::parse(ModelStatsJson({})), json::parse(R"({"model_stats":[]})"));
}

TEST(StatsJsonTest, MatchesTritonStatisticsShape) {
  monitoring::ModelStats stats([] { return int64_t{1700000000123}; });
  stats.RecordBatch("resnet", "3", 4, 400);
  stats.RecordBatch("resnet", "3", 4, 600);
  stats.RecordBatch("resnet", "3", 1, 90);
  stats.RecordSuccess("resnet", "3", /*e2e_ns=*/1000, /*queue_ns=*/100, /*compute_ns=*/400,
                      /*rows=*/4);
  stats.RecordFailure("resnet", "3", 77);
  stats.RecordFailure("resnet", "10", 5);

  const json got = json::parse(ModelStatsJson(stats.Snapshot("resnet", std::nullopt)));
  const json want = json::parse(R"({"model_stats":[
    {"name":"resnet","version":"3","last_inference":1700000000123,
     "inference_count":4,"execution_count":3,
     "inference_stats":{
       "success":{"count":1,"ns":1000},
       "fail":{"count":1,"ns":77},
       "queue":{"count":1,"ns":100},
       "compute_input":{"count":0,"ns":0},
       "compute_infer":{"count":1,"ns":400},
       "compute_output":{"count":0,"ns":0}},
     "batch_stats":[
       {"batch_size":1,"compute_infer":{"count":1,"ns":90}},
       {"batch_size":4,"compute_infer":{"count":2,"ns":1000}}]},
    {"name":"resnet","version":"10","last_inference":0,
     "inference_count":0,"execution_count":0,
     "inference_stats":{
       "success":{"count":0,"ns":0},
       "fail":{"count":1,"ns":5},
       "queue":{"count":0,"ns":0},
       "compute_input":{"count":0,"ns":0},
       "compute_infer":{"count":0,"ns":0},
       "compute_output":{"count":0,"ns":0}},
     "batch_stats":[]}]})");
  EXPECT_EQ(got, want) << got.dump(2);
}

TEST(StatsJsonTest, VersionIsAStringAndCountsAreUnsigned) {
  monitoring::ModelStats stats;
  stats.RecordSuccess("m", "7", 1, 1, 1, 1);
  const json entry = json::parse(ModelStatsJson(stats.SnapshotAll()))["model_stats"][0];
  EXPECT_TRUE(entry["version"].is_string());
  EXPECT_TRUE(entry["inference_count"].is_number_unsigned());
  EXPECT_TRUE(entry["inference_stats"]["success"]["ns"].is_number_unsigned());
}

}  // namespace
}  // namespace aiaas::server
