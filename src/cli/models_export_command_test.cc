// aiaas models export against a fake server.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli_harness.h"
#include "cli/fake_api_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class ModelsExportCommandTest : public ::testing::Test {
 protected:
  ModelsExportCommandTest() {
    cli_.server_env = server_.url();
    file_ = "/tmp/models_export_test_" + std::to_string(getpid()) + ".onnx";
  }
  ~ModelsExportCommandTest() override { std::remove(file_.c_str()); }
  FakeApiServer server_;
  CliHarness cli_;
  std::string file_;
};

TEST_F(ModelsExportCommandTest, DownloadsTheVersionInTheFormatToTheFile) {
  server_.Answer("GET", "/api/v1/models/iris/versions/2/export?format=onnx", 200, "ONNXBYTES");
  ASSERT_EQ(cli_.Run({"models", "export", "iris:2", "--format", "onnx", "-o", file_}), kExitOk)
      << cli_.err.str();
  EXPECT_EQ(server_.requests().at(0).method, "GET");
  EXPECT_EQ(ReadFile(file_), "ONNXBYTES");
  EXPECT_THAT(cli_.out.str(), StartsWith("exported iris version 2 as onnx to " + file_));

  server_.Answer("GET", "/api/v1/models/team-a/iris/versions/prod/export?format=safetensors", 200,
                 "ST");
  ASSERT_EQ(cli_.Run({"models", "export", "team-a/iris", "--version", "prod", "--format",
                      "safetensors", "--output", file_, "--json"}),
            kExitOk)
      << cli_.err.str();
  EXPECT_EQ(ReadFile(file_), "ST");
  EXPECT_EQ(json::parse(cli_.out.str())["size_bytes"], 2);
}

TEST_F(ModelsExportCommandTest, WithoutAVersionTakesProductionElseTheNewest) {
  server_.Answer("GET", "/api/v1/models/iris", 200,
                 R"({"name": "iris", "latest_version": 3, "aliases": {}})");
  server_.Answer("GET", "/api/v1/models/iris/versions/3/export?format=onnx", 200, "V3");
  ASSERT_EQ(cli_.Run({"models", "export", "iris", "--format", "onnx", "-o", file_}), kExitOk)
      << cli_.err.str();
  EXPECT_EQ(ReadFile(file_), "V3");

  server_.Answer("GET", "/api/v1/models/iris", 200,
                 R"({"name": "iris", "latest_version": 3, "aliases": {"production": 1}})");
  server_.Answer("GET", "/api/v1/models/iris/versions/1/export?format=onnx", 200, "V1");
  ASSERT_EQ(cli_.Run({"models", "export", "iris", "--format", "onnx", "-o", file_}), kExitOk)
      << cli_.err.str();
  EXPECT_EQ(ReadFile(file_), "V1");
}

TEST_F(ModelsExportCommandTest, ServerRefusalsAreErrorsAndWriteNothing) {
  server_.Answer("GET", "/api/v1/models/iris/versions/1/export?format=onnx", 400,
                 R"({"error": "only versions of format 'native' can be exported"})");
  EXPECT_EQ(cli_.Run({"models", "export", "iris:1", "--format", "onnx", "-o", file_}),
            kExitFailure);
  EXPECT_THAT(cli_.err.str(), HasSubstr("only versions of format 'native'"));
  EXPECT_NE(access(file_.c_str(), F_OK), 0);
}

TEST_F(ModelsExportCommandTest, UsageErrorsComeBeforeAnyRequest) {
  for (const auto& [args, message] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"models", "export", "iris", "-o", "x"}, "missing --format"},
           {{"models", "export", "iris", "--format", "pt", "-o", "x"}, "--format 'pt'"},
           {{"models", "export", "iris", "--format", "onnx"}, "missing -o FILE"},
           {{"models", "export", "iris:", "--format", "onnx", "-o", "x"}, "empty version"},
           {{"models", "export", "iris:1", "--version", "2", "--format", "onnx", "-o", "x"},
            "either as NAME:VERSION or --version"},
           {{"models", "export", "Bad Name", "--format", "onnx", "-o", "x"}, "invalid model name"},
       }) {
    EXPECT_EQ(cli_.Run(args), kExitUsage) << message;
    EXPECT_THAT(cli_.err.str(), HasSubstr(message));
  }
  EXPECT_TRUE(server_.requests().empty());
}

}  // namespace
}  // namespace aiaas::cli
