// aiaas-server: the LibTorch-linked server process that `aiaas serve` execs.

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
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
#include "common/clock.h"
#include "common/logging.h"
#include "monitoring/metrics.h"
#include "monitoring/model_stats.h"
#include "runtime/native_runtime.h"
#include "runtime/onnx/onnx_runtime.h"
#include "runtime/torchscript_runtime.h"
#include "server/auth_admission.h"
#include "server/audit_api.h"
#include "server/dataset_api.h"
#include "server/export_api.h"
#include "server/job_api.h"
#include "server/job_events_api.h"
#include "server/auth_api.h"
#include "server/http_server.h"
#include "server/inference_api.h"
#include "server/listen_policy.h"
#include "server/management_api.h"
#include "server/quota_api.h"
#include "server/metrics_listener.h"
#include "server/repository_api.h"
#include "server/request_audit.h"
#include "server/tls_context.h"
#include "services/audit_log.h"
#include "services/blob_collect.h"
#include "services/auth_service.h"
#include "services/dataset_service.h"
#include "services/job_service.h"
#include "services/inference_service.h"
#include "services/model_access.h"
#include "services/model_registry.h"
#include "services/native_model_exporter.h"
#include "services/quotas.h"
#include "services/train_job_runner.h"
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
ABSL_FLAG(int64_t, max_export_artifact_bytes, int64_t{1} << 30,
          "Largest trained model an export (GET .../export) reads into memory (413 beyond)");
ABSL_FLAG(int64_t, max_upload_bytes, 8LL << 30,
          "Largest model artifact upload in bytes, streamed to disk (413 beyond)");
ABSL_FLAG(int64_t, max_dataset_bytes, 256LL << 20,
          "Largest dataset upload in bytes (413 beyond); datasets are parsed in memory");
ABSL_FLAG(int64_t, max_dataset_inflated_bytes, 1LL << 30,
          "Largest size a compressed dataset (.csv.gz, .npz) may inflate to (400 beyond)");
ABSL_FLAG(int, training_workers, 1,
          "Training jobs running at once; more wait queued (each uses --training-threads)");
ABSL_FLAG(int, training_threads, 1,
          "LibTorch intra-op threads of each training job (separate from --intra-op-threads)");
ABSL_FLAG(int64_t, max_body_chunks, 100000,
          "Most chunks one chunked request body may have (413 beyond)");
ABSL_FLAG(int64_t, max_event_streams, 64,
          "Most streamed responses (Server-Sent Events) open at once, each holding a "
          "connection (503 with Retry-After beyond)");
ABSL_FLAG(std::vector<std::string>, allowed_hosts, {},
          "Comma-separated Host header names (without port) the server answers; others get "
          "421. Default: the --host address, localhost, 127.0.0.1 and [::1]");
ABSL_FLAG(int64_t, max_request_memory_bytes, 4LL << 30,
          "Most CPU tensor memory one model execution (a batch) may hold at once; a request "
          "needing more gets 413. 0 = unlimited");
ABSL_FLAG(int64_t, orphan_blob_min_age_s, 600,
          "At start, blobs no model version, dataset or job refers to (left by a crash) are "
          "removed once they are this old");
ABSL_FLAG(int64_t, max_tensor_elements, 1LL << 28,
          "Largest element count of one request tensor (400 beyond)");
ABSL_FLAG(int, exit_timeout_s, 30,
          "On SIGTERM/SIGINT, seconds to let in-flight requests finish before exiting");
ABSL_FLAG(int, idle_timeout_s, 60,
          "Seconds a buffered request body (or one upload chunk) may take to arrive, and a response write to finish");
ABSL_FLAG(int, header_timeout_s, 10,
          "Seconds a request's whole header block may take to arrive (slow clients are "
          "dropped), and a kept-alive connection may wait for its next request");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain (leaf first) to serve HTTPS with (TLS >= 1.2); needs --tls-key. "
          "Read once at start: rotating it means a restart");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert (unencrypted)");
ABSL_FLAG(bool, insecure_plaintext, false,
          "Allow plain HTTP on a non-loopback --host (e.g. behind a TLS-terminating proxy); "
          "without it or --tls-cert/--tls-key such a server refuses to start");
ABSL_FLAG(int, metrics_port, 0,
          "Port of a second listener on 127.0.0.1 that serves only GET /metrics (every tenant, "
          "no API key) for a local Prometheus agent; 0 = off");
ABSL_FLAG(std::string, log_format, "text", "Log line format: text or json");
ABSL_FLAG(bool, access_log, false, "Log one structured line per HTTP request");
ABSL_FLAG(int64_t, model_memory_budget, 0,
          "Bytes of model weights that may be loaded at once; least recently used unpinned "
          "versions are evicted beyond it (0 = unlimited)");
ABSL_FLAG(std::string, auth, "on",
          "API key authentication: on, or off (loopback --host only; every request then acts "
          "as a server admin of tenant 'default')");
ABSL_FLAG(bool, create_admin_key, false,
          "Offline recovery: create a server-admin key in --data-dir, print it on stdout, write "
          "it to <data-dir>/admin.key and exit without serving");
ABSL_FLAG(double, key_inference_rps, 10000,
          "Inference requests per second per API key (0 = unlimited); a key's own "
          "rate_limit_rps replaces it");
ABSL_FLAG(double, key_inference_burst, 10000, "Inference burst per API key");
ABSL_FLAG(double, key_management_rps, 100,
          "Management requests (/api/..., /metrics) per second per API key (0 = unlimited)");
ABSL_FLAG(double, key_management_burst, 200, "Management burst per API key");
ABSL_FLAG(double, tenant_inference_rps, 20000,
          "Inference requests per second per tenant, all its keys together (0 = unlimited)");
ABSL_FLAG(double, tenant_inference_burst, 20000, "Inference burst per tenant");
ABSL_FLAG(double, tenant_management_rps, 200,
          "Management requests per second per tenant, all its keys together (0 = unlimited)");
ABSL_FLAG(double, tenant_management_burst, 400, "Management burst per tenant");
ABSL_FLAG(int64_t, tenant_max_models, 1000,
          "Default quota: most models per tenant (PUT /api/v1/tenants/{name}/quotas overrides "
          "it for one tenant)");
ABSL_FLAG(int64_t, tenant_max_stored_bytes, 100LL << 30,
          "Default quota: most artifact bytes per tenant, the sum of its versions' sizes "
          "(100 GiB)");
ABSL_FLAG(int64_t, tenant_max_concurrent_jobs, 4,
          "Default quota: most jobs one tenant may run at once");

namespace aiaas {
namespace {

// One token bucket from its --*-rps and --*-burst flags; nullopt when rps is 0
// (unlimited). InvalidArgument for a negative or non-finite rate or a burst
// below 1.
absl::StatusOr<std::optional<services::RateLimit>> RateLimitFromFlags(
    const absl::Flag<double>& rps_flag, const absl::Flag<double>& burst_flag,
    const std::string& name) {
  const double rps = absl::GetFlag(rps_flag);
  const double burst = absl::GetFlag(burst_flag);
  if (!std::isfinite(rps) || rps < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, "-rps must be >= 0"));
  }
  if (rps == 0) return std::optional<services::RateLimit>();
  if (!std::isfinite(burst) || burst < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, "-burst must be >= 1"));
  }
  return std::optional<services::RateLimit>(services::RateLimit{rps, burst});
}

absl::StatusOr<server::AuthAdmissionOptions> AdmissionOptionsFromFlags() {
  server::AuthAdmissionOptions options;
  auto key_inference =
      RateLimitFromFlags(FLAGS_key_inference_rps, FLAGS_key_inference_burst, "key-inference");
  if (!key_inference.ok()) return key_inference.status();
  options.key_inference = *key_inference;
  auto key_management =
      RateLimitFromFlags(FLAGS_key_management_rps, FLAGS_key_management_burst, "key-management");
  if (!key_management.ok()) return key_management.status();
  options.key_management = *key_management;
  auto tenant_inference = RateLimitFromFlags(FLAGS_tenant_inference_rps,
                                             FLAGS_tenant_inference_burst, "tenant-inference");
  if (!tenant_inference.ok()) return tenant_inference.status();
  options.tenant_inference = *tenant_inference;
  auto tenant_management = RateLimitFromFlags(FLAGS_tenant_management_rps,
                                              FLAGS_tenant_management_burst, "tenant-management");
  if (!tenant_management.ok()) return tenant_management.status();
  options.tenant_management = *tenant_management;
  return options;
}

// `aiaas-server --create-admin-key`: offline recovery. Writes nothing but the
// key to stdout, so `aiaas admin create-key` can pass it through.
int CreateAdminKey(const std::string& data_dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    LogError("--create-admin-key: --data-dir is not a directory", {{"path", data_dir}});
    return 1;
  }
  auto store = storage::SqliteMetadataStore::Open(data_dir + "/metadata.db");
  if (!store.ok()) {
    LogError("cannot open the metadata store", {{"error", store.status().ToString()}});
    return 1;
  }
  services::AuthService auth(store->get(), RealClock::Get());
  absl::StatusOr<std::string> key = auth.CreateRecoveryKey(data_dir);
  if (!key.ok()) {
    LogError("cannot create an admin key", {{"error", key.status().ToString()}});
    return 1;
  }
  services::AuditLogOptions audit_options;
  audit_options.file_path = data_dir + "/" + services::kAuditLogFileName;
  if (auto audit = services::AuditLog::Create(store->get(), RealClock::Get(), audit_options);
      audit.ok()) {
    (*audit)->Record(services::LocalKeyCreatedEvent(
        *key, "offline recovery server-admin key (aiaas admin create-key)"));
  } else {
    LogError("cannot open the audit log", {{"error", audit.status().ToString()}});
  }
  std::fprintf(stdout, "%s\n", key->c_str());
  std::fflush(stdout);
  return 0;
}

// The bootstrap key, once, on the console only (never through the logger, so
// it stays out of collected JSON logs).
void PrintBootstrapKey(const std::string& data_dir, const std::string& key) {
  const std::string rule(72, '=');
  std::fprintf(stderr, "%s\nadmin API key (shown once, also in %s/%s): %s\n%s\n", rule.c_str(),
               data_dir.c_str(), services::kAdminKeyFileName, key.c_str(), rule.c_str());
  std::fflush(stderr);
}

int Run() {
  const std::string log_format = absl::GetFlag(FLAGS_log_format);
  if (log_format != "text" && log_format != "json") {
    LogError("--log-format must be text or json", {{"got", log_format}});
    return 2;
  }
  if (absl::GetFlag(FLAGS_header_timeout_s) < 1 || absl::GetFlag(FLAGS_idle_timeout_s) < 1) {
    LogError("--header-timeout-s and --idle-timeout-s must be >= 1");
    return 2;
  }
  if (absl::GetFlag(FLAGS_max_event_streams) < 0) {
    LogError("--max-event-streams must be >= 0");
    return 2;
  }
  if (absl::GetFlag(FLAGS_orphan_blob_min_age_s) < 0) {
    LogError("--orphan-blob-min-age-s must be >= 0");
    return 2;
  }
  if (absl::GetFlag(FLAGS_max_request_memory_bytes) < 0) {
    LogError("--max-request-memory-bytes must be >= 0 (0: unlimited)");
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
  if (absl::GetFlag(FLAGS_create_admin_key)) return CreateAdminKey(data_dir);

  const std::string auth_mode = absl::GetFlag(FLAGS_auth);
  if (auth_mode != "on" && auth_mode != "off") {
    LogError("--auth must be on or off", {{"got", auth_mode}});
    return 2;
  }
  const bool auth_on = auth_mode == "on";
  const std::string host = absl::GetFlag(FLAGS_host);
  server::ListenFlags listen_flags;
  listen_flags.host = host;
  listen_flags.auth_on = auth_on;
  listen_flags.tls_cert_path = absl::GetFlag(FLAGS_tls_cert);
  listen_flags.tls_key_path = absl::GetFlag(FLAGS_tls_key);
  listen_flags.insecure_plaintext = absl::GetFlag(FLAGS_insecure_plaintext);
  absl::StatusOr<server::ListenTransport> transport = server::DecideListenTransport(listen_flags);
  if (!transport.ok()) {
    LogError(std::string(transport.status().message()), {{"host", host}});
    return 2;
  }
  std::shared_ptr<server::TlsContext> tls;
  if (*transport == server::ListenTransport::kTls) {
    auto loaded =
        server::TlsContext::Load({listen_flags.tls_cert_path, listen_flags.tls_key_path});
    if (!loaded.ok()) {
      LogError(absl::StrCat("cannot use the TLS certificate: ", loaded.status().message()));
      return 2;
    }
    tls = *std::move(loaded);
  } else if (*transport == server::ListenTransport::kInsecurePlaintext) {
    LogWarning(
        "serving plain HTTP on a network address (--insecure-plaintext): API keys and data "
        "cross the network unencrypted; use --tls-cert/--tls-key unless a TLS-terminating proxy "
        "or a private network protects this port",
        {{"host", host}});
  }
  const int metrics_port = absl::GetFlag(FLAGS_metrics_port);
  if (metrics_port < 0 || metrics_port > 65535) {
    LogError("--metrics-port must be between 1 and 65535, or 0 (off)");
    return 2;
  }
  auto admission_options = AdmissionOptionsFromFlags();
  if (!admission_options.ok()) {
    LogError(std::string(admission_options.status().message()));
    return 2;
  }
  services::QuotaOptions quota_options;
  quota_options.max_models = absl::GetFlag(FLAGS_tenant_max_models);
  quota_options.max_stored_bytes = absl::GetFlag(FLAGS_tenant_max_stored_bytes);
  quota_options.max_concurrent_jobs = absl::GetFlag(FLAGS_tenant_max_concurrent_jobs);
  if (quota_options.max_models < 0 || quota_options.max_stored_bytes < 0 ||
      quota_options.max_concurrent_jobs < 0) {
    LogError("--tenant-max-models, --tenant-max-stored-bytes and --tenant-max-concurrent-jobs "
             "must be >= 0");
    return 2;
  }

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
  // Blobs a crash left without their row (docs/operations.md "Data directory").
  auto swept = services::SweepUnreferencedBlobs(
      **metadata, **artifacts,
      absl::Now() - absl::Seconds(absl::GetFlag(FLAGS_orphan_blob_min_age_s)));
  if (!swept.ok()) {
    LogWarning("cannot sweep unreferenced blobs", {{"error", swept.status().ToString()}});
  }

  // The audit log (docs/security.md): rows in metadata.db plus <data-dir>/audit.log.
  services::AuditLogOptions audit_options;
  audit_options.file_path = data_dir + "/" + services::kAuditLogFileName;
  auto audit = services::AuditLog::Create(metadata->get(), RealClock::Get(), audit_options);
  if (!audit.ok()) {
    LogError("cannot open the audit log", {{"error", audit.status().ToString()}});
    return 1;
  }

  services::AuthService auth(metadata->get(), RealClock::Get());
  services::ModelAccess access(metadata->get());
  if (auth_on) {
    absl::StatusOr<std::optional<std::string>> bootstrap = auth.BootstrapIfFresh(data_dir);
    if (!bootstrap.ok()) {
      LogError("cannot create the first admin key", {{"error", bootstrap.status().ToString()}});
      return 1;
    }
    if (bootstrap->has_value()) {
      (*audit)->Record(services::LocalKeyCreatedEvent(**bootstrap, "bootstrap server-admin key"));
      PrintBootstrapKey(data_dir, **bootstrap);
    }
  } else {
    LogWarning(
        "authentication is off (--auth=off): every request acts as a server admin of "
        "tenant 'default'");
  }
  server::AuthAdmission admission(&auth, RealClock::Get(), *admission_options);

  runtime::RuntimeRegistry runtimes;
  runtime::TorchScriptOptions torchscript;
  torchscript.intra_op_threads = std::max(1, absl::GetFlag(FLAGS_intra_op_threads));
  runtimes.Register(std::make_unique<runtime::TorchScriptRuntime>(torchscript));
  runtime::OnnxOptions onnx;
  onnx.intra_op_threads = torchscript.intra_op_threads;
  runtimes.Register(std::make_unique<runtime::OnnxRuntime>(onnx));
  runtime::NativeOptions native;
  native.intra_op_threads = torchscript.intra_op_threads;
  runtimes.Register(std::make_unique<runtime::NativeRuntime>(native));

  monitoring::Metrics metrics;
  monitoring::ModelStats stats;
  services::Quotas quotas(metadata->get(), quota_options);
  services::ModelRegistry registry(metadata->get(), artifacts->get(), &runtimes, &quotas);
  services::InferenceServiceOptions inference_options;
  inference_options.model_memory_budget_bytes = absl::GetFlag(FLAGS_model_memory_budget);
  inference_options.max_request_memory_bytes = absl::GetFlag(FLAGS_max_request_memory_bytes);
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
  deps.access = &access;
  // Order matters where patterns overlap (the first registered match wins):
  // the identity routes (`/api/v1/models/{name}/grants`) come before the
  // management API's `/api/v1/models/{owner}/{model}` shared-model routes.
  server::RegisterInferenceApi(&router, deps, limits);
  server::RegisterAuthApi(&router, server::AuthApiDeps{&auth, &access});
  server::RegisterQuotaApi(&router, &quotas);
  server::ManagementApiOptions management;
  management.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  server::RegisterManagementApi(&router, server::ManagementApiDeps{&registry, &inference, &access},
                                management);
  server::RegisterRepositoryApi(&router, &registry, &inference, &access);
  services::NativeModelExporterOptions export_options;
  export_options.max_artifact_bytes = absl::GetFlag(FLAGS_max_export_artifact_bytes);
  services::NativeModelExporter exporter(export_options);
  server::RegisterExportApi(&router, server::ExportApiDeps{&registry, &access, &exporter});
  server::RegisterAuditApi(&router, audit->get());
  services::DatasetServiceOptions dataset_options;
  dataset_options.max_upload_bytes = absl::GetFlag(FLAGS_max_dataset_bytes);
  dataset_options.read.max_bytes = static_cast<size_t>(std::max<int64_t>(0, dataset_options.max_upload_bytes));
  dataset_options.read.max_inflated_bytes =
      static_cast<size_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_max_dataset_inflated_bytes)));
  services::DatasetService datasets(metadata->get(), metadata->get(), artifacts->get(), &quotas,
                                    dataset_options);
  server::RegisterDatasetApi(&router, &datasets);

  // Durable jobs; interrupted ones resume from their checkpoints.
  services::JobServiceOptions job_options;
  job_options.workers = std::max(1, absl::GetFlag(FLAGS_training_workers));
  job_options.logs_dir = data_dir + "/jobs";
  // Declared before the job service, so it outlives the workers that run it.
  services::TrainJobRunnerOptions train_options;
  train_options.intra_op_threads = std::max(1, absl::GetFlag(FLAGS_training_threads));
  services::TrainJobRunner train_runner(&datasets, &registry, train_options);
  services::JobService jobs(metadata->get(), metadata->get(), artifacts->get(), &quotas,
                            job_options);
  jobs.RegisterRunner("train", &train_runner);
  if (absl::Status started = jobs.Start(); !started.ok()) {
    LogError("cannot start the job workers", {{"error", started.ToString()}});
    return 1;
  }
  server::RegisterJobApi(&router, &jobs);
  server::RegisterJobEventsApi(&router, &jobs);

  server::HttpServerOptions http;
  http.host = host;
  http.port = absl::GetFlag(FLAGS_port);
  http.io_threads = absl::GetFlag(FLAGS_http_threads);
  http.worker_threads = absl::GetFlag(FLAGS_worker_threads);
  http.max_body_bytes = absl::GetFlag(FLAGS_max_body_bytes);
  http.max_upload_bytes = absl::GetFlag(FLAGS_max_upload_bytes);
  http.idle_timeout_s = absl::GetFlag(FLAGS_idle_timeout_s);
  http.header_timeout_s = absl::GetFlag(FLAGS_header_timeout_s);
  http.access_log = absl::GetFlag(FLAGS_access_log);
  http.max_body_chunks = absl::GetFlag(FLAGS_max_body_chunks);
  http.max_streams = absl::GetFlag(FLAGS_max_event_streams);
  http.allowed_hosts = AllowedHosts(http.host, absl::GetFlag(FLAGS_allowed_hosts));
  http.admit = server::WithAuditLog(audit->get(),
                                    auth_on ? admission.Hook() : server::AuthOffAdmission());
  http.on_response = [&metrics](const std::string& route, int status) {
    metrics.RecordHttp(route, status);
  };
  http.tls = tls;
  auto http_server = server::HttpServer::Create(http, &router);
  if (!http_server.ok()) {
    LogError("cannot start the HTTP server", {{"error", http_server.status().ToString()}});
    return 1;
  }
  // The operator's loopback metrics port; bound before serving starts, so a
  // taken port stops the start-up.
  server::Router metrics_router;
  std::unique_ptr<server::HttpServer> metrics_server;
  if (metrics_port != 0) {
    server::RegisterMetricsPortApi(&metrics_router, &metrics);
    auto created = server::HttpServer::Create(server::MetricsListenerOptions(http, metrics_port),
                                              &metrics_router);
    if (!created.ok()) {
      LogError("cannot start the metrics listener (--metrics-port)",
               {{"error", created.status().ToString()}});
      return 1;
    }
    metrics_server = *std::move(created);
    metrics_server->Start();
    LogInfo("metrics listening",
            {{"address", absl::StrCat("http://127.0.0.1:", metrics_server->port(), "/metrics")}});
  }
  (*http_server)->Start();
  readiness.ready = true;
  LogInfo("aiaas listening",
          {{"address", absl::StrCat(tls != nullptr ? "https://" : "http://", http.host, ":",
                                    (*http_server)->port())},
           {"data_dir", data_dir},
           {"auth", auth_mode},
           {"intra_op_threads", absl::StrCat(torchscript.intra_op_threads)},
           {"worker_threads", absl::StrCat(http.worker_threads)}});
  (*audit)->Record(services::ServerAuditEvent(
      "server.start", absl::StrCat("aiaas-server listening on port ", (*http_server)->port(),
                                   ", auth ", auth_mode, tls != nullptr ? ", tls" : "")));

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
  if (metrics_server != nullptr) metrics_server->Stop();
  (*audit)->Record(services::ServerAuditEvent(
      "server.stop", absl::StrCat(signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
                                  idle ? "" : "; exit timeout reached with requests in flight")));
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
