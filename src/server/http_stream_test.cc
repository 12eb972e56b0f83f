// Streamed responses (HttpResponse::stream) end to end: a real HttpServer on
// 127.0.0.1 and a raw client that sees every byte, over plain TCP and TLS.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/http_server.h"
#include "server/router.h"
#include "server/test_http_client.h"
#include "server/test_tls_cert.h"
#include "server/tls_context.h"
#include "storage/test_temp_dir.h"

namespace aiaas::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using test_http::DecodeChunked;
using test_http::RawClient;

// What the server did with the streams a test's routes handed out.
struct Probe {
  std::atomic<int> created{0};
  std::atomic<int> live{0};
  std::atomic<int> polls{0};
};

// Yields each event once its offset from the first poll has passed, then
// ends — or, unless `ends`, stays open with nothing more to say.
class ScriptedStream : public ResponseStream {
 public:
  struct Event {
    absl::Duration at;
    std::string bytes;
  };

  ScriptedStream(std::shared_ptr<Probe> probe, std::vector<Event> events, bool ends)
      : probe_(std::move(probe)), events_(std::move(events)), ends_(ends) {
    ++probe_->created;
    ++probe_->live;
  }
  ~ScriptedStream() override { --probe_->live; }

  std::optional<std::string> Poll() override {
    ++probe_->polls;
    if (start_ == absl::InfinitePast()) start_ = absl::Now();
    std::string out;
    while (next_ < events_.size() && absl::Now() - start_ >= events_[next_].at) {
      out += events_[next_++].bytes;
    }
    if (out.empty() && next_ == events_.size() && ends_) return std::nullopt;
    return out;
  }

 private:
  std::shared_ptr<Probe> probe_;
  std::vector<Event> events_;
  bool ends_;
  absl::Time start_ = absl::InfinitePast();
  size_t next_ = 0;
};

// Has 256 KiB more to send at every poll, forever.
class FloodStream : public ResponseStream {
 public:
  explicit FloodStream(std::shared_ptr<Probe> probe) : probe_(std::move(probe)) {
    ++probe_->created;
    ++probe_->live;
  }
  ~FloodStream() override { --probe_->live; }
  std::optional<std::string> Poll() override {
    ++probe_->polls;
    return std::string(256 * 1024, 'x');
  }

 private:
  std::shared_ptr<Probe> probe_;
};

bool Eventually(const std::function<bool()>& condition, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

int Count(const std::string& text, const std::string& part) {
  int count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

class HttpStreamTest : public ::testing::Test {
 protected:
  HttpStreamTest() {
    router_.Handle("GET", "/events", [this](const HttpRequest&) {
      HttpResponse response;
      response.content_type = "text/event-stream";
      response.stream = std::make_shared<ScriptedStream>(probe_, events_, ends_);
      return response;
    });
    router_.Handle("GET", "/flood", [this](const HttpRequest&) {
      HttpResponse response;
      response.content_type = "text/event-stream";
      response.stream = std::make_shared<FloodStream>(probe_);
      return response;
    });
    router_.Handle("GET", "/plain", [](const HttpRequest&) {
      HttpResponse response;
      response.body = R"({"ok":true})";
      return response;
    });
  }

  // Fast polling; no keep-alive comments unless a test asks for them.
  static HttpServerOptions Options() {
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.worker_threads = 1;
    options.stream_poll_interval_ms = 20;
    options.stream_keepalive_ms = 60000;
    return options;
  }

  void Start(const HttpServerOptions& options) {
    auto server = HttpServer::Create(options, &router_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    server_->Start();
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Stop();
  }

  // A client whose stream response has begun (the header arrived).
  std::unique_ptr<RawClient> OpenStream(bool tls = false) {
    auto client = std::make_unique<RawClient>(server_->port(), 0, tls);
    EXPECT_TRUE(client->connected());
    EXPECT_TRUE(client->Get("/events"));
    EXPECT_TRUE(client->ReadUntil("\r\n\r\n", absl::Seconds(1)));
    EXPECT_EQ(client->Status(), 200);
    return client;
  }

  std::shared_ptr<Probe> probe_ = std::make_shared<Probe>();
  // The /events script; set before Start().
  std::vector<ScriptedStream::Event> events_;
  bool ends_ = false;
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpStreamTest, EventsArriveInOrderPromptlyAndTheStreamEnds) {
  events_ = {{absl::ZeroDuration(), "data: 1\n\n"}, {absl::Milliseconds(300), "data: 2\n\n"}};
  ends_ = true;
  Start(Options());
  RawClient client(server_->port());
  ASSERT_TRUE(client.Get("/events"));
  const absl::Time sent = absl::Now();

  ASSERT_TRUE(client.ReadUntil("data: 1\n\n", absl::Seconds(1)));
  EXPECT_LT(absl::Now() - sent, absl::Milliseconds(200));  // polled at once, not after a tick
  EXPECT_THAT(client.received(), Not(HasSubstr("data: 2")));
  ASSERT_TRUE(client.ReadUntil("data: 2\n\n", absl::Seconds(2)));
  EXPECT_GE(absl::Now() - sent, absl::Milliseconds(290));
  EXPECT_LT(absl::Now() - sent, absl::Milliseconds(700));
  ASSERT_TRUE(client.ReadToEof(absl::Seconds(1)));

  EXPECT_EQ(client.Status(), 200);
  const std::string head = client.Head();
  EXPECT_THAT(head, HasSubstr("Content-Type: text/event-stream\r\n"));
  EXPECT_THAT(head, HasSubstr("Transfer-Encoding: chunked\r\n"));
  EXPECT_THAT(head, HasSubstr("Cache-Control: no-cache\r\n"));
  EXPECT_THAT(head, HasSubstr("X-Accel-Buffering: no\r\n"));
  EXPECT_THAT(head, HasSubstr("Connection: close\r\n"));
  bool complete = false;
  auto body = DecodeChunked(client.Body(), &complete);
  ASSERT_TRUE(body.has_value()) << client.Body();
  EXPECT_TRUE(complete);
  EXPECT_EQ(*body, "data: 1\n\ndata: 2\n\n");
  EXPECT_TRUE(Eventually([&] { return probe_->live == 0; }, absl::Seconds(1)));
  EXPECT_EQ(probe_->created, 1);
}

TEST_F(HttpStreamTest, TheFirstPollComesRightAfterTheHeaderNotAfterAnInterval) {
  events_ = {{absl::ZeroDuration(), "data: 1\n\n"}};
  HttpServerOptions options = Options();
  options.stream_poll_interval_ms = 5000;
  Start(options);
  RawClient client(server_->port());
  ASSERT_TRUE(client.Get("/events"));
  EXPECT_TRUE(client.ReadUntil("data: 1\n\n", absl::Seconds(1)));
}

TEST_F(HttpStreamTest, Http10ClientGetsACloseDelimitedBody) {
  events_ = {{absl::ZeroDuration(), "data: 1\n\n"}, {absl::Milliseconds(30), "data: 2\n\n"}};
  ends_ = true;
  Start(Options());
  RawClient client(server_->port());
  ASSERT_TRUE(client.Get("/events", "HTTP/1.0"));
  ASSERT_TRUE(client.ReadToEof(absl::Seconds(1)));
  EXPECT_EQ(client.Status(), 200);
  EXPECT_THAT(client.Head(), Not(HasSubstr("Transfer-Encoding")));
  EXPECT_EQ(client.Body(), "data: 1\n\ndata: 2\n\n");
}

TEST_F(HttpStreamTest, KeepAliveCommentsFollowSilence) {
  HttpServerOptions options = Options();
  options.stream_keepalive_ms = 100;
  Start(options);
  auto client = OpenStream();
  const absl::Time opened = absl::Now();
  ASSERT_TRUE(client->ReadUntil(": keep-alive\n\n", absl::Seconds(1)));
  EXPECT_GE(absl::Now() - opened, absl::Milliseconds(60));
  client->ReadUntil("never sent", absl::Milliseconds(350));
  bool complete = false;
  auto body = DecodeChunked(client->Body(), &complete);
  ASSERT_TRUE(body.has_value());
  EXPECT_FALSE(complete);
  // One comment per 100 ms of silence, not one per 20 ms poll.
  const int comments = Count(*body, ": keep-alive\n\n");
  EXPECT_GE(comments, 2);
  EXPECT_LE(comments, 6);
  EXPECT_EQ(body->size(), comments * std::string(": keep-alive\n\n").size());
}

TEST_F(HttpStreamTest, ClientDisconnectReleasesTheStream) {
  Start(Options());
  auto client = OpenStream();
  ASSERT_TRUE(Eventually([&] { return probe_->polls > 0; }, absl::Seconds(1)));
  client->Close();
  ASSERT_TRUE(Eventually([&] { return probe_->live == 0; }, absl::Seconds(1)));
  const int polls = probe_->polls;
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(probe_->polls, polls);
}

TEST_F(HttpStreamTest, SlowReaderIsDroppedBeyondTheBufferLimit) {
  HttpServerOptions options = Options();
  options.max_stream_buffer_bytes = 1 << 20;
  Start(options);
  RawClient client(server_->port(), /*receive_buffer_bytes=*/4096);
  ASSERT_TRUE(client.Get("/flood"));  // and never read
  ASSERT_TRUE(Eventually([&] { return probe_->created == 1; }, absl::Seconds(1)));
  EXPECT_TRUE(Eventually([&] { return probe_->live == 0; }, absl::Seconds(3)));
  EXPECT_GT(probe_->polls, 1);
}

TEST_F(HttpStreamTest, StreamsBeyondTheLimitAre503WithRetryAfter) {
  HttpServerOptions options = Options();
  options.max_streams = 1;
  Start(options);
  auto first = OpenStream();

  RawClient second(server_->port());
  ASSERT_TRUE(second.Get("/events"));
  ASSERT_TRUE(second.ReadToEof(absl::Seconds(1)));
  EXPECT_EQ(second.Status(), 503);
  EXPECT_THAT(second.Head(), HasSubstr("Retry-After: 1\r\n"));
  EXPECT_THAT(second.Body(), HasSubstr(R"({"error":)"));
  EXPECT_THAT(second.Body(), HasSubstr("--max-event-streams"));
  EXPECT_TRUE(Eventually([&] { return probe_->live == 1; }, absl::Seconds(1)));

  first->Close();  // frees the slot
  ASSERT_TRUE(Eventually([&] { return probe_->live == 0; }, absl::Seconds(1)));
  auto third = OpenStream();
  EXPECT_EQ(third->Status(), 200);
}

TEST_F(HttpStreamTest, AnOpenStreamHoldsNoWorkerThread) {
  Start(Options());  // one worker thread
  auto stream = OpenStream();
  RawClient other(server_->port());
  ASSERT_TRUE(other.Get("/plain"));
  EXPECT_TRUE(other.ReadUntil(R"({"ok":true})", absl::Seconds(1)));
}

TEST_F(HttpStreamTest, BeginDrainEndsOpenStreams) {
  Start(Options());
  auto client = OpenStream();
  server_->BeginDrain();
  ASSERT_TRUE(client->ReadToEof(absl::Seconds(1)));
  bool complete = false;
  ASSERT_TRUE(DecodeChunked(client->Body(), &complete).has_value());
  EXPECT_TRUE(complete);  // ended with the last chunk, not cut off
  EXPECT_TRUE(server_->WaitIdle(absl::Seconds(1)));
  EXPECT_EQ(probe_->live, 0);
}

TEST_F(HttpStreamTest, StopWithAnOpenStreamIsPromptAndReleasesIt) {
  Start(Options());
  auto client = OpenStream();
  ASSERT_EQ(probe_->live, 1);
  const absl::Time stopping = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - stopping, absl::Seconds(1));
  EXPECT_EQ(probe_->live, 0);
}

class HttpsStreamTest : public HttpStreamTest {
 protected:
  // A server speaking TLS with a fresh self-signed certificate.
  void StartTls() {
    auto key = test_tls::NewKey();
    ASSERT_NE(key, nullptr);
    auto cert = test_tls::SelfSigned(key.get());
    TlsFiles files{dir_.path() + "/cert.pem", dir_.path() + "/key.pem"};
    test_tls::WriteCert(files.cert_path, cert.get());
    test_tls::WriteKey(files.key_path, key.get(), nullptr);
    auto tls = TlsContext::Load(files);
    ASSERT_TRUE(tls.ok()) << tls.status();
    HttpServerOptions options = Options();
    options.tls = std::move(*tls);
    Start(options);
  }

  storage::TestTempDir dir_;
};

TEST_F(HttpsStreamTest, EventsArriveAndTheStreamEnds) {
  events_ = {{absl::ZeroDuration(), "data: 1\n\n"}, {absl::Milliseconds(50), "data: 2\n\n"}};
  ends_ = true;
  StartTls();
  auto client = OpenStream(/*tls=*/true);
  ASSERT_TRUE(client->ReadToEof(absl::Seconds(1)));  // after the server's close_notify
  bool complete = false;
  auto body = DecodeChunked(client->Body(), &complete);
  ASSERT_TRUE(body.has_value());
  EXPECT_TRUE(complete);
  EXPECT_EQ(*body, "data: 1\n\ndata: 2\n\n");
  EXPECT_TRUE(Eventually([&] { return probe_->live == 0; }, absl::Seconds(1)));
}

TEST_F(HttpsStreamTest, ClientDisconnectReleasesTheStream) {
  StartTls();
  auto client = OpenStream(/*tls=*/true);
  client->Close();
  EXPECT_TRUE(Eventually([&] { return probe_->live == 0; }, absl::Seconds(1)));
}

}  // namespace
}  // namespace aiaas::server
