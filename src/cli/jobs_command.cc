// aiaas train SPEC and aiaas jobs list|show|logs|cancel|wait (docs/api.md "Jobs").

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/api_error.h"
#include "cli/command.h"
#include "cli/input_text.h"
#include "cli/json_util.h"
#include "cli/output.h"
#include "cli/url.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;

std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

// SIGINT detaches from a followed job (it keeps running on the server); the previous
// handler comes back when following ends.
class DetachOnInterrupt {
 public:
  DetachOnInterrupt() {
    g_interrupted.store(false);
    previous_ = std::signal(SIGINT, OnInterrupt);
  }
  ~DetachOnInterrupt() { std::signal(SIGINT, previous_); }

 private:
  void (*previous_)(int) = SIG_DFL;
};

std::string Number(const json& object, const char* key, int precision) {
  const json* value = Field(object, key);
  if (value == nullptr || !value->is_number()) return "";
  if (value->is_number_integer()) return absl::StrCat(value->get<int64_t>());
  return absl::StrFormat("%.*f", precision, value->get<double>());
}

// "epoch 3/30  step 12/25  loss 0.1234  val_loss 0.2000  val_accuracy 0.9500  812 samples/s  ETA 42s"
std::string ProgressLine(const json& job) {
  const json* progress = Field(job, "progress");
  if (progress == nullptr || !progress->is_object() || progress->empty()) {
    return StringField(job, "state", "?");
  }
  std::string line;
  auto add = [&line](const std::string& text) {
    if (!text.empty()) absl::StrAppend(&line, line.empty() ? "" : "  ", text);
  };
  const std::string epochs = Number(*progress, "epochs", 0);
  add(absl::StrCat("epoch ", Number(*progress, "epoch", 0), epochs.empty() ? "" : "/", epochs));
  const std::string steps = Number(*progress, "steps_per_epoch", 0);
  if (!steps.empty()) add(absl::StrCat("step ", Number(*progress, "step", 0), "/", steps));
  for (const char* key : {"loss", "val_loss", "val_accuracy"}) {
    const std::string value = Number(*progress, key, 4);
    if (!value.empty()) add(absl::StrCat(key, " ", value));
  }
  const std::string rate = Number(*progress, "samples_per_s", 0);
  if (!rate.empty()) add(absl::StrCat(rate, " samples/s"));
  const std::string eta = Number(*progress, "eta_s", 0);
  if (!eta.empty()) add(absl::StrCat("ETA ", eta, "s"));
  return line;
}

bool IsFinal(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled";
}

void PrintOutcome(std::ostream& out, const json& job) {
  const std::string state = StringField(job, "state", "?");
  out << "job " << StringField(job, "id", "?") << " " << state;
  const json* output = Field(job, "output");
  if (state == "succeeded" && output != nullptr && output->is_object() &&
      !(*output)["version"].is_null()) {
    out << ": model " << StringField(*output, "model", "?") << " version "
        << FieldText(*output, "version");
  }
  out << "\n";
  if (const json* error = Field(job, "error"); error != nullptr && error->is_string()) {
    out << "error: " << error->get<std::string>() << "\n";
  }
  const json* metrics = Field(job, "metrics");
  if (metrics != nullptr && metrics->is_object()) {
    for (const auto& [key, value] : metrics->items()) {
      if (value.is_number()) {
        out << "  " << key << " "
            << (value.is_number_integer() ? absl::StrCat(value.get<int64_t>())
                                          : absl::StrFormat("%.4f", value.get<double>()))
            << "\n";
      }
    }
  }
}

// Polls the job until it ends (or Ctrl-C detaches). A terminal gets one live line on
// `err`; otherwise each finished epoch is printed once.
absl::Status Follow(CommandContext& context, const std::string& id) {
  DetachOnInterrupt detach;
  size_t epochs_printed = 0;
  const std::string path = UrlPath({"api", "v1", "jobs", id});
  while (true) {
    absl::StatusOr<json> job = DecodeJsonResponse(context.http.Get(path));
    if (!job.ok()) return job.status();
    const std::string state = StringField(*job, "state", "?");
    if (context.err_is_terminal) {
      context.err << "\r\033[K" << ProgressLine(*job) << std::flush;
    } else if (const json* history = Field(*job, "history");
               history != nullptr && history->is_array()) {
      for (; epochs_printed < history->size(); ++epochs_printed) {
        context.err << (*history)[epochs_printed].dump() << "\n";
      }
    }
    if (IsFinal(state)) {
      if (context.err_is_terminal) context.err << "\n";
      if (context.global.json) {
        context.out << PrettyJson(*job);
      } else {
        PrintOutcome(context.out, *job);
      }
      if (state == "succeeded") return absl::OkStatus();
      return absl::AbortedError(absl::StrCat("job ", id, " ", state));
    }
    for (int i = 0; i < 10 && !g_interrupted.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (g_interrupted.load()) {
      context.err << "\ndetached: job " << id << " keeps running; follow it with 'aiaas jobs wait "
                  << id << "', stop it with 'aiaas jobs cancel " << id << "'\n";
      return absl::OkStatus();
    }
  }
}

absl::Status RunTrain(CommandContext& context) {
  absl::StatusOr<std::string> text = ReadInputText("@" + context.operands[0], context.in);
  if (context.operands[0] == "-") text = ReadInputText("-", context.in);
  if (!text.ok()) return text.status();
  absl::StatusOr<json> spec = ParseJson(*text, context.operands[0]);
  if (!spec.ok()) return spec.status();
  if (!spec->is_object()) return absl::InvalidArgumentError("a job spec must be a JSON object");
  absl::StatusOr<json> job =
      DecodeJsonResponse(context.http.Post(UrlPath({"api", "v1", "jobs"}), spec->dump()));
  if (!job.ok()) return job.status();
  const std::string id = StringField(*job, "id", "");
  if (context.args.Has("no-follow")) {
    if (context.global.json) {
      context.out << PrettyJson(*job);
    } else {
      context.out << "job " << id << " " << StringField(*job, "state", "queued") << "\n";
    }
    return absl::OkStatus();
  }
  context.err << "job " << id << " submitted\n";
  return Follow(context, id);
}

absl::Status CheckState(const std::vector<std::string>&, const ParsedArgs& args) {
  if (std::optional<std::string> state = args.Value("state");
      state.has_value() && *state != "queued" && *state != "running" && !IsFinal(*state)) {
    return absl::InvalidArgumentError(
        "--state must be queued, running, succeeded, failed or cancelled");
  }
  return absl::OkStatus();
}

absl::Status RunList(CommandContext& context) {
  absl::StatusOr<json> body = DecodeJsonResponse(context.http.Get(
      WithQuery(UrlPath({"api", "v1", "jobs"}),
                {{"state", context.args.Value("state").value_or("")},
                 {"limit", context.args.Value("limit").value_or("")}})));
  if (!body.ok()) return body.status();
  if (context.global.json) {
    context.out << PrettyJson(*body);
    return absl::OkStatus();
  }
  std::vector<TableRow> rows;
  if (const json* jobs = Field(*body, "jobs"); jobs != nullptr && jobs->is_array()) {
    for (const json& job : *jobs) {
      const json* output = Field(job, "output");
      std::string produced = "-";
      if (output != nullptr && output->is_object() && (*output)["model"].is_string()) {
        produced = (*output)["model"].get<std::string>();
        if (!(*output)["version"].is_null()) absl::StrAppend(&produced, ":", FieldText(*output, "version"));
      }
      rows.push_back({StringField(job, "id", "-"), StringField(job, "type", "-"),
                      StringField(job, "state", "-"), produced,
                      FormatTimestamp(StringField(job, "created_at", "-"))});
    }
  }
  context.out << FormatTable({"ID", "TYPE", "STATE", "OUTPUT", "CREATED"}, rows);
  return absl::OkStatus();
}

absl::Status RunShow(CommandContext& context) {
  absl::StatusOr<json> job =
      DecodeJsonResponse(context.http.Get(UrlPath({"api", "v1", "jobs", context.operands[0]})));
  if (!job.ok()) return job.status();
  if (context.global.json) {
    context.out << PrettyJson(*job);
    return absl::OkStatus();
  }
  const std::string state = StringField(*job, "state", "?");
  if (IsFinal(state)) {
    PrintOutcome(context.out, *job);
  } else {
    context.out << "job " << StringField(*job, "id", "?") << " " << state << ": "
                << ProgressLine(*job) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunLogs(CommandContext& context) {
  absl::StatusOr<HttpResponse> response =
      context.http.Get(UrlPath({"api", "v1", "jobs", context.operands[0], "logs"}));
  if (!response.ok()) return response.status();
  if (!response->ok()) return StatusFromResponse(*response);
  context.out << response->body;
  return absl::OkStatus();
}

absl::Status RunCancel(CommandContext& context) {
  absl::StatusOr<json> job = DecodeJsonResponse(context.http.Post(
      UrlPath({"api", "v1", "jobs", context.operands[0], "cancel"}), "{}"));
  if (!job.ok()) return job.status();
  if (context.global.json) {
    context.out << PrettyJson(*job);
  } else {
    const std::string state = StringField(*job, "state", "?");
    context.out << "job " << StringField(*job, "id", "?") << " "
                << (state == "cancelled" ? "cancelled" : "cancelling (stops within a step)")
                << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunWait(CommandContext& context) { return Follow(context, context.operands[0]); }

}  // namespace

std::vector<CommandSpec> JobsCommands() {
  CommandSpec train;
  train.path = {"train"};
  train.synopsis = "SPEC.json [--no-follow]";
  train.summary = "submit a training job, then follow its progress until it ends";
  train.details =
      "SPEC.json is a job spec (docs/training.md); - reads it from stdin. Prints the job's\n"
      "progress (epoch, loss, validation metric) and, at the end, its test metrics and the\n"
      "model version it produced. Ctrl-C detaches: the job keeps running on the server.\n"
      "Exits 1 when the job fails or is cancelled.\n"
      "  --no-follow   print the job id and return at once";
  train.flags = {"no-follow"};
  train.operands = {"SPEC"};
  train.run = &RunTrain;

  CommandSpec list;
  list.path = {"jobs", "list"};
  list.synopsis = "[--state S] [--limit N]";
  list.summary = "list the tenant's jobs, newest first";
  list.flags = {"state", "limit"};
  list.check_usage = &CheckState;
  list.run = &RunList;

  CommandSpec show;
  show.path = {"jobs", "show"};
  show.synopsis = "ID";
  show.summary = "show a job's state, progress or outcome";
  show.operands = {"ID"};
  show.run = &RunShow;

  CommandSpec logs;
  logs.path = {"jobs", "logs"};
  logs.synopsis = "ID";
  logs.summary = "print a job's log";
  logs.operands = {"ID"};
  logs.run = &RunLogs;

  CommandSpec cancel;
  cancel.path = {"jobs", "cancel"};
  cancel.synopsis = "ID";
  cancel.summary = "cancel a job (a running one stops within a step)";
  cancel.operands = {"ID"};
  cancel.run = &RunCancel;

  CommandSpec wait;
  wait.path = {"jobs", "wait"};
  wait.synopsis = "ID";
  wait.summary = "follow a job until it ends (exit 1 unless it succeeded)";
  wait.operands = {"ID"};
  wait.run = &RunWait;
  return {train, list, show, logs, cancel, wait};
}

}  // namespace aiaas::cli
