#include "cli/perf_curl_sender.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Accepts one connection on 127.0.0.1, reads one request (headers plus `body_bytes`), and
// answers with `response` unless it is empty, in which case it says nothing until the
// client hangs up. Gives up after 5 s so a broken client cannot hang the test.
class LoopbackServer {
 public:
  LoopbackServer(std::string response, size_t body_bytes)
      : response_(std::move(response)), body_bytes_(body_bytes) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(listen_fd_, 1) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~LoopbackServer() {
    if (thread_.joinable()) thread_.join();
    close(listen_fd_);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_, "/v2/models/m/infer"); }
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  void Serve() {
    pollfd ready{listen_fd_, POLLIN, 0};
    if (poll(&ready, 1, 5000) != 1) return;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    char buffer[4096];
    for (;;) {
      const size_t head = request_.find("\r\n\r\n");
      if (head != std::string::npos && request_.size() >= head + 4 + body_bytes_) break;
      pollfd readable{fd, POLLIN, 0};
      if (poll(&readable, 1, 5000) != 1) break;
      const ssize_t got = recv(fd, buffer, sizeof(buffer), 0);
      if (got <= 0) break;
      request_.append(buffer, static_cast<size_t>(got));
    }
    if (!response_.empty()) {
      static_cast<void>(send(fd, response_.data(), response_.size(), MSG_NOSIGNAL));
    } else {
      pollfd hangup{fd, POLLIN, 0};  // wait for the client to give up and close
      static_cast<void>(poll(&hangup, 1, 5000));
    }
    close(fd);
  }

  std::string response_;
  size_t body_bytes_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

std::chrono::steady_clock::time_point In(std::chrono::milliseconds delay) {
  return std::chrono::steady_clock::now() + delay;
}

TEST(CurlRequestSenderTest, SendsBinaryRequestWithHeaders) {
  EncodedRequest request{std::string("{\"inputs\":[]}\x01\x02", 15), "application/octet-stream",
                         13};
  LoopbackServer server(
      "HTTP/1.1 200 OK\r\nInference-Header-Content-Length: 2\r\nContent-Length: 6\r\n\r\n{}abcd",
      request.body.size());
  auto sender = CurlRequestSender::Create(server.url(), request, "");
  ASSERT_TRUE(sender.ok()) << sender.status();
  const SendOutcome outcome = (*sender)->Send(In(std::chrono::seconds(5)));
  EXPECT_TRUE(outcome.ok) << outcome.error << " " << outcome.detail;
  EXPECT_EQ(outcome.response_bytes, 6);
  const std::string& wire = server.request();
  EXPECT_THAT(wire, HasSubstr("POST /v2/models/m/infer HTTP/1.1\r\n"));
  EXPECT_THAT(wire, HasSubstr("Content-Type: application/octet-stream\r\n"));
  EXPECT_THAT(wire, HasSubstr("Inference-Header-Content-Length: 13\r\n"));
  EXPECT_THAT(wire, HasSubstr("Content-Length: 15\r\n"));
  EXPECT_EQ(wire.substr(wire.size() - 15), request.body);
}

TEST(CurlRequestSenderTest, HttpErrorIsNamedByStatusWithServerMessage) {
  const EncodedRequest request{"{}", "application/json", std::nullopt};
  const std::string body = R"({"error": "queue full"})";
  LoopbackServer server(absl::StrCat("HTTP/1.1 503 Service Unavailable\r\nContent-Length: ",
                                     body.size(), "\r\n\r\n", body),
                        2);
  auto sender = CurlRequestSender::Create(server.url(), request, "");
  ASSERT_TRUE(sender.ok());
  const SendOutcome outcome = (*sender)->Send(In(std::chrono::seconds(5)));
  EXPECT_FALSE(outcome.ok);
  EXPECT_EQ(outcome.error, "503");
  EXPECT_EQ(outcome.detail, "queue full");
  EXPECT_EQ((*sender)->last_body_start(), body);
  EXPECT_THAT(server.request(), Not(HasSubstr("Inference-Header-Content-Length")));
  EXPECT_THAT(server.request(), Not(HasSubstr("Authorization")));
}

TEST(CurlRequestSenderTest, SendsTheApiKeyWithEveryRequest) {
  const EncodedRequest request{"{}", "application/json", std::nullopt};
  LoopbackServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 2);
  auto sender = CurlRequestSender::Create(server.url(), request, "aiaas_perf_key_0123456789");
  ASSERT_TRUE(sender.ok()) << sender.status();
  EXPECT_TRUE((*sender)->Send(In(std::chrono::seconds(5))).ok);
  EXPECT_THAT(server.request(),
              HasSubstr("\r\nAuthorization: Bearer aiaas_perf_key_0123456789\r\n"));
}

TEST(CurlRequestSenderTest, SilentServerTimesOutAtTheDeadline) {
  const EncodedRequest request{"{}", "application/json", std::nullopt};
  LoopbackServer server("", 2);
  auto sender = CurlRequestSender::Create(server.url(), request, "");
  ASSERT_TRUE(sender.ok());
  const auto start = std::chrono::steady_clock::now();
  const SendOutcome outcome = (*sender)->Send(In(std::chrono::milliseconds(300)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(outcome.error, "timeout");
  sender->reset();  // hang up so the server thread ends
  EXPECT_EQ((*CurlRequestSender::Create(server.url(), request, ""))->Send(In({})).error, "timeout");
}

// A loopback URL on a port that was free a moment ago and that nobody listens on.
std::string UnusedPortUrl() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port), "/v2/models/m/infer");
}

TEST(CurlRequestSenderTest, RefusedConnection) {
  const std::string url = UnusedPortUrl();
  const EncodedRequest request{"{}", "application/json", std::nullopt};
  const SendOutcome outcome =
      (*CurlRequestSender::Create(url, request, ""))->Send(In(std::chrono::seconds(5)));
  EXPECT_EQ(outcome.error, "connection");
  EXPECT_FALSE(outcome.detail.empty());
}

}  // namespace
}  // namespace aiaas::cli
