// aiaas-server: the LibTorch-linked server process that `aiaas serve` execs.

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "monitoring/metrics.h"
#include "monitoring/model_stats.h"
#include "runtime/torchscript_runtime.h"
#include "server/http_server.h"
#include "server/inference_api.h"
#include "server/management_api.h"
#include "server/repository_api.h"
#include "services/inference_service.h"
#include "services/model_registry.h"
#include "storage/local_artifact_store.h"
#include "storage/sqlite_metadata_store.h"

namespace {

int DefaultThreads() { return std::max(1u, std::thread::hardware_concurrency()); }

// The Host names to answer: the given list, or the bound address and the
// loopback names. Lowercase; IPv6 literals in brackets as they appear in Host.
std::vector<std::string> AllowedHosts(const std::string& bind_host,
                                      const std::vector<std::string>& flag) {
  std::vector<std::string> hosts;
  if (!flag.empty()) {
    for (const std::string& host : flag) {
      if (!host.empty()) hosts.push_back(absl::AsciiStrToLower(host));
    }
    return hosts;
  }
  std::string bound = absl::AsciiStrToLower(bind_host);
  if (bound.find(':') != std::string::npos && bound.front() != '[') {
    bound = absl::StrCat("[", bound, "]");
  }
  hosts = {bound, "localhost", "127.0.0.1", "[::1]"};
  return hosts;
}

}  // namespace

ABSL_FLAG(std::string, data_dir, "./aiaas-data",
          "Folder for the metadata database (metadata.db) and artifacts (blobs/)");
ABSL_FLAG(std::string, host, "127.0.0.1", "Address to listen on (loopback by default)");
ABSL_FLAG(int, port, 8080, "TCP port to listen on; 0 picks a free one (printed at start)");
ABSL_FLAG(int, http_threads, 2, "Threads running the asynchronous HTTP I/O loop");
ABSL_FLAG(int, worker_threads, DefaultThreads(),
          "Threads running request handlers (model loading, inference)");
ABSL_FLAG(int, intra_op_threads, DefaultThreads(),
          "LibTorch intra-op threads per forward pass (set on every inference thread)");
ABSL_FLAG(int64_t, max_body_bytes, 64LL << 20,
          "Largest inference or management request body in bytes (413 beyond)");
ABSL_FLAG(int64_t, max_upload_bytes, 8LL << 30,
          "Largest model artifact upload in bytes, streamed to disk (413 beyond)");
ABSL_FLAG(int64_t, max_body_chunks, 100000,
          "Most chunks one chunked request body may have (413 beyond)");
ABSL_FLAG(std::vector<std::string>, allowed_hosts, {},
          "Comma-separated Host header names (without port) the server answers; others get "
          "421. Default: the --host address, localhost, 127.0.0.1 and [::1]");
ABSL_FLAG(int64_t, max_tensor_elements, 1LL << 28,
          "Largest element count of one request tensor (400 beyond)");
ABSL_FLAG(int, exit_timeout_s, 30,
          "On SIGTERM/SIGINT, seconds to let in-flight requests finish before exiting");
ABSL_FLAG(int, idle_timeout_s, 60, "Seconds a connection may make no read/write progress");
ABSL_FLAG(std::string, log_format, "text", "Log line format: text or json");
ABSL_FLAG(bool, access_log, false, "Log one structured line per HTTP request");
ABSL_FLAG(int64_t, model_memory_budget, 0,
          "Bytes of model weights that may be loaded at once; least recently used unpinned "
          "versions are evicted beyond it (0 = unlimited)");

namespace aiaas {
namespace {

int Run() {
  const std::string log_format = absl::GetFlag(FLAGS_log_format);
  if (log_format != "text" && log_format != "json") {
    LogError("--log-format must be text or json", {{"got", log_format}});
    return 2;
  }
  Logger::Get().set_format(log_format == "json" ? LogFormat::kJson : LogFormat::kText);

  // Signals are taken by sigwait() below; block them before any thread starts
  // so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::string data_dir = absl::GetFlag(FLAGS_data_dir);
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    LogError("cannot create --data-dir", {{"path", data_dir}, {"error", ec.message()}});
    return 1;
  }
  auto metadata = storage::SqliteMetadataStore::Open(data_dir + "/metadata.db");
  if (!metadata.ok()) {
    LogError("cannot open the metadata store", {{"error", metadata.status().ToString()}});
    return 1;
  }
  auto artifacts = storage::LocalArtifactStore::Open(data_dir);
  if (!artifacts.ok()) {
    LogError("cannot open the artifact store", {{"error", artifacts.status().ToString()}});
    return 1;
  }

  runtime::RuntimeRegistry runtimes;
  runtime::TorchScriptOptions torchscript;
  torchscript.intra_op_threads = std::max(1, absl::GetFlag(FLAGS_intra_op_threads));
  runtimes.Register(std::make_unique<runtime::TorchScriptRuntime>(torchscript));

  monitoring::Metrics metrics;
  monitoring::ModelStats stats;
  services::ModelRegistry registry(metadata->get(), artifacts->get(), &runtimes);
  services::InferenceServiceOptions inference_options;
  inference_options.model_memory_budget_bytes = absl::GetFlag(FLAGS_model_memory_budget);
  inference_options.metrics = &metrics;
  inference_options.stats = &stats;
  services::InferenceService inference(&registry, &runtimes, inference_options);

  server::Readiness readiness;
  server::Router router;
  server::CodecLimits limits;
  limits.max_elements_per_tensor = absl::GetFlag(FLAGS_max_tensor_elements);
  server::InferenceApiDeps deps;
  deps.inference = &inference;
  deps.registry = &registry;
  deps.readiness = &readiness;
  deps.metrics = &metrics;
  deps.stats = &stats;
  server::RegisterInferenceApi(&router, deps, limits);
  server::ManagementApiOptions management;
  management.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  server::RegisterManagementApi(&router, &registry, &inference, management);
  server::RegisterRepositoryApi(&router, &registry, &inference);

  server::HttpServerOptions http;
  http.host = absl::GetFlag(FLAGS_host);
  http.port = absl::GetFlag(FLAGS_port);
  http.io_threads = absl::GetFlag(FLAGS_http_threads);
  http.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  http.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  http.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  http.idle_timeout_s = absl::GetFlag(FLAGS_idle_timeout_s);
  http.access_log = absl::GetFlag(FLAGS_access_log);
  http.max_body_chunks = absl::GetFlag(FLAGS_max_body_chunks);
  http.allowed_hosts = AllowedHosts(http.host, absl::GetFlag(FLAGS_allowed_hosts));
  http.on_response = [&metrics](const std::string& route, int status) {
    metrics.RecordHttp(route, status);
  };
  auto http_server = server::HttpServer::Create(http, &router);
  if (!http_server.ok()) {
    LogError("cannot start the HTTP server", {{"error", http_server.status().ToString()}});
    return 1;
  }
  (*http_server)->Start();
  readiness.ready = true;
  LogInfo("aiaas listening",
          {{"address", absl::StrCat("http://", http.host, ":", (*http_server)->port())},
           {"data_dir", data_dir},
           {"intra_op_threads", absl::StrCat(torchscript.intra_op_threads)},
           {"worker_threads", absl::StrCat(http.worker_threads)}});

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LogInfo("shutting down: finishing in-flight requests",
          {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
           {"exit_timeout_s", absl::StrCat(absl::GetFlag(FLAGS_exit_timeout_s))}});
  readiness.ready = false;
  (*http_server)->BeginDrain();
  bool idle = (*http_server)->WaitIdle(absl::Seconds(absl::GetFlag(FLAGS_exit_timeout_s)));
  if (!idle) LogWarning("exit timeout reached with requests still in flight");
  (*http_server)->Stop();
  LogInfo("stopped");
  return 0;
}

}  // namespace
}  // namespace aiaas

namespace {

// Abseil flags are spelled with underscores; users (and the docs) write
// `--data-dir`. Rewrites the name part of every `--flag[=value]` argument.
std::vector<std::string> NormalizeFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& arg = args[i];
    if (arg == "--") break;
    if (arg.rfind("--", 0) != 0) continue;
    size_t end = std::min(arg.find('='), arg.size());
    std::replace(arg.begin() + 2, arg.begin() + static_cast<std::ptrdiff_t>(end), '-', '_');
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "serves models over KServe v2 and the aiaas management API.\n"
      "Usually started as `aiaas serve [flags]`. Flags may be written with '-' or '_'.");
  // --help lists this file's flags (Abseil's default matches on the program name).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "server_main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  std::vector<std::string> args = NormalizeFlagNames(argc, argv);
  std::vector<char*> arg_pointers;
  for (auto& arg : args) arg_pointers.push_back(arg.data());
  absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  return aiaas::Run();
}
