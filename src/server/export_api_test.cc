// The export route through the router, with a real ModelRegistry and ModelAccess on
// SQLite and a fake exporter: the file and its headers, the order of the refusals
// (format 400, unknown 404, exporter's 400), and the permissions of .../artifact.
#include "server/export_api.h"

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "server/router.h"
#include "services/model_access.h"
#include "services/model_registry.h"
#include "services/permissions.h"
#include "storage/local_artifact_store.h"
#include "storage/sqlite_metadata_store.h"
#include "storage/test_temp_dir.h"

namespace aiaas::server {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class NullServable final : public runtime::Servable {
 public:
  const Signature& signature() const override { return signature_; }
  absl::StatusOr<runtime::NamedTensors> Infer(const TensorMap&) override {
    return runtime::NamedTensors{};
  }

 private:
  Signature signature_;
};

// Loads anything, for the formats "native" and "onnx".
class AnyRuntime final : public runtime::Runtime {
 public:
  explicit AnyRuntime(std::string format) : format_(std::move(format)) {}
  std::string_view format() const override { return format_; }
  absl::StatusOr<std::unique_ptr<runtime::Servable>> Load(
      const std::string&, const std::optional<Signature>&) override {
    return std::make_unique<NullServable>();
  }

 private:
  std::string format_;
};

// "onnx" and "safetensors"; the file's content, prefixed with the format.
class FakeExporter final : public services::ModelExporter {
 public:
  absl::Status CheckFormat(std::string_view format) const override {
    if (format == "onnx" || format == "safetensors") return absl::OkStatus();
    return absl::InvalidArgumentError("format must be 'onnx' or 'safetensors'");
  }
  absl::StatusOr<services::ExportedArtifact> Export(const std::string& path,
                                                    std::string_view source_format,
                                                    std::string_view format) override {
    ++calls;
    if (source_format != "native") {
      return absl::InvalidArgumentError("only versions of format 'native' can be exported");
    }
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return services::ExportedArtifact{std::string(format) + ":" + bytes, "application/onnx",
                                      format == "onnx" ? ".onnx" : ".safetensors"};
  }
  int calls = 0;
};

std::shared_ptr<const services::Caller> MakeCaller(const std::string& tenant, services::Role role) {
  auto caller = std::make_shared<services::Caller>();
  caller->tenant = tenant;
  caller->role = role;
  caller->key_id = "k-" + tenant;
  return caller;
}

struct Answer {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string disposition;
};

class ExportApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = storage::SqliteMetadataStore::Open(dir_.path() + "/metadata.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->CreateTenant("acme").ok());
    ASSERT_TRUE(store_->CreateTenant("other").ok());
    auto artifacts = storage::LocalArtifactStore::Open(dir_.path());
    ASSERT_TRUE(artifacts.ok());
    artifacts_ = std::move(*artifacts);
    runtimes_.Register(std::make_unique<AnyRuntime>("native"));
    runtimes_.Register(std::make_unique<AnyRuntime>("onnx"));
    registry_ =
        std::make_unique<services::ModelRegistry>(store_.get(), artifacts_.get(), &runtimes_);
    access_ = std::make_unique<services::ModelAccess>(store_.get());
    RegisterExportApi(&router_, ExportApiDeps{registry_.get(), access_.get(), &exporter_});
    Push("trained", "native", "BUNDLE");
    Push("pushed", "onnx", "ONNX");
  }

  void Push(const std::string& model, const std::string& format, const std::string& bytes) {
    auto upload = registry_->StartUpload(1 << 20);
    ASSERT_TRUE(upload.ok());
    ASSERT_TRUE((*upload)->Write(bytes).ok());
    services::PushRequest request;
    request.tenant = "acme";
    request.model = model;
    request.format = format;
    ASSERT_TRUE(registry_->PushVersion(request, std::move(*upload)).ok());
  }

  Answer Get(const std::shared_ptr<const services::Caller>& caller, const std::string& path) {
    HttpRequest request;
    request.method = "GET";
    request.path = path.substr(0, path.find('?'));
    request.caller = caller;
    if (size_t q = path.find('?'); q != std::string::npos) {
      std::vector<std::string> pairs = absl::StrSplit(path.substr(q + 1), '&');
      for (const std::string& pair : pairs) {
        const size_t eq = pair.find('=');
        request.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
      }
    }
    Router::Match match = router_.Find("GET", request.path);
    Answer answer;
    if (match.status != 200 || match.handler == nullptr) {
      answer.status = match.status;
      return answer;
    }
    request.path_params = match.params;
    (*match.handler)(request, [&answer](HttpResponse response) {
      answer.status = response.status;
      answer.body = response.body;
      answer.content_type = response.content_type;
      for (const auto& [name, value] : response.headers) {
        if (name == "Content-Disposition") answer.disposition = value;
      }
    });
    return answer;
  }

  static std::string Error(const Answer& answer) {
    return json::parse(answer.body, nullptr, false).value("error", "");
  }

  storage::TestTempDir dir_;
  std::unique_ptr<storage::SqliteMetadataStore> store_;
  std::unique_ptr<storage::LocalArtifactStore> artifacts_;
  runtime::RuntimeRegistry runtimes_;
  std::unique_ptr<services::ModelRegistry> registry_;
  std::unique_ptr<services::ModelAccess> access_;
  FakeExporter exporter_;
  Router router_;
  std::shared_ptr<const services::Caller> viewer_ = MakeCaller("acme", services::Role::kViewer);
};

TEST_F(ExportApiTest, AnswersTheExportedFileAsAnAttachment) {
  Answer answer = Get(viewer_, "/api/v1/models/trained/versions/1/export?format=onnx");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.body, "onnx:BUNDLE");
  EXPECT_EQ(answer.content_type, "application/onnx");
  EXPECT_EQ(answer.disposition, "attachment; filename=\"trained-v1.onnx\"");
  answer = Get(viewer_, "/api/v1/models/trained/versions/1/export?format=safetensors");
  EXPECT_EQ(answer.disposition, "attachment; filename=\"trained-v1.safetensors\"");
}

TEST_F(ExportApiTest, RefusesBadFormatsUnknownVersionsAndOtherFormats) {
  Answer answer = Get(viewer_, "/api/v1/models/trained/versions/1/export");
  EXPECT_EQ(answer.status, 400);
  answer = Get(viewer_, "/api/v1/models/trained/versions/1/export?format=pt");
  EXPECT_EQ(answer.status, 400);
  EXPECT_THAT(Error(answer), HasSubstr("onnx"));
  EXPECT_EQ(Get(viewer_, "/api/v1/models/trained/versions/9/export?format=onnx").status, 404);
  EXPECT_EQ(Get(viewer_, "/api/v1/models/nothing/versions/1/export?format=onnx").status, 404);
  EXPECT_EQ(exporter_.calls, 0);  // nothing was converted for these
  answer = Get(viewer_, "/api/v1/models/pushed/versions/1/export?format=onnx");
  EXPECT_EQ(answer.status, 400);
  EXPECT_THAT(Error(answer), HasSubstr("native"));
}

TEST_F(ExportApiTest, NeedsModelReadLikeTheArtifactRoute) {
  auto inference = MakeCaller("acme", services::Role::kInference);
  EXPECT_EQ(Get(inference, "/api/v1/models/trained/versions/1/export?format=onnx").status, 403);
  EXPECT_EQ(Get(nullptr, "/api/v1/models/trained/versions/1/export?format=onnx").status, 401);

  // Another tenant sees the model only through a read grant, as {owner}/{model}.
  auto other = MakeCaller("other", services::Role::kViewer);
  const std::string shared = "/api/v1/models/acme/trained/versions/1/export?format=onnx";
  EXPECT_EQ(Get(other, shared).status, 404);
  auto admin = MakeCaller("acme", services::Role::kAdmin);
  ASSERT_TRUE(access_->PutGrant(*admin, "trained", "other", "read").ok());
  Answer answer = Get(other, shared);
  EXPECT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.body, "onnx:BUNDLE");
}

}  // namespace
}  // namespace aiaas::server
