#ifndef AIAAS_SERVER_HTTP_TYPES_H_
#define AIAAS_SERVER_HTTP_TYPES_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace aiaas::services {
struct Caller;  // who is calling (services/permissions.h); opaque to the HTTP layer
class AuditLog;  // where audit events go (services/audit_log.h); opaque to the HTTP layer
}  // namespace aiaas::services

namespace aiaas::server {

// A parsed HTTP request as handlers see it. Header names are lowercase.
struct HttpRequest {
  std::string method;                              // "GET", "POST", ...
  std::string path;                                // raw path, without the query
  std::map<std::string, std::string> query;        // decoded query parameters
  std::map<std::string, std::string> path_params;  // decoded, from the route pattern
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // empty for streamed routes
  std::string route;       // the matched pattern, e.g. "/v2/models/{model}/infer" (for metrics)
  std::string request_id;  // X-Request-Id as sent, or generated; echoed in the response
  std::string peer;        // the client's address as the socket sees it, e.g. "127.0.0.1"
  // When the whole request (headers and body) had arrived; metrics of
  // server-side latency start here.
  absl::Time received = absl::InfinitePast();
  // The authenticated caller, set by the admission hook; null for public
  // routes and when authentication is off.
  std::shared_ptr<const services::Caller> caller;
  // The audit log, set by the admission hook (server/request_audit.h); null:
  // nothing is audited. Borrowed: it outlives the server.
  services::AuditLog* audit = nullptr;
  // Set when the client disconnects while the request waits for its response.
  std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);

  // First value of a header (name in lowercase), or nullopt.
  std::optional<std::string> Header(std::string_view lowercase_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lowercase_name) return value;
    }
    return std::nullopt;
  }
};

// The body of a streamed response (Server-Sent Events: a training job's
// progress), produced piece by piece while the connection stays open. The
// server polls it on the connection's I/O thread right after the header is
// sent and then every HttpServerOptions::stream_poll_interval_ms, so an open
// stream never holds a worker thread. Owned by the server from the moment the
// handler returns it; destroyed (on the I/O thread, or in HttpServer::Stop)
// as soon as the stream ends, the client disconnects, a write times out or
// the client reads too slowly, or the server begins to shut down.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;

  // Must not block. Returns the next bytes to send — everything available,
  // e.g. one or more complete "data: ...\n\n" events — or "" when there is
  // nothing new yet, or nullopt when the stream has ended (the response is
  // then finished and Poll is not called again). Called on one thread at a
  // time, never after the stream was released.
  virtual std::optional<std::string> Poll() = 0;
};

// A response. When `file_path` is set the file's bytes are streamed as the
// body and `body` is ignored. When `stream` is set the body comes from it
// (see ResponseStream; `body` and `file_path` are ignored): the server sends
// the header with `Transfer-Encoding: chunked` (close-delimited to an
// HTTP/1.0 client), `Cache-Control: no-cache` and `X-Accel-Buffering: no`,
// writes each piece as it is polled, sends an SSE comment
// (": keep-alive\n\n") after HttpServerOptions::stream_keepalive_ms of
// silence, and closes the connection after the stream ends. Beyond
// HttpServerOptions::max_streams open streams, or while the server shuts
// down, the response is replaced by a JSON 503 with Retry-After.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";  // "text/event-stream" for SSE
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string file_path;
  std::shared_ptr<ResponseStream> stream;
};

// Delivers a handler's response. Call exactly once, from any thread.
using Respond = std::function<void(HttpResponse)>;

// Receives the body of a streamed request (artifact uploads) chunk by chunk on
// the connection's I/O thread, then builds the response on a worker thread.
// Owned by the connection for the duration of one request.
class BodyConsumer {
 public:
  virtual ~BodyConsumer() = default;

  // Takes the next chunk. A non-OK status aborts the request; the status
  // becomes the error response and the connection is closed.
  [[nodiscard]] virtual absl::Status Consume(std::string_view chunk) = 0;

  // Called once after the whole body arrived; may block (runs on a worker).
  virtual HttpResponse Finish() = 0;
};

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_HTTP_TYPES_H_
