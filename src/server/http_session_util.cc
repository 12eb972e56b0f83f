#include "server/http_session_util.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <thread>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/http_errors.h"

namespace aiaas::server {

bool IsHealthPath(std::string_view path) {
  return path == "/v2/health/live" || path == "/v2/health/ready";
}

bool HostAllowed(const std::vector<std::string>& allowed,
                 std::optional<std::string_view> host_header) {
  if (allowed.empty()) return true;
  if (!host_header) return false;
  std::string host = absl::AsciiStrToLower(std::string(*host_header));
  // Strip the port: "name:8080", "[::1]:8080"; a bare IPv6 literal is bracketed.
  if (auto colon = host.rfind(':');
      colon != std::string::npos && host.find(']', colon) == std::string::npos) {
    host.resize(colon);
  }
  return std::find(allowed.begin(), allowed.end(), host) != allowed.end();
}

std::string RequestIdFrom(const HttpRequest& request) {
  if (auto id = request.Header("x-request-id"); id && !id->empty() && id->size() <= 128) {
    return *id;
  }
  thread_local uint64_t counter = 0;
  thread_local uint64_t prefix = std::hash<std::thread::id>()(std::this_thread::get_id()) ^
                                 static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%016llx%08llx", static_cast<unsigned long long>(prefix),
                static_cast<unsigned long long>(++counter & 0xffffffffULL));
  return buf;
}

HttpResponse TooLarge(int64_t limit, bool streamed) {
  return ErrorResponse(
      413, absl::StrCat("request body exceeds the limit of ", limit, " bytes (",
                        streamed ? "--max-upload-bytes" : "--max-body-bytes", ")"));
}

HttpResponse TooManyChunks(int64_t max_chunks) {
  return ErrorResponse(413, absl::StrCat("chunked request body has more than ", max_chunks,
                                         " chunks (--max-body-chunks)"));
}

bool IsConnectionGone(const boost::system::error_code& ec) {
  namespace net = boost::asio;
  return ec == boost::beast::http::error::end_of_stream || ec == net::error::eof ||
         ec == boost::beast::error::timeout || ec == net::error::operation_aborted ||
         ec == net::error::connection_reset || ec == net::ssl::error::stream_truncated ||
         ec.category() == net::error::get_ssl_category();
}

StreamWriterOptions StreamWriterOptionsFor(const HttpServerOptions& options, bool chunked) {
  StreamWriterOptions stream;
  stream.poll_interval_ms = options.stream_poll_interval_ms;
  stream.keepalive_ms = options.stream_keepalive_ms;
  stream.max_buffered_bytes = options.max_stream_buffer_bytes;
  stream.chunked = chunked;
  return stream;
}

}  // namespace aiaas::server
