#ifndef AIAAS_SERVER_TEST_HTTP_CLIENT_H_
#define AIAAS_SERVER_TEST_HTTP_CLIENT_H_

// Test-only: a raw HTTP client on a loopback socket (plain or TLS) that
// shows exactly the bytes the server sent and when, for tests of the HTTP
// server's framing, timing and connection handling.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace aiaas::server::test_http {

class RawClient {
 public:
  // Connects to 127.0.0.1:`port`. `receive_buffer_bytes` > 0 shrinks the
  // socket's receive buffer (a slow reader); `tls` speaks TLS (no
  // certificate check).
  RawClient(int port, int receive_buffer_bytes = 0, bool tls = false) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer_bytes > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof(int));
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    if (connected_ && tls) {
      ctx_ = SSL_CTX_new(TLS_client_method());
      ssl_ = SSL_new(ctx_);
      SSL_set_fd(ssl_, fd_);
      connected_ = SSL_connect(ssl_) == 1;
    }
  }
  ~RawClient() {
    Close();
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  const std::string& received() const { return received_; }
  bool eof() const { return eof_; }

  bool Send(std::string_view bytes) {
    if (ssl_ != nullptr) {
      return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
             static_cast<int>(bytes.size());
    }
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Sends `GET path` with a Host header.
  bool Get(std::string_view path, std::string_view version = "HTTP/1.1") {
    return Send(std::string("GET ") + std::string(path) + " " + std::string(version) +
                "\r\nHost: 127.0.0.1\r\n\r\n");
  }

  // Reads until what was received contains `text` (true), or the server
  // closes or `timeout` passes (false).
  bool ReadUntil(std::string_view text, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (received_.find(text) == std::string::npos) {
      if (!ReadSome(deadline)) return false;
    }
    return true;
  }

  // Reads until the server closes the connection (true) or `timeout` passes.
  bool ReadToEof(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!eof_) {
      if (!ReadSome(deadline) && !eof_) return false;
    }
    return true;
  }

  // Hangs up (over TLS after a close_notify).
  void Close() {
    if (ssl_ != nullptr) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // The status code of the response received, or 0.
  int Status() const {
    if (received_.rfind("HTTP/1.", 0) != 0 || received_.size() < 12) return 0;
    return std::atoi(received_.substr(9, 3).c_str());
  }

  // The header block (up to the blank line), or "".
  std::string Head() const {
    auto end = received_.find("\r\n\r\n");
    return end == std::string::npos ? "" : received_.substr(0, end + 2);
  }

  // The bytes after the header block.
  std::string Body() const {
    auto end = received_.find("\r\n\r\n");
    return end == std::string::npos ? "" : received_.substr(end + 4);
  }

 private:
  // One read of what is available; false at end of stream, on an error or
  // at the deadline.
  bool ReadSome(absl::Time deadline) {
    if (eof_ || fd_ < 0) return false;
    if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
      const int64_t wait_ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now()));
      pollfd readable{fd_, POLLIN, 0};
      if (::poll(&readable, 1, static_cast<int>(wait_ms)) <= 0) return false;
    }
    char buffer[16384];
    const ssize_t n = ssl_ != nullptr ? SSL_read(ssl_, buffer, sizeof(buffer))
                                      : ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    received_.append(buffer, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool connected_ = false;
  bool eof_ = false;
  std::string received_;
};

// Decodes a chunked body. Sets `*complete` when the last chunk was seen;
// nullopt when the framing is broken.
inline std::optional<std::string> DecodeChunked(std::string_view body, bool* complete) {
  std::string out;
  *complete = false;
  while (!body.empty()) {
    auto line_end = body.find("\r\n");
    if (line_end == std::string_view::npos) return out;  // more to come
    size_t size = 0;
    for (char c : body.substr(0, line_end)) {
      int digit = (c >= '0' && c <= '9')   ? c - '0'
                  : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                  : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                           : -1;
      if (digit < 0) return std::nullopt;
      size = size * 16 + static_cast<size_t>(digit);
    }
    body.remove_prefix(line_end + 2);
    if (size == 0) {
      *complete = body == "\r\n";
      return *complete ? std::optional<std::string>(out) : std::nullopt;
    }
    if (body.size() < size + 2) return out;  // more to come
    if (body.substr(size, 2) != "\r\n") return std::nullopt;
    out.append(body.substr(0, size));
    body.remove_prefix(size + 2);
  }
  return out;
}

}  // namespace aiaas::server::test_http

#endif  // AIAAS_SERVER_TEST_HTTP_CLIENT_H_
