#ifndef AIAAS_CLI_PROGRESS_BAR_H_
#define AIAAS_CLI_PROGRESS_BAR_H_

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/http_client.h"

namespace aiaas::cli {

// Draws an upload progress line on a terminal, redrawing it in place with '\r':
//   "mlp.pt  [=====>     ]  52%  2.1 MiB / 4.0 MiB  1.3 MiB/s"
// Only meant for a terminal: the caller decides whether to create one at all.
// Not thread-safe; it borrows `out`, which must outlive it.
class ProgressBar {
 public:
  using Clock = std::function<absl::Time()>;

  // Redraws happen at most once per `redraw_interval`, and once more when the upload
  // completes, so a fast local upload does not flood the terminal.
  ProgressBar(std::ostream& out, std::string label, Clock now = &absl::Now,
              absl::Duration redraw_interval = absl::Milliseconds(100));

  // Reports the bytes sent so far of `total_bytes` (0 if unknown). Once everything is sent,
  // the line says the server is still working (it loads the model before answering) and the
  // rate stays as it was when the last byte left.
  void Update(int64_t sent_bytes, int64_t total_bytes);

  // Redraws without the waiting note and ends the line. Does nothing if nothing was drawn.
  void Finish();

 private:
  bool Complete() const { return total_bytes_ > 0 && sent_bytes_ >= total_bytes_; }
  void Draw(bool waiting);

  std::ostream& out_;
  const std::string label_;
  const Clock now_;
  const absl::Duration redraw_interval_;
  const absl::Time start_;
  absl::Time last_draw_ = absl::InfinitePast();
  int64_t sent_bytes_ = 0;
  int64_t total_bytes_ = 0;
  double rate_ = -1;  // bytes per second, frozen once the upload is complete
  size_t last_line_chars_ = 0;
  bool drawn_ = false;
  bool drew_complete_ = false;
};

// POSTs a multipart form whose upload is `file` (a local path), drawing a ProgressBar
// labelled with the file's base name on `err` while it is sent when `err_is_terminal`.
[[nodiscard]] absl::StatusOr<HttpResponse> PostMultipartWithProgress(
    HttpClient& http, absl::string_view path, const std::vector<MultipartPart>& parts,
    const std::string& file, std::ostream& err, bool err_is_terminal);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_PROGRESS_BAR_H_
