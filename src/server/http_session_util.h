#ifndef AIAAS_SERVER_HTTP_SESSION_UTIL_H_
#define AIAAS_SERVER_HTTP_SESSION_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <boost/system/error_code.hpp>

#include "server/http_server.h"
#include "server/http_stream_writer.h"
#include "server/http_types.h"

// The parts of one HTTP connection's logic that do not depend on the stream
// (plain TCP or TLS); used by http_session.cc.
namespace aiaas::server {

// GET /v2/health/live and /v2/health/ready stay served while draining.
bool IsHealthPath(std::string_view path);

// True when `host_header` (the Host value as sent, maybe with a port; nullopt
// when absent) names one of `allowed` (lowercase, without port; IPv6
// literals bracketed). An empty `allowed` accepts anything; a missing Host is
// refused (HTTP/1.1 requires it).
bool HostAllowed(const std::vector<std::string>& allowed,
                 std::optional<std::string_view> host_header);

// The request's X-Request-Id when it is usable (1..128 bytes), else a new
// id unique within the process.
std::string RequestIdFrom(const HttpRequest& request);

// 413 for a body beyond `limit` bytes, naming the flag that sets it.
HttpResponse TooLarge(int64_t limit, bool streamed);

// 413 for a chunked body of more than `max_chunks` chunks.
HttpResponse TooManyChunks(int64_t max_chunks);

// How a stream response is sent under `options`; `chunked` is false for an
// HTTP/1.0 client (the body then ends when the connection closes).
StreamWriterOptions StreamWriterOptionsFor(const HttpServerOptions& options, bool chunked);

// True for a read result that means the client is gone or the transport
// failed (end of stream, reset, timeout, cancellation, any TLS error): the
// connection is closed without an answer, since none could be delivered.
bool IsConnectionGone(const boost::system::error_code& ec);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_HTTP_SESSION_UTIL_H_
