#include "server/upload_form.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "server/http_errors.h"

namespace aiaas::server {

absl::StatusOr<std::string> UploadFormBoundary(const HttpRequest& request) {
  auto content_type = request.Header("content-type");
  if (!content_type.has_value()) {
    return WithHttpStatus(
        absl::InvalidArgumentError("an upload must be multipart/form-data (no Content-Type)"), 415);
  }
  auto boundary = MultipartParser::BoundaryFromContentType(*content_type);
  if (!boundary.ok()) return WithHttpStatus(boundary.status(), 415);
  return boundary;
}

UploadForm::UploadForm(std::string boundary, Fields fields, FileSink sink)
    : fields_(std::move(fields)),
      sink_(std::move(sink)),
      parser_(std::move(boundary),
              MultipartParser::Callbacks{
                  [this](const PartHeaders& headers) { return BeginPart(headers); },
                  [this](std::string_view data) { return PartData(data); },
                  [this]() {
                    current_.clear();
                    return absl::OkStatus();
                  }}) {}

absl::Status UploadForm::BeginPart(const PartHeaders& headers) {
  current_ = headers.name;
  if (current_ == "file") {
    if (file_seen_) return absl::InvalidArgumentError("the form has more than one 'file' part");
    file_seen_ = true;
    return sink_.open(headers);
  }
  if (std::find(fields_.text.begin(), fields_.text.end(), current_) == fields_.text.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown form field '", current_.substr(0, 64),
                                                   "'; expected file, ",
                                                   absl::StrJoin(fields_.text, ", ")));
  }
  if (texts_.count(current_) > 0) {
    return absl::InvalidArgumentError(absl::StrCat("form field '", current_, "' is repeated"));
  }
  texts_[current_];
  return absl::OkStatus();
}

absl::Status UploadForm::PartData(std::string_view data) {
  if (current_ == "file") return sink_.write(data);
  std::string& text = texts_[current_];
  if (text.size() + data.size() > fields_.max_text_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("form field '", current_, "' is longer than ",
                                                   fields_.max_text_bytes, " bytes"));
  }
  text.append(data.data(), data.size());
  return absl::OkStatus();
}

absl::Status UploadForm::Finish() {
  AIAAS_RETURN_IF_ERROR(parser_.Finish());
  if (!file_seen_) {
    return absl::InvalidArgumentError(
        absl::StrCat("the form has no 'file' part with ", fields_.file_holds));
  }
  return absl::OkStatus();
}

const std::string* UploadForm::Text(const std::string& name) const {
  auto it = texts_.find(name);
  return it == texts_.end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> UploadForm::RequiredText(const std::string& name) const {
  const std::string* text = Text(name);
  if (text == nullptr || text->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the form has no '", name, "' field"));
  }
  return *text;
}

}  // namespace aiaas::server
