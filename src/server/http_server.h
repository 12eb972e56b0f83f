#ifndef AIAAS_SERVER_HTTP_SERVER_H_
#define AIAAS_SERVER_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/router.h"
#include "server/tls_context.h"

namespace aiaas::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 picks a free port (see HttpServer::port())
  int io_threads = 2;
  // Threads that run handlers (model loading and inference block them).
  int worker_threads = 2;
  int64_t max_body_bytes = 64LL << 20;    // buffered requests (inference, management)
  int64_t max_upload_bytes = 8LL << 30;   // streamed requests (artifact uploads)
  int64_t max_header_bytes = 16LL << 10;
  int64_t idle_timeout_s = 60;            // a body read or a write making no progress
  // The whole header block of a request must arrive within this (and within
  // idle_timeout_s), counted from when the connection is ready for it; also
  // how long a kept-alive connection may wait for its next request. Defeats
  // slowloris clients that trickle header bytes.
  int64_t header_timeout_s = 10;
  bool access_log = false;                // one structured log line per request
  // Host header values accepted (lowercase names without port, e.g.
  // "localhost", "127.0.0.1", "[::1]"); others are refused with 421 before
  // routing, which defeats DNS rebinding. Empty accepts any host.
  std::vector<std::string> allowed_hosts;
  // Most chunks a chunked request body may have (defeats bodies of millions
  // of one-byte chunks).
  int64_t max_body_chunks = 100000;
  // Streamed responses (HttpResponse::stream, e.g. Server-Sent Events).
  // Most streams open at once, each holding its connection; a further stream
  // response is answered 503 with Retry-After instead.
  int64_t max_streams = 64;
  int64_t stream_poll_interval_ms = 250;  // how often an open stream is polled
  // Silence after which an SSE comment (": keep-alive\n\n") is sent, so
  // proxies and clients do not take a quiet stream for a dead one; 0: never.
  int64_t stream_keepalive_ms = 15000;
  // Bytes of one stream polled but not yet written (a slow reader); beyond
  // this the connection is dropped. Each write must also finish within
  // idle_timeout_s.
  int64_t max_stream_buffer_bytes = 1LL << 20;
  // Called on the I/O thread for every routed request after its headers
  // (path params and route set, body not read yet): returns a response to
  // send instead (e.g. 401, 429), or nullopt to go on. It may fill
  // `request.caller`. Must not block for long. May be empty.
  std::function<std::optional<HttpResponse>(HttpRequest& request)> admit;
  // Called after each response is written (for metrics); may be empty.
  std::function<void(const std::string& route, int status)> on_response;
  // Set: every connection speaks TLS with this certificate and policy; the
  // handshake must finish, with the first request's header block, within
  // header_timeout_s. Null: plain HTTP. Shared so the server keeps it alive.
  std::shared_ptr<TlsContext> tls;
};

// Asynchronous HTTP/1.1 server on Boost.Beast, over plain TCP or TLS (the
// same request logic and limits for both): I/O threads parse requests and
// write responses; handlers run on a separate worker pool so a slow model
// never stalls the network loop. Streamed routes receive their body chunk by
// chunk (never held whole in memory); streamed responses
// (HttpResponse::stream) are polled on the I/O threads on a timer and sent
// chunk by chunk (server/http_stream_writer.h).
//
// Lifecycle: Create() binds; Start() serves; BeginDrain() makes every new
// request except health checks a 503 while in-flight ones finish, and ends
// every open response stream (they may never end by themselves); WaitIdle()
// waits for them; Stop() (or destruction) closes everything and releases
// every stream still open.
// Thread-safety: lifecycle methods from one controlling thread.
class HttpServer {
 public:
  // Binds host:port. InvalidArgument for a bad address, Unavailable if the
  // port is taken. `router` is borrowed and must outlive the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options,
                                                            const Router* router);
  virtual ~HttpServer() = default;

  // The bound port.
  virtual int port() const = 0;
  virtual void Start() = 0;
  virtual void BeginDrain() = 0;
  // True when no request is in flight within `timeout`.
  virtual bool WaitIdle(absl::Duration timeout) = 0;
  virtual void Stop() = 0;
};

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_HTTP_SERVER_H_
