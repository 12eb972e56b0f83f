#include "server/http_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "server/http_errors.h"

namespace aiaas::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr size_t kStreamChunkBytes = 256 * 1024;
// A header (and a small body) arrives in one read.
constexpr size_t kInitialReadBytes = 16 * 1024;
// Most a body read asks for at once; larger bodies take several reads.
constexpr size_t kMaxBodyReadAhead = 1024 * 1024;
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

// State shared by all connections.
struct ServerState {
  HttpServerOptions options;
  const Router* router = nullptr;
  net::thread_pool* workers = nullptr;
  std::atomic<bool> draining{false};
  absl::Mutex mu;
  int64_t in_flight ABSL_GUARDED_BY(mu) = 0;
};

bool IsHealthPath(std::string_view path) {
  return path == "/v2/health/live" || path == "/v2/health/ready";
}

// One TCP connection: reads requests one after another (keep-alive) and
// writes each response before reading the next.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerState* state)
      : stream_(std::move(socket)), state_(state), chunk_(kStreamChunkBytes) {
    buffer_.reserve(kInitialReadBytes);
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadHeader(); });
  }

 private:
  void ReadHeader() {
    header_parser_.emplace();
    header_parser_->header_limit(static_cast<uint32_t>(state_->options.max_header_bytes));
    // Boost 1.74 compares the length against an empty optional as "exceeded", so
    // "no limit yet" is spelled as the largest value; the real limit is set per route.
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(std::chrono::seconds(
        std::min(state_->options.header_timeout_s, state_->options.idle_timeout_s)));
    http::async_read_header(stream_, buffer_, *header_parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::header_limit) {
        return RespondAndClose(ErrorResponse(431, "request headers are too large"));
      }
      if (ec == http::error::end_of_stream || ec == net::error::eof ||
          ec == beast::error::timeout || ec == net::error::operation_aborted ||
          ec == net::error::connection_reset) {
        return Close();
      }
      return RespondAndClose(ErrorResponse(400, absl::StrCat("malformed HTTP request: ",
                                                             ec.message())));
    }
    BeginRequest();
    started_ = absl::Now();
    const auto& header = header_parser_->get();
    request_ = HttpRequest{};
    request_.method = std::string(header.method_string());
    std::string_view target(header.target().data(), header.target().size());
    auto question = target.find('?');
    request_.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos) request_.query = ParseQuery(target.substr(question + 1));
    for (const auto& field : header) {
      request_.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                    std::string(field.value()));
    }
    request_.received = started_;  // a body, if any, moves this to its end
    request_.request_id = RequestIdFrom(request_);
    request_id_ = request_.request_id;
    method_ = request_.method;
    path_ = request_.path.substr(0, 256);
    route_ = "unmatched";
    keep_alive_ = header.keep_alive();
    has_body_ = header.has_content_length() || header.chunked();
    if (header.has_content_length() && header[http::field::content_length] == "0") {
      has_body_ = false;
    }

    if (!HostAllowed(header)) {
      // Unknown Host: a DNS-rebinding page or a misrouted client. Refused
      // before routing, for every method.
      return RespondAndClose(ErrorResponse(
          421, "the Host header names a host this server does not serve (--allowed-hosts)"));
    }
    if (state_->draining.load() && !IsHealthPath(request_.path)) {
      return RespondAndClose(ErrorResponse(503, "the server is shutting down"));
    }
    match_ = state_->router->Find(request_.method, request_.path);
    if (match_.status != 200) {
      HttpResponse response =
          match_.status == 404
              ? ErrorResponse(404, absl::StrCat("no route for ", request_.method, " ",
                                                request_.path.substr(0, 256)))
              : ErrorResponse(405, absl::StrCat("method ", request_.method, " is not allowed on ",
                                                request_.path.substr(0, 256), "; allowed: ",
                                                match_.allow));
      if (match_.status == 405) response.headers.emplace_back("Allow", match_.allow);
      return has_body_ ? RespondAndClose(std::move(response)) : Respond(std::move(response));
    }
    request_.path_params = match_.params;
    request_.route = *match_.pattern;
    route_ = request_.route;
    if (state_->options.admit) {
      if (std::optional<HttpResponse> refused = state_->options.admit(request_)) {
        return has_body_ ? RespondAndClose(*std::move(refused)) : Respond(*std::move(refused));
      }
    }

    const bool streamed = match_.stream_handler != nullptr;
    const int64_t limit =
        streamed ? state_->options.max_upload_bytes : state_->options.max_body_bytes;
    auto length = header_parser_->content_length();
    if (length && static_cast<int64_t>(*length) > limit) {
      return RespondAndClose(TooLarge(limit, streamed));
    }
    bool expect_continue = false;
    if (auto expect = request_.Header("expect")) {
      expect_continue = absl::EqualsIgnoreCase(*expect, "100-continue");
    }
    if (streamed) {
      auto consumer = (*match_.stream_handler)(request_);
      if (!consumer.ok()) return RespondAndClose(ErrorResponse(consumer.status()));
      consumer_ = std::move(*consumer);
      stream_parser_.emplace(std::move(*header_parser_));
      stream_parser_->body_limit(static_cast<uint64_t>(limit));
      CountChunks(*stream_parser_);
      streamed_bytes_ = 0;
      return MaybeContinue(expect_continue, [this] { ReadChunk(); });
    }
    string_parser_.emplace(std::move(*header_parser_));
    string_parser_->body_limit(static_cast<uint64_t>(limit));
    CountChunks(*string_parser_);
    // Beast reads at most the buffer's free capacity per call (512 bytes when it
    // is empty): room for the whole body makes one read instead of one per 512 B.
    if (length) {
      buffer_.reserve(buffer_.size() + std::min<size_t>(*length, kMaxBodyReadAhead));
    }
    MaybeContinue(expect_continue, [this] { ReadBody(); });
  }

  bool HostAllowed(const http::request<http::empty_body>& header) const {
    const auto& allowed = state_->options.allowed_hosts;
    if (allowed.empty()) return true;
    auto it = header.find(http::field::host);
    if (it == header.end()) return false;  // HTTP/1.1 requires Host
    std::string host = absl::AsciiStrToLower(std::string(it->value()));
    // Strip the port: "name:8080", "[::1]:8080"; a bare IPv6 literal is bracketed.
    if (auto colon = host.rfind(':'); colon != std::string::npos &&
                                      host.find(']', colon) == std::string::npos) {
      host.resize(colon);
    }
    return std::find(allowed.begin(), allowed.end(), host) != allowed.end();
  }

  // Counts chunks of a chunked body; too many fail the read with
  // http::error::body_limit (answered 413).
  template <typename Parser>
  void CountChunks(Parser& parser) {
    chunks_ = 0;
    chunk_header_ = [this](std::uint64_t, beast::string_view, beast::error_code& ec) {
      if (++chunks_ > state_->options.max_body_chunks) ec = http::error::body_limit;
    };
    parser.on_chunk_header(chunk_header_);
  }

  HttpResponse TooManyChunks() const {
    return ErrorResponse(413, absl::StrCat("chunked request body has more than ",
                                           state_->options.max_body_chunks,
                                           " chunks (--max-body-chunks)"));
  }

  HttpResponse TooLarge(int64_t limit, bool streamed) {
    return ErrorResponse(
        413, absl::StrCat("request body exceeds the limit of ", limit, " bytes (",
                          streamed ? "--max-upload-bytes" : "--max-body-bytes", ")"));
  }

  template <typename Next>
  void MaybeContinue(bool expect_continue, Next next) {
    if (!expect_continue) return next();
    net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                     [self = shared_from_this(), next](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       next();
                     });
  }

  void ReadBody() {
    if (string_parser_->is_done()) return OnBody({});
    stream_.expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
    http::async_read(stream_, buffer_, *string_parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnBody(ec);
                     });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return RespondAndClose(chunks_ > state_->options.max_body_chunks
                                 ? TooManyChunks()
                                 : TooLarge(state_->options.max_body_bytes, false));
    }
    if (ec) return Abandon();
    request_.body = std::move(string_parser_->get().body());
    string_parser_.reset();
    // The parser enforces the limit too; this check does not depend on it.
    if (static_cast<int64_t>(request_.body.size()) > state_->options.max_body_bytes) {
      return RespondAndClose(TooLarge(state_->options.max_body_bytes, false));
    }
    request_.received = absl::Now();
    WatchDisconnect();
    Dispatch(match_.handler);
  }

  // Runs the route's handler on a worker; its answer comes back to this
  // connection's executor. The request object moves into the worker task.
  void Dispatch(const AsyncHandler* handler) {
    stream_.expires_never();
    auto respond = MakeResponder();
    net::post(*state_->workers, [handler, respond, request = std::move(request_)]() {
      // The one wrapper that turns an escaped exception (a bug) into a JSON 500.
      try {
        (*handler)(request, respond);
      } catch (const std::exception& e) {
        LogError("handler threw", {{"error", e.what()}});
        respond(ErrorResponse(500, absl::StrCat("internal error: ", e.what())));
      }
    });
  }

  server::Respond MakeResponder() {
    auto answered = std::make_shared<std::atomic<bool>>(false);
    return [self = shared_from_this(), answered](HttpResponse response) {
      if (answered->exchange(true)) return;  // a second answer is a bug; ignore it
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->StopWatching();
        self->Respond(std::move(response));
      });
    };
  }

  // While the request waits for its answer the socket is otherwise idle: a
  // readable socket with no bytes means the client hung up, so the request is
  // marked cancelled (a batcher drops it instead of computing it).
  void WatchDisconnect() {
    watching_ = true;
    ArmDisconnectWatch(request_.cancelled);
  }

  void ArmDisconnectWatch(std::shared_ptr<std::atomic<bool>> cancelled) {
    stream_.socket().async_wait(
        tcp::socket::wait_read, [self = shared_from_this(), cancelled](beast::error_code ec) {
          if (ec || !self->watching_) return;
          // Readiness can be spurious (edge-triggered reactor state): peek to tell a
          // hang-up (0 bytes) from nothing (EAGAIN, wait again) or pipelined data (stop).
          char byte = 0;
          ssize_t n = ::recv(self->stream_.socket().native_handle(), &byte, 1,
                             MSG_PEEK | MSG_DONTWAIT);
          if (n == 0) {
            cancelled->store(true);
          } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            self->ArmDisconnectWatch(cancelled);
          } else if (n < 0) {
            cancelled->store(true);  // connection reset
          }
        });
  }

  void StopWatching() {
    if (!watching_) return;
    watching_ = false;
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
  }

  static std::string RequestIdFrom(const HttpRequest& request) {
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

  void ReadChunk() {
    if (stream_parser_->is_done()) return FinishStream();
    auto& body = stream_parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    body.more = true;
    stream_.expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
    http::async_read(stream_, buffer_, *stream_parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnChunk(ec);
                     });
  }

  void OnChunk(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      consumer_.reset();
      return RespondAndClose(chunks_ > state_->options.max_body_chunks
                                 ? TooManyChunks()
                                 : TooLarge(state_->options.max_upload_bytes, true));
    }
    if (ec) {
      consumer_.reset();
      return Abandon();
    }
    size_t received = chunk_.size() - stream_parser_->get().body().size;
    streamed_bytes_ += static_cast<int64_t>(received);
    if (streamed_bytes_ > state_->options.max_upload_bytes) {  // independent of the parser
      consumer_.reset();
      return RespondAndClose(TooLarge(state_->options.max_upload_bytes, true));
    }
    if (received > 0) {
      absl::Status status = consumer_->Consume(std::string_view(chunk_.data(), received));
      if (!status.ok()) {
        consumer_.reset();
        return RespondAndClose(ErrorResponse(status));
      }
    }
    if (!stream_parser_->is_done()) return ReadChunk();
    FinishStream();
  }

  void FinishStream() {
    stream_parser_.reset();
    auto consumer = std::shared_ptr<BodyConsumer>(std::move(consumer_));
    finish_handler_ = [consumer](const HttpRequest&, server::Respond respond) {
      respond(consumer->Finish());
    };
    Dispatch(&finish_handler_);
  }

  void Respond(HttpResponse response) { Write(std::move(response), !keep_alive_); }

  void RespondAndClose(HttpResponse response) { Write(std::move(response), true); }

  template <typename Body>
  void Fill(http::response<Body>& out, const HttpResponse& response, bool close) {
    out.result(static_cast<unsigned>(response.status));
    out.version(11);
    out.set(http::field::server, "aiaas");
    out.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out.set(name, value);
    if (!request_id_.empty()) out.set("X-Request-Id", request_id_);
    out.keep_alive(!close);
  }

  void Write(HttpResponse response, bool close) {
    status_ = response.status;
    stream_.expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
    if (!response.file_path.empty()) {
      auto out = std::make_shared<http::response<http::file_body>>();
      beast::error_code ec;
      out->body().open(response.file_path.c_str(), beast::file_mode::scan, ec);
      if (ec) return Write(ErrorResponse(500, "cannot open the artifact file"), close);
      Fill(*out, response, close);
      out->prepare_payload();
      return http::async_write(stream_, *out,
                               [self = shared_from_this(), out, close](beast::error_code ec,
                                                                       size_t) {
                                 self->OnWritten(ec, close);
                               });
    }
    auto out = std::make_shared<http::response<http::string_body>>();
    Fill(*out, response, close);
    out->body() = std::move(response.body);
    out->prepare_payload();
    http::async_write(stream_, *out,
                      [self = shared_from_this(), out, close](beast::error_code ec, size_t) {
                        self->OnWritten(ec, close);
                      });
  }

  void OnWritten(beast::error_code ec, bool close) {
    if (counted_) {
      if (state_->options.on_response) state_->options.on_response(route_, status_);
      if (state_->options.access_log) {
        LogInfo("request", {{"method", method_},
                            {"path", path_},
                            {"status", absl::StrCat(status_)},
                            {"duration_ms", absl::StrCat(absl::ToDoubleMilliseconds(
                                                absl::Now() - started_))},
                            {"request_id", request_id_}});
      }
    }
    EndRequest();
    if (ec || close) return Close();
    ReadHeader();
  }

  // The client went away mid-request: nothing to answer.
  void Abandon() {
    EndRequest();
    Close();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  void BeginRequest() {
    if (counted_) return;
    counted_ = true;
    absl::MutexLock lock(&state_->mu);
    ++state_->in_flight;
  }

  void EndRequest() {
    if (!counted_) return;
    counted_ = false;
    absl::MutexLock lock(&state_->mu);
    --state_->in_flight;
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  ServerState* state_;
  std::vector<char> chunk_;
  std::optional<http::request_parser<http::empty_body>> header_parser_;
  std::optional<http::request_parser<http::string_body>> string_parser_;
  std::optional<http::request_parser<http::buffer_body>> stream_parser_;
  HttpRequest request_;
  Router::Match match_;
  std::unique_ptr<BodyConsumer> consumer_;
  AsyncHandler finish_handler_;
  // Copies kept for the access log and metrics after request_ moved to a worker.
  std::string request_id_;
  std::string method_;
  std::string path_;
  std::string route_;
  int status_ = 0;
  absl::Time started_;
  // Chunk counting for the current request (the parser keeps a reference).
  std::function<void(std::uint64_t, beast::string_view, beast::error_code&)> chunk_header_;
  int64_t chunks_ = 0;
  int64_t streamed_bytes_ = 0;  // body bytes of the current streamed request
  bool watching_ = false;
  bool keep_alive_ = false;
  bool has_body_ = false;
  bool counted_ = false;
};

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(const HttpServerOptions& options, const Router* router)
      : io_(options.io_threads), workers_(static_cast<size_t>(options.worker_threads)),
        acceptor_(net::make_strand(io_)) {
    state_.options = options;
    state_.router = router;
    state_.workers = &workers_;
  }

  ~BeastHttpServer() override { Stop(); }

  absl::Status Bind() {
    beast::error_code ec;
    auto address = net::ip::make_address(state_.options.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid --host '", state_.options.host, "': ", ec.message()));
    }
    tcp::endpoint endpoint(address, static_cast<uint16_t>(state_.options.port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", state_.options.host, ":",
                                                 state_.options.port, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void Start() override {
    Accept();
    for (int i = 0; i < state_.options.io_threads; ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
  }

  void BeginDrain() override { state_.draining = true; }

  bool WaitIdle(absl::Duration timeout) override {
    absl::MutexLock lock(&state_.mu);
    return state_.mu.AwaitWithTimeout(
        absl::Condition(
            +[](ServerState* state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state->mu) {
              return state->in_flight == 0;
            },
            &state_),
        timeout);
  }

  void Stop() override {
    if (stopped_) return;
    stopped_ = true;
    io_.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    workers_.stop();
    workers_.join();
  }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(socket), &state_)->Start();
      }
      if (acceptor_.is_open()) Accept();
    });
  }

  net::io_context io_;
  net::thread_pool workers_;
  tcp::acceptor acceptor_;
  ServerState state_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  bool stopped_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options,
                                                               const Router* router) {
  if (options.io_threads < 1 || options.worker_threads < 1) {
    return absl::InvalidArgumentError("--http-threads and --worker-threads must be at least 1");
  }
  auto server = std::make_unique<BeastHttpServer>(options, router);
  auto status = server->Bind();
  if (!status.ok()) return status;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace aiaas::server
