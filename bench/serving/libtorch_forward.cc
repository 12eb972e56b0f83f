// In-process LibTorch forward throughput: the ceiling a server of the same TorchScript file
// can approach on this machine (no HTTP, no JSON, no queueing).
//
//   libtorch_forward_bench --model NAME=PATH:ROW_SHAPE [--model ...]
//                          [--threads 1,2] [--batches 1,8,32,64] [--seconds 1.0]
//                          [--variants plain,frozen]
//
// ROW_SHAPE is one row's shape with 'x' between dimensions (784 or 1x28x28). For every model,
// variant, thread count T and batch size B it runs forwards of a [B, ROW_SHAPE] tensor for the
// given time (after a warm-up) and prints one JSON object per line:
//   {"model", "variant", "threads", "batch", "iterations", "seconds",
//    "batches_per_s", "rows_per_s", "batch_ms_p50", "batch_ms_mean", "rows_per_s_at_p50",
//    "own_cpu_cores", "other_cpu_cores", "steal_pct"}
// other_cpu_cores is the CPU that processes other than this one used meanwhile (from
// /proc/stat): on a shared machine it tells which points were disturbed.
// Variants: "plain" = torch::jit::load + eval() + InferenceMode (what a server does with the
// file as pushed); "frozen" = additionally torch::jit::freeze + optimize_for_inference.
#include <ATen/Parallel.h>
#include <time.h>
#include <torch/script.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct ModelSpec {
  std::string name;
  std::string path;
  std::vector<int64_t> row_shape;
};

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  std::string part;
  while (std::getline(stream, part, sep)) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

struct CpuSample {
  double busy = 0;   // jiffies spent running anything (user, nice, system, irq, softirq)
  double steal = 0;  // jiffies the hypervisor gave to other guests
  double total = 0;
  double own = 0;  // CPU seconds of this process, all threads
};

CpuSample SampleCpu() {
  CpuSample sample;
  std::ifstream stat("/proc/stat");
  std::string label;
  double v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  stat >> label;
  for (double& x : v) stat >> x;
  sample.busy = v[0] + v[1] + v[2] + v[5] + v[6];
  sample.steal = v[7];
  for (double x : v) sample.total += x;
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  sample.own = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  return sample;
}

[[noreturn]] void Usage(const std::string& problem) {
  std::cerr << "libtorch_forward_bench: " << problem << "\n"
            << "usage: libtorch_forward_bench --model NAME=PATH:ROW_SHAPE [--model ...]\n"
            << "       [--threads 1,2] [--batches 1,8,32,64] [--seconds 1.0]"
               " [--variants plain,frozen]\n";
  std::exit(2);
}

std::vector<int> ParseInts(const std::string& text) {
  std::vector<int> values;
  for (const auto& part : Split(text, ',')) {
    int value = std::atoi(part.c_str());
    if (value <= 0) Usage("not a positive integer: " + part);
    values.push_back(value);
  }
  if (values.empty()) Usage("empty list");
  return values;
}

ModelSpec ParseModel(const std::string& text) {
  auto eq = text.find('=');
  auto colon = text.rfind(':');
  if (eq == std::string::npos || colon == std::string::npos || colon < eq) {
    Usage("--model wants NAME=PATH:ROW_SHAPE, got " + text);
  }
  ModelSpec spec{text.substr(0, eq), text.substr(eq + 1, colon - eq - 1), {}};
  for (int dim : ParseInts([&] {
         std::string dims = text.substr(colon + 1);
         std::replace(dims.begin(), dims.end(), 'x', ',');
         return dims;
       }())) {
    spec.row_shape.push_back(dim);
  }
  return spec;
}

torch::jit::Module Load(const ModelSpec& spec, const std::string& variant) {
  torch::jit::Module module = torch::jit::load(spec.path);
  module.eval();
  if (variant == "frozen") {
    module = torch::jit::freeze(module);
    module = torch::jit::optimize_for_inference(module);
  } else if (variant != "plain") {
    Usage("unknown variant " + variant);
  }
  return module;
}

void Run(torch::jit::Module& module, const ModelSpec& spec, const std::string& variant, int threads,
         int batch, double seconds) {
  std::vector<int64_t> shape{batch};
  shape.insert(shape.end(), spec.row_shape.begin(), spec.row_shape.end());
  torch::manual_seed(0);
  at::Tensor input = torch::rand(shape);
  std::vector<c10::IValue> arguments{input};

  using Clock = std::chrono::steady_clock;
  // Warm-up: the first calls run the profiling executor and fault in the weights.
  const auto warm_end = Clock::now() + std::chrono::duration<double>(std::min(0.3, seconds / 3));
  for (int i = 0; i < 3 || Clock::now() < warm_end; ++i) module.forward(arguments);

  std::vector<double> batch_ms;
  const CpuSample cpu_before = SampleCpu();
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  auto now = start;
  while (now < deadline || batch_ms.size() < 3) {
    auto before = now;
    at::Tensor out = module.forward(arguments).toTensor();
    now = Clock::now();
    if (out.size(0) != batch) {
      std::cerr << "unexpected output batch " << out.size(0) << "\n";
      std::exit(1);
    }
    batch_ms.push_back(std::chrono::duration<double, std::milli>(now - before).count());
  }
  const double elapsed = std::chrono::duration<double>(now - start).count();
  const CpuSample cpu_after = SampleCpu();
  const double cpus = static_cast<double>(sysconf(_SC_NPROCESSORS_ONLN));
  const double total = std::max(1.0, cpu_after.total - cpu_before.total);
  const double busy_cores = (cpu_after.busy - cpu_before.busy) / total * cpus;
  const double own_cores = (cpu_after.own - cpu_before.own) / elapsed;
  const double steal_pct = 100.0 * (cpu_after.steal - cpu_before.steal) / total;
  const double iterations = static_cast<double>(batch_ms.size());
  std::vector<double> sorted = batch_ms;
  const auto middle = static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), sorted.begin() + middle, sorted.end());
  const double p50 = sorted[sorted.size() / 2];
  std::printf(
      "{\"model\": \"%s\", \"variant\": \"%s\", \"threads\": %d, \"batch\": %d, "
      "\"iterations\": %.0f, \"seconds\": %.3f, \"batches_per_s\": %.2f, \"rows_per_s\": %.1f, "
      "\"batch_ms_p50\": %.4f, \"batch_ms_mean\": %.4f, \"rows_per_s_at_p50\": %.1f, "
      "\"own_cpu_cores\": %.3f, \"other_cpu_cores\": %.3f, \"steal_pct\": %.2f}\n",
      spec.name.c_str(), variant.c_str(), threads, batch, iterations, elapsed, iterations / elapsed,
      iterations * batch / elapsed, p50, 1000.0 * elapsed / iterations, 1000.0 * batch / p50,
      own_cores, busy_cores - own_cores, steal_pct);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<ModelSpec> models;
  std::vector<int> threads{1, 2};
  std::vector<int> batches{1, 8, 32, 64};
  std::vector<std::string> variants{"plain"};
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Usage("missing value after " + flag);
    std::string value = argv[++i];
    if (flag == "--model") {
      models.push_back(ParseModel(value));
    } else if (flag == "--threads") {
      threads = ParseInts(value);
    } else if (flag == "--batches") {
      batches = ParseInts(value);
    } else if (flag == "--seconds") {
      seconds = std::atof(value.c_str());
      if (seconds <= 0) Usage("--seconds must be positive");
    } else if (flag == "--variants") {
      variants = Split(value, ',');
    } else {
      Usage("unknown flag " + flag);
    }
  }
  if (models.empty()) Usage("no --model given");

  try {
    for (const auto& spec : models) {
      for (const auto& variant : variants) {
        torch::jit::Module module = Load(spec, variant);
        for (int t : threads) {
          // The OpenMP thread count is per OS thread; every forward below runs on this one.
          at::set_num_threads(t);
          c10::InferenceMode guard;
          for (int b : batches) Run(module, spec, variant, t, b, seconds);
        }
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "libtorch_forward_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
