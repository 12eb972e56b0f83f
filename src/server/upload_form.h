// The multipart/form-data form of an upload: one `file` part streamed to a sink
// as it arrives (never held in memory) and a few small text fields, in any
// order. Model version pushes and dataset uploads both read their bodies with it.
#ifndef AIAAS_SERVER_UPLOAD_FORM_H_
#define AIAAS_SERVER_UPLOAD_FORM_H_

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "server/http_types.h"
#include "server/multipart_parser.h"

namespace aiaas::server {

// The boundary of a multipart/form-data request. 415 (WithHttpStatus) when the
// Content-Type is absent or not multipart/form-data with a valid boundary.
[[nodiscard]] absl::StatusOr<std::string> UploadFormBoundary(const HttpRequest& request);

class UploadForm {
 public:
  struct Fields {
    std::vector<std::string> text;  // the text fields the form may have
    size_t max_text_bytes = 4096;   // per text field
    std::string file_holds;         // "the dataset": names the file in errors
  };
  // `open` runs when the file part begins, `write` for each slice of it.
  struct FileSink {
    std::function<absl::Status(const PartHeaders&)> open;
    std::function<absl::Status(std::string_view)> write;
  };

  UploadForm(std::string boundary, Fields fields, FileSink sink);
  UploadForm(const UploadForm&) = delete;
  UploadForm& operator=(const UploadForm&) = delete;

  // InvalidArgument for a malformed body, an unknown or repeated field, a second
  // file part or an overlong text field; or the sink's error.
  [[nodiscard]] absl::Status Feed(std::string_view chunk) { return parser_.Feed(chunk); }
  // After the last chunk: the parser's verdict, then InvalidArgument when the
  // form had no file part.
  [[nodiscard]] absl::Status Finish();

  // A text field's value; null when the form did not have it.
  const std::string* Text(const std::string& name) const;
  // Like Text, but InvalidArgument "the form has no '<name>' field" when it is
  // absent or empty.
  [[nodiscard]] absl::StatusOr<std::string> RequiredText(const std::string& name) const;

 private:
  absl::Status BeginPart(const PartHeaders& headers);
  absl::Status PartData(std::string_view data);

  const Fields fields_;
  const FileSink sink_;
  MultipartParser parser_;
  std::string current_;  // the part being read; empty between parts
  std::map<std::string, std::string> texts_;
  bool file_seen_ = false;
};

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_UPLOAD_FORM_H_
