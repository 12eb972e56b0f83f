#include "cli/progress_bar.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/output.h"

namespace aiaas::cli {
namespace {

constexpr int kBarWidth = 30;
// A rate over a few milliseconds is noise; it is shown after this much time, or at the end.
constexpr double kMinRateSeconds = 0.2;

}  // namespace

ProgressBar::ProgressBar(std::ostream& out, std::string label, Clock now,
                         absl::Duration redraw_interval)
    : out_(out),
      label_(std::move(label)),
      now_(std::move(now)),
      redraw_interval_(redraw_interval),
      start_(now_()) {}

void ProgressBar::Update(int64_t sent_bytes, int64_t total_bytes) {
  if (drew_complete_) return;  // curl keeps reporting while the server works; nothing changes
  sent_bytes_ = sent_bytes;
  total_bytes_ = total_bytes;
  const absl::Time now = now_();
  if (!Complete() && now - last_draw_ < redraw_interval_) return;
  const double elapsed_seconds = absl::ToDoubleSeconds(now - start_);
  if (elapsed_seconds >= kMinRateSeconds || (Complete() && elapsed_seconds > 0)) {
    rate_ = static_cast<double>(sent_bytes_) / elapsed_seconds;
  }
  last_draw_ = now;
  drew_complete_ = Complete();
  Draw(/*waiting=*/drew_complete_);
}

void ProgressBar::Finish() {
  if (!drawn_) return;
  Draw(/*waiting=*/false);
  out_ << "\n" << std::flush;
  drawn_ = false;
}

void ProgressBar::Draw(bool waiting) {
  std::string line =
      absl::StrCat(label_, "  ", FormatProgressLine(sent_bytes_, total_bytes_, rate_, kBarWidth));
  if (waiting) absl::StrAppend(&line, "  waiting for the server...");
  const size_t chars = line.size();
  // Overwrite leftovers of a longer previous line (the rate text can shrink).
  if (chars < last_line_chars_) line.append(last_line_chars_ - chars, ' ');
  out_ << "\r" << line << std::flush;
  last_line_chars_ = chars;
  drawn_ = true;
}

absl::StatusOr<HttpResponse> PostMultipartWithProgress(
    HttpClient& http, absl::string_view path, const std::vector<MultipartPart>& parts,
    const std::string& file, std::ostream& err, bool err_is_terminal) {
  std::unique_ptr<ProgressBar> progress;
  ProgressCallback on_progress;
  if (err_is_terminal) {
    const size_t slash = file.find_last_of('/');
    progress = std::make_unique<ProgressBar>(
        err, slash == std::string::npos ? file : file.substr(slash + 1));
    on_progress = [bar = progress.get()](int64_t sent, int64_t total) {
      if (sent > 0 || total > 0) bar->Update(sent, total);
    };
  }
  absl::StatusOr<HttpResponse> response = http.PostMultipart(path, parts, on_progress);
  if (progress != nullptr) progress->Finish();
  return response;
}

}  // namespace aiaas::cli
