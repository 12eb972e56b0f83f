#include "server/upload_form.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::server {
namespace {

using ::testing::HasSubstr;

constexpr char kBoundary[] = "XyZ";

std::string Part(const std::string& name, const std::string& value,
                 const std::string& filename = "") {
  std::string disposition = "form-data; name=\"" + name + "\"";
  if (!filename.empty()) disposition += "; filename=\"" + filename + "\"";
  return std::string("--") + kBoundary + "\r\nContent-Disposition: " + disposition + "\r\n\r\n" +
         value + "\r\n";
}

std::string Close() { return std::string("--") + kBoundary + "--\r\n"; }

class UploadFormTest : public ::testing::Test {
 protected:
  UploadForm::FileSink Sink() {
    return {[this](const PartHeaders& headers) {
              opened_filename_ = headers.filename.value_or("");
              ++opens_;
              return absl::OkStatus();
            },
            [this](std::string_view data) {
              if (file_.size() + data.size() > 16) {
                return absl::ResourceExhaustedError("file too big for the test sink");
              }
              file_.append(data);
              return absl::OkStatus();
            }};
  }
  UploadForm::Fields Fields() { return {{"name", "format"}, 8, "the dataset"}; }

  // Feeds `body` one byte at a time, then finishes.
  absl::Status FeedAll(UploadForm& form, const std::string& body) {
    for (char c : body) {
      absl::Status status = form.Feed(std::string_view(&c, 1));
      if (!status.ok()) return status;
    }
    return form.Finish();
  }

  int opens_ = 0;
  std::string opened_filename_;
  std::string file_;
};

TEST_F(UploadFormTest, StreamsTheFileAndKeepsTextFieldsInAnyOrder) {
  UploadForm form(kBoundary, Fields(), Sink());
  ASSERT_TRUE(FeedAll(form, Part("format", "csv") + Part("file", "a,b\n1,2\n", "iris.csv") +
                                Part("name", "iris") + Close())
                  .ok());
  EXPECT_EQ(opens_, 1);
  EXPECT_EQ(opened_filename_, "iris.csv");
  EXPECT_EQ(file_, "a,b\n1,2\n");
  ASSERT_NE(form.Text("format"), nullptr);
  EXPECT_EQ(*form.Text("format"), "csv");
  EXPECT_EQ(*form.RequiredText("name"), "iris");
}

TEST_F(UploadFormTest, MissingFieldsAreNamed) {
  UploadForm form(kBoundary, Fields(), Sink());
  ASSERT_TRUE(FeedAll(form, Part("file", "x", "f") + Part("name", "") + Close()).ok());
  EXPECT_EQ(form.Text("format"), nullptr);
  EXPECT_THAT(form.RequiredText("name").status().message(),
              HasSubstr("the form has no 'name' field"));

  UploadForm no_file(kBoundary, Fields(), Sink());
  absl::Status status = FeedAll(no_file, Part("name", "iris") + Close());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("no 'file' part with the dataset"));
}

TEST_F(UploadFormTest, RefusesBadForms) {
  struct Case {
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {Part("colour", "red") + Close(), "unknown form field 'colour'; expected file, name, format"},
      {Part("name", "a") + Part("name", "b") + Close(), "form field 'name' is repeated"},
      {Part("name", "much-too-long") + Close(), "form field 'name' is longer than 8 bytes"},
      {Part("file", "a", "f") + Part("file", "b", "g") + Close(),
       "the form has more than one 'file' part"},
      {Part("file", std::string(40, 'x'), "f") + Close(), "file too big for the test sink"},
      {Part("name", "iris"), "ended before the closing boundary"},
  };
  for (const Case& c : cases) {
    UploadForm form(kBoundary, Fields(), Sink());
    absl::Status status = FeedAll(form, c.body);
    EXPECT_FALSE(status.ok()) << c.message;
    EXPECT_THAT(status.message(), HasSubstr(c.message));
  }
}

TEST_F(UploadFormTest, BoundaryNeedsMultipartFormData) {
  HttpRequest request;
  EXPECT_THAT(UploadFormBoundary(request).status().message(), HasSubstr("no Content-Type"));
  request.headers.emplace_back("content-type", "application/json");
  EXPECT_FALSE(UploadFormBoundary(request).ok());
  request.headers.clear();
  request.headers.emplace_back("content-type", "multipart/form-data; boundary=XyZ");
  auto boundary = UploadFormBoundary(request);
  ASSERT_TRUE(boundary.ok()) << boundary.status();
  EXPECT_EQ(*boundary, "XyZ");
}

}  // namespace
}  // namespace aiaas::server
