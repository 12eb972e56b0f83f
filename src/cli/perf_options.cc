#include "cli/perf_options.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/model_ref.h"
#include "cli/perf_sweep.h"

namespace aiaas::cli {
namespace {

absl::StatusOr<int64_t> ParseCount(const ParsedArgs& args, absl::string_view flag, int64_t min,
                                   int64_t max, int64_t fallback) {
  const std::optional<std::string> text = args.Value(flag);
  if (!text.has_value()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " '", *text, "' must be an integer in ", min, "..", max));
  }
  return value;
}

}  // namespace

const std::vector<std::string>& PerfFlagNames() {
  static const std::vector<std::string> kNames = {
      "version",     "concurrency", "request-rate", "request-distribution",
      "max-threads", "duration",    "warmup",       "protocol",
      "input-data",  "shape",       "batch-size",   "seed"};
  return kNames;
}

absl::StatusOr<PerfOptions> ParsePerfOptions(const std::vector<std::string>& operands,
                                             const ParsedArgs& args) {
  PerfOptions options;
  options.model = operands.at(0);
  if (absl::Status status = ValidateModelRef(options.model); !status.ok()) return status;
  options.version = args.Value("version");
  if (options.version.has_value() && options.version->empty()) {
    return absl::InvalidArgumentError("empty --version");
  }

  const std::optional<std::string> concurrency = args.Value("concurrency");
  const std::optional<std::string> rate = args.Value("request-rate");
  if (concurrency.has_value() && rate.has_value()) {
    return absl::InvalidArgumentError(
        "--concurrency (closed loop) and --request-rate (open loop) exclude each other");
  }
  if (rate.has_value()) {
    absl::StatusOr<std::vector<double>> rates = ParseRateSweep(*rate);
    if (!rates.ok()) return rates.status();
    options.request_rates = *std::move(rates);
  } else {
    absl::StatusOr<std::vector<int>> levels = ParseConcurrencySweep(concurrency.value_or("1"));
    if (!levels.ok()) return levels.status();
    options.concurrency_levels = *std::move(levels);
  }
  const std::string distribution = args.Value("request-distribution").value_or("constant");
  if (distribution == "poisson") {
    options.arrivals = ArrivalPattern::kPoisson;
  } else if (distribution != "constant") {
    return absl::InvalidArgumentError(
        absl::StrCat("--request-distribution '", distribution, "' must be constant or poisson"));
  }
  if (!rate.has_value() && args.Has("request-distribution")) {
    return absl::InvalidArgumentError("--request-distribution needs --request-rate");
  }
  absl::StatusOr<int64_t> max_threads = ParseCount(args, "max-threads", 1, kMaxConcurrency, 64);
  if (!max_threads.ok()) return max_threads.status();
  options.max_threads = static_cast<int>(*max_threads);

  absl::StatusOr<absl::Duration> duration =
      ParsePerfDuration(args.Value("duration").value_or("10s"), "--duration");
  if (!duration.ok()) return duration.status();
  if (*duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration must be longer than 0");
  }
  options.duration = *duration;
  absl::StatusOr<absl::Duration> warmup =
      ParsePerfDuration(args.Value("warmup").value_or("2s"), "--warmup");
  if (!warmup.ok()) return warmup.status();
  options.warmup = *warmup;

  const std::string protocol = args.Value("protocol").value_or("json");
  if (protocol == "binary") {
    options.protocol = PerfProtocol::kBinary;
  } else if (protocol != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("--protocol '", protocol, "' must be json or binary"));
  }

  options.input_data = args.Value("input-data");
  if (options.input_data.has_value()) {
    if (options.input_data->empty()) return absl::InvalidArgumentError("empty --input-data");
    for (const char* flag : {"shape", "batch-size", "seed"}) {
      if (args.Has(flag)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", flag, " does not apply with --input-data, whose inputs are sent as they are"));
      }
    }
  }
  if (std::optional<std::string> shape = args.Value("shape"); shape.has_value()) {
    absl::StatusOr<ShapeOverrides> shapes = ParseShapeOverrides(*shape);
    if (!shapes.ok()) return shapes.status();
    options.shapes = *std::move(shapes);
  }
  if (args.Has("batch-size")) {
    absl::StatusOr<int64_t> batch = ParseCount(args, "batch-size", 1, 1 << 20, 1);
    if (!batch.ok()) return batch.status();
    options.batch_size = *batch;
  }
  if (std::optional<std::string> seed = args.Value("seed"); seed.has_value()) {
    if (!absl::SimpleAtoi(*seed, &options.seed)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--seed '", *seed, "' must be a non-negative integer"));
    }
  }
  return options;
}

}  // namespace aiaas::cli
