// The same models served as ONNX (runtime/onnx: the interpreter over ATen) and as
// TorchScript, loaded through the real Runtime classes in one process and timed
// interleaved. See docs/benchmarks.md ("ONNX vs TorchScript").
//
//   onnx_vs_torchscript --models DIR [--threads 1] [--batches 1,32] [--rounds 7]
//                       [--round_ms 300] [--warmup_ms 500] [--plain] [--json FILE]
//   onnx_vs_torchscript --models DIR --profile RUNS [--only NAMES] [--batches ...]
//
// DIR is what export_models.py wrote (models.tsv, NAME.pt, NAME.onnx). For every model and
// batch size it:
//  1. loads NAME.onnx with OnnxRuntime and NAME.pt with TorchScriptRuntime (the server's
//     options: freeze + optimize_for_inference; with --plain also without them), all with
//     the same intra-op thread count, each Infer under InferenceMode (both runtimes set
//     it, and set the thread count on the calling thread);
//  2. checks that the outputs agree within 1e-4 (max absolute difference) on a random
//     batch; a mismatch is reported and makes the exit status 1;
//  3. warms each runtime up, then runs `rounds` rounds; each round runs every runtime for
//     about `round_ms` (at least 5 calls), in an order that rotates per round, so machine
//     noise falls on all of them alike;
//  4. prints median and p90 of the per-call latencies (all rounds) and the ONNX/TorchScript
//     ratio of the medians, with the range of the per-round ratios, the median CPU time per
//     call (not inflated when other processes preempt us) and its ratio, plus the CPU that
//     other processes used meanwhile (from /proc/stat; this is a shared 2-core VM).
// With --profile it instead runs each ONNX model's plan with a CPU clock around every
// kernel and prints the time per operator type (plan_profile.h).
// The latency is one Servable::Infer call: request tensor in, response tensor out, as the
// inference service calls it (ToAten wraps the input, FromAten copies the output).

#include <ATen/ATen.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "bench/onnx/plan_profile.h"
#include "runtime/onnx/onnx_runtime.h"
#include "runtime/torchscript_runtime.h"

ABSL_FLAG(std::string, models, "", "folder written by export_models.py");
ABSL_FLAG(int, threads, 1, "intra-op threads for every runtime");
ABSL_FLAG(std::string, batches, "1,32", "comma-separated batch sizes");
ABSL_FLAG(std::string, only, "", "comma-separated model names (default: all in models.tsv)");
ABSL_FLAG(int, rounds, 7, "interleaved rounds per model and batch");
ABSL_FLAG(int, round_ms, 300, "time per runtime per round, ms");
ABSL_FLAG(int, warmup_ms, 500, "warm-up per runtime before the rounds, ms");
ABSL_FLAG(bool, plain, false, "also time TorchScript without freeze/optimize_for_inference");
ABSL_FLAG(std::string, json, "", "append one JSON object per model and batch to this file");
ABSL_FLAG(int, profile, 0,
          "instead of comparing, run each ONNX model this many times per batch size with "
          "a clock around every kernel and print the time per operator type");

namespace aiaas::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kTolerance = 1e-4;
constexpr int kMinCallsPerRound = 5;

struct ModelInfo {
  std::string name;
  std::vector<int64_t> row_shape;
  std::string params;
  std::string onnx_nodes;
};

struct Contender {
  std::string label;  // "onnx", "torchscript", "torchscript-plain"
  std::unique_ptr<runtime::Servable> servable;
  std::vector<double> latencies_ms;      // wall time of every timed call
  std::vector<double> cpu_ms;            // CPU time (all threads of the process) per call
  std::vector<double> round_medians_ms;  // one per round
};

std::vector<ModelInfo> ReadModels(const std::string& dir) {
  std::vector<ModelInfo> models;
  std::ifstream in(dir + "/models.tsv");
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, '\t');
    if (fields.size() < 4) continue;
    ModelInfo info{fields[0], {}, fields[2], fields[3]};
    for (const auto& dim : absl::StrSplit(fields[1], ',')) {
      int64_t value = 0;
      if (absl::SimpleAtoi(dim, &value)) info.row_shape.push_back(value);
    }
    models.push_back(std::move(info));
  }
  return models;
}

Tensor RandomInput(const std::vector<int64_t>& row_shape, int64_t batch) {
  std::vector<int64_t> shape = {batch};
  shape.insert(shape.end(), row_shape.begin(), row_shape.end());
  at::Tensor values = at::rand(shape, at::kFloat);
  Tensor tensor;
  tensor.dtype = DataType::kFp32;
  tensor.shape = shape;
  tensor.data.resize(values.numel() * sizeof(float));
  std::memcpy(tensor.data.data(), values.data_ptr(), tensor.data.size());
  return tensor;
}

// Max |a - b| over the first output, or a negative value with `error` set.
double MaxDifference(const runtime::NamedTensors& a, const runtime::NamedTensors& b,
                     std::string* error) {
  if (a.empty() || b.empty()) {
    *error = "a runtime returned no output";
    return -1;
  }
  const Tensor& x = a.front().second;
  const Tensor& y = b.front().second;
  if (x.shape != y.shape || x.dtype != DataType::kFp32 || y.dtype != DataType::kFp32) {
    *error = absl::StrCat("outputs differ in shape or type: ", ShapeToString(x.shape), " vs ",
                          ShapeToString(y.shape));
    return -1;
  }
  const auto* p = reinterpret_cast<const float*>(x.data.data());
  const auto* q = reinterpret_cast<const float*>(y.data.data());
  double worst = 0;
  for (int64_t i = 0; i < x.NumElements(); ++i) {
    worst = std::max(worst, static_cast<double>(std::fabs(p[i] - q[i])));
  }
  return worst;
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t low = static_cast<size_t>(position);
  const size_t high = std::min(low + 1, values.size() - 1);
  return values[low] + (values[high] - values[low]) * (position - static_cast<double>(low));
}

double ProcessCpuMs() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return 1e3 * static_cast<double>(now.tv_sec) + 1e-6 * static_cast<double>(now.tv_nsec);
}

// Runs `servable` for about `ms` milliseconds (at least kMinCallsPerRound calls); appends
// each call's wall and CPU time to `wall_ms` and `cpu_ms` when they are given. CPU time
// is not inflated when other processes preempt the call, so on a busy machine it is the
// steadier measure of the work a call does.
bool RunFor(runtime::Servable& servable, const TensorMap& inputs, int ms,
            std::vector<double>* wall_ms, std::vector<double>* cpu_ms) {
  const Clock::time_point end = Clock::now() + std::chrono::milliseconds(ms);
  for (int calls = 0; calls < kMinCallsPerRound || Clock::now() < end; ++calls) {
    const double cpu_start = ProcessCpuMs();
    const Clock::time_point start = Clock::now();
    absl::StatusOr<runtime::NamedTensors> result = servable.Infer(inputs);
    const double elapsed_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const double cpu = ProcessCpuMs() - cpu_start;
    if (!result.ok()) {
      std::fprintf(stderr, "infer failed: %s\n", result.status().ToString().c_str());
      return false;
    }
    if (wall_ms != nullptr) wall_ms->push_back(elapsed_ms);
    if (cpu_ms != nullptr) cpu_ms->push_back(cpu);
  }
  return true;
}

// CPU time of the whole machine (busy, total jiffies) and of this process, to tell how
// much of the machine other processes used while we measured.
struct CpuSample {
  double busy_jiffies = 0;
  double total_jiffies = 0;
  double self_s = 0;
  Clock::time_point wall;
};

CpuSample SampleCpu() {
  CpuSample sample;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  sample.busy_jiffies = user + nice + system + irq + softirq;
  sample.total_jiffies = sample.busy_jiffies + idle + iowait + steal;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  sample.self_s = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                  1e-6 * (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  sample.wall = Clock::now();
  return sample;
}

// Cores used by other processes between two samples.
double OtherCores(const CpuSample& a, const CpuSample& b) {
  const double total = b.total_jiffies - a.total_jiffies;
  const double wall_s = std::chrono::duration<double>(b.wall - a.wall).count();
  if (total <= 0 || wall_s <= 0) return 0;
  const double machine_cores = (b.busy_jiffies - a.busy_jiffies) / total * std::thread::hardware_concurrency();
  return std::max(0.0, machine_cores - (b.self_s - a.self_s) / wall_s);
}

std::string Json(const ModelInfo& model, int64_t batch, int threads, double max_diff,
                 double other_cores, const std::vector<Contender>& contenders) {
  std::string json = absl::StrFormat(
      R"({"model": "%s", "batch": %d, "threads": %d, "max_abs_diff": %.3g, "other_cores": %.2f)",
      model.name, batch, threads, max_diff, other_cores);
  for (const Contender& c : contenders) {
    std::string rounds;
    for (double m : c.round_medians_ms) absl::StrAppend(&rounds, rounds.empty() ? "" : ", ",
                                                       absl::StrFormat("%.4f", m));
    absl::StrAppendFormat(&json,
                          R"(, "%s": {"calls": %d, "median_ms": %.4f, "p90_ms": %.4f, )"
                          R"("cpu_median_ms": %.4f, "round_medians_ms": [%s]})",
                          c.label, c.latencies_ms.size(), Percentile(c.latencies_ms, 0.5),
                          Percentile(c.latencies_ms, 0.9), Percentile(c.cpu_ms, 0.5), rounds);
  }
  return json + "}";
}

void PrintHeader(bool plain) {
  std::printf("| model | batch | ONNX median / p90 ms | TorchScript median / p90 ms | "
              "ratio median (per-round range) | ratio p90 | CPU ms per call ONNX / TS | "
              "CPU ratio |%s max diff | other cores |\n",
              plain ? " TS plain median ms |" : "");
  std::printf("|---|---|---|---|---|---|---|---|%s---|---|\n", plain ? "---|" : "");
}

// One table row: contenders[0] is ONNX, [1] TorchScript, [2] (optional) plain TorchScript.
void PrintRow(const ModelInfo& model, int64_t batch, const std::vector<Contender>& contenders,
              double max_diff, double other_cores) {
  const Contender& onnx = contenders[0];
  const Contender& ts = contenders[1];
  double low = INFINITY, high = 0;
  for (size_t r = 0; r < onnx.round_medians_ms.size(); ++r) {
    const double ratio = onnx.round_medians_ms[r] / ts.round_medians_ms[r];
    low = std::min(low, ratio);
    high = std::max(high, ratio);
  }
  const double onnx_median = Percentile(onnx.latencies_ms, 0.5);
  const double ts_median = Percentile(ts.latencies_ms, 0.5);
  const double onnx_p90 = Percentile(onnx.latencies_ms, 0.9);
  const double ts_p90 = Percentile(ts.latencies_ms, 0.9);
  const double onnx_cpu = Percentile(onnx.cpu_ms, 0.5);
  const double ts_cpu = Percentile(ts.cpu_ms, 0.5);
  std::string plain_cell;
  if (contenders.size() > 2) {
    plain_cell = absl::StrFormat(" %.3f |", Percentile(contenders[2].latencies_ms, 0.5));
  }
  std::printf("| %s | %ld | %.3f / %.3f | %.3f / %.3f | **%.2f** (%.2f–%.2f) | %.2f | "
              "%.3f / %.3f | %.2f |%s %.1e | %.2f |\n",
              model.name.c_str(), static_cast<long>(batch), onnx_median, onnx_p90, ts_median,
              ts_p90, onnx_median / ts_median, low, high, onnx_p90 / ts_p90, onnx_cpu, ts_cpu,
              onnx_cpu / ts_cpu, plain_cell.c_str(), max_diff, other_cores);
}

int Main() {
  const std::string dir = absl::GetFlag(FLAGS_models);
  const int threads = absl::GetFlag(FLAGS_threads);
  std::vector<int64_t> batches;
  for (const auto& b : absl::StrSplit(absl::GetFlag(FLAGS_batches), ',')) {
    int64_t value = 0;
    if (absl::SimpleAtoi(b, &value) && value > 0) batches.push_back(value);
  }
  std::vector<std::string> only = absl::StrSplit(absl::GetFlag(FLAGS_only), ',',
                                                 absl::SkipEmpty());
  std::vector<ModelInfo> models = ReadModels(dir);
  if (dir.empty() || models.empty() || batches.empty()) {
    std::fprintf(stderr, "usage: onnx_vs_torchscript --models DIR (with models.tsv)\n");
    return 2;
  }

  if (absl::GetFlag(FLAGS_profile) > 0) {
    for (const ModelInfo& model : models) {
      if (!only.empty() && std::find(only.begin(), only.end(), model.name) == only.end()) continue;
      for (int64_t batch : batches) {
        const int status = ProfileOnnxPlan(dir + "/" + model.name + ".onnx", model.row_shape,
                                           batch, threads, absl::GetFlag(FLAGS_profile));
        if (status != 0) return status;
      }
    }
    return 0;
  }

  runtime::OnnxOptions onnx_options;
  onnx_options.intra_op_threads = threads;
  runtime::OnnxRuntime onnx_runtime(onnx_options);
  runtime::TorchScriptOptions ts_options;
  ts_options.intra_op_threads = threads;  // optimize = true: what the server does
  runtime::TorchScriptRuntime ts_runtime(ts_options);
  runtime::TorchScriptOptions plain_options = ts_options;
  plain_options.optimize = false;
  runtime::TorchScriptRuntime plain_runtime(plain_options);

  std::FILE* json_out = nullptr;
  if (!absl::GetFlag(FLAGS_json).empty()) {
    json_out = std::fopen(absl::GetFlag(FLAGS_json).c_str(), "a");
  }
  std::printf("threads %d, %d rounds x %d ms per runtime, warm-up %d ms\n\n", threads,
              absl::GetFlag(FLAGS_rounds), absl::GetFlag(FLAGS_round_ms),
              absl::GetFlag(FLAGS_warmup_ms));
  PrintHeader(absl::GetFlag(FLAGS_plain));
  std::fflush(stdout);
  bool all_agree = true;
  for (const ModelInfo& model : models) {
    if (!only.empty() && std::find(only.begin(), only.end(), model.name) == only.end()) continue;
    std::vector<Contender> contenders;
    auto load = [&](runtime::Runtime& rt, const std::string& path, const char* label) {
      absl::StatusOr<std::unique_ptr<runtime::Servable>> servable = rt.Load(path, std::nullopt);
      if (!servable.ok()) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), servable.status().ToString().c_str());
        return false;
      }
      contenders.push_back(Contender{label, *std::move(servable), {}, {}});
      return true;
    };
    if (!load(onnx_runtime, dir + "/" + model.name + ".onnx", "onnx") ||
        !load(ts_runtime, dir + "/" + model.name + ".pt", "torchscript") ||
        (absl::GetFlag(FLAGS_plain) &&
         !load(plain_runtime, dir + "/" + model.name + ".pt", "torchscript-plain"))) {
      all_agree = false;
      continue;
    }
    for (int64_t batch : batches) {
      for (Contender& c : contenders) {
        c.latencies_ms.clear();
        c.cpu_ms.clear();
        c.round_medians_ms.clear();
      }
      TensorMap inputs;
      inputs["x"] = RandomInput(model.row_shape, batch);
      // Agreement: every runtime against the optimized TorchScript module.
      absl::StatusOr<runtime::NamedTensors> reference = contenders[1].servable->Infer(inputs);
      double max_diff = 0;
      std::string error;
      for (Contender& c : contenders) {
        absl::StatusOr<runtime::NamedTensors> out = c.servable->Infer(inputs);
        if (!reference.ok() || !out.ok()) {
          error = !reference.ok() ? reference.status().ToString() : out.status().ToString();
          max_diff = -1;
          break;
        }
        double diff = MaxDifference(*out, *reference, &error);
        if (diff < 0) {
          max_diff = -1;
          break;
        }
        max_diff = std::max(max_diff, diff);
      }
      if (max_diff < 0 || max_diff > kTolerance) {
        std::fprintf(stderr, "%s batch %ld: outputs disagree (max diff %g) %s\n",
                     model.name.c_str(), static_cast<long>(batch), max_diff, error.c_str());
        all_agree = false;
        if (max_diff < 0) continue;
      }
      for (Contender& c : contenders) {
        if (!RunFor(*c.servable, inputs, absl::GetFlag(FLAGS_warmup_ms), nullptr, nullptr)) {
          return 1;
        }
      }
      const CpuSample before = SampleCpu();
      const int rounds = absl::GetFlag(FLAGS_rounds);
      for (int round = 0; round < rounds; ++round) {
        for (size_t k = 0; k < contenders.size(); ++k) {
          Contender& c = contenders[(k + round) % contenders.size()];
          std::vector<double> latencies;
          if (!RunFor(*c.servable, inputs, absl::GetFlag(FLAGS_round_ms), &latencies,
                      &c.cpu_ms)) {
            return 1;
          }
          c.round_medians_ms.push_back(Percentile(latencies, 0.5));
          c.latencies_ms.insert(c.latencies_ms.end(), latencies.begin(), latencies.end());
        }
      }
      const double other = OtherCores(before, SampleCpu());
      PrintRow(model, batch, contenders, max_diff, other);
      std::fflush(stdout);
      if (json_out != nullptr) {
        std::fprintf(json_out, "%s\n",
                     Json(model, batch, threads, max_diff, other, contenders).c_str());
        std::fflush(json_out);
      }
    }
  }
  if (json_out != nullptr) std::fclose(json_out);
  return all_agree ? 0 : 1;
}

}  // namespace
}  // namespace aiaas::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return aiaas::bench::Main();
}
