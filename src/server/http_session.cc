#include "server/http_session.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "server/http_errors.h"
#include "server/http_session_util.h"
#include "server/tls_context.h"

namespace aiaas::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

constexpr size_t kStreamChunkBytes = 256 * 1024;
// A header (and a small body) arrives in one read.
constexpr size_t kInitialReadBytes = 16 * 1024;
// Most a body read asks for at once; larger bodies take several reads.
constexpr size_t kMaxBodyReadAhead = 1024 * 1024;
constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

// One TCP connection, plain (PlainStream) or TLS (TlsStream): the request
// logic is the same code for both, and the plain instantiation contains no
// TLS code at all (`if constexpr`), so plain HTTP pays nothing for TLS.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>>, public StreamConnection {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  // `stream_args` follow the socket into Stream's constructor (the TLS context).
  template <typename... StreamArgs>
  Session(ServerState* state, tcp::socket socket, StreamArgs&... stream_args)
      : stream_(std::move(socket), stream_args...), state_(state), chunk_(kStreamChunkBytes) {
    buffer_.reserve(kInitialReadBytes);
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->ReadHeader();
      }
    });
  }

 private:
  // The lowest layer: the TCP socket with its timer.
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  void ArmHeaderTimer() {
    tcp().expires_after(std::chrono::seconds(
        std::min(state_->options.header_timeout_s, state_->options.idle_timeout_s)));
  }

  // The handshake runs under the header timer, which the first ReadHeader does
  // not re-arm: a client that connects and never finishes a handshake, or
  // never sends its first request, is dropped at the header timeout.
  void Handshake() {
    ArmHeaderTimer();
    stream_.async_handshake(net::ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code ec) {
                              // Not TLS (plain HTTP), too old a protocol, no shared cipher,
                              // a timeout: nothing can be answered.
                              if (ec) return self->CloseSocket();
                              self->tls_up_ = true;
                              self->ReadHeader(/*arm_timer=*/false);
                            });
  }

  void ReadHeader(bool arm_timer = true) {
    header_parser_.emplace();
    header_parser_->header_limit(static_cast<uint32_t>(state_->options.max_header_bytes));
    // Boost 1.74 compares the length against an empty optional as "exceeded", so
    // "no limit yet" is spelled as the largest value; the real limit is set per route.
    header_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    if (arm_timer) ArmHeaderTimer();
    http::async_read_header(stream_, buffer_, *header_parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) {
      if (ec == http::error::header_limit) {
        return RespondAndClose(ErrorResponse(431, "request headers are too large"));
      }
      if (IsConnectionGone(ec)) return Close();
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
    if (!peer_known_) {  // the audit log's `source`: one syscall per connection
      beast::error_code peer_error;
      auto peer = tcp().socket().remote_endpoint(peer_error);
      if (!peer_error) peer_ = peer.address().to_string();
      peer_known_ = true;
    }
    request_.peer = peer_;
    request_id_ = request_.request_id;
    method_ = request_.method;
    path_ = request_.path.substr(0, 256);
    route_ = "unmatched";
    keep_alive_ = header.keep_alive();
    http10_ = header.version() < 11;
    has_body_ = header.has_content_length() || header.chunked();
    if (header.has_content_length() && header[http::field::content_length] == "0") {
      has_body_ = false;
    }

    std::optional<std::string_view> host;
    if (auto it = header.find(http::field::host); it != header.end()) {
      host = std::string_view(it->value().data(), it->value().size());
    }
    if (!HostAllowed(state_->options.allowed_hosts, host)) {
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

  HttpResponse BodyLimitResponse(bool streamed) const {
    if (chunks_ > state_->options.max_body_chunks) {
      return TooManyChunks(state_->options.max_body_chunks);
    }
    return TooLarge(streamed ? state_->options.max_upload_bytes : state_->options.max_body_bytes,
                    streamed);
  }

  template <typename Next>
  void MaybeContinue(bool expect_continue, Next next) {
    if (!expect_continue) return next();
    net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                     [self = this->shared_from_this(), next](beast::error_code ec, size_t) {
                       if (ec) return self->Close();
                       next();
                     });
  }

  void ReadBody() {
    if (string_parser_->is_done()) return OnBody({});
    tcp().expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
    http::async_read(stream_, buffer_, *string_parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnBody(ec);
                     });
  }

  void OnBody(beast::error_code ec) {
    if (ec == http::error::body_limit) return RespondAndClose(BodyLimitResponse(false));
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
    tcp().expires_never();
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
    return [self = this->shared_from_this(), answered](HttpResponse response) {
      if (answered->exchange(true)) return;  // a second answer is a bug; ignore it
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->StopWatching();
        self->Respond(std::move(response));
      });
    };
  }

  // While the request waits for its answer the socket is otherwise idle: a
  // readable socket with no bytes means the client hung up, so the request is
  // marked cancelled (a batcher drops it instead of computing it). Over TLS
  // a client's close_notify arrives as bytes before the hang-up, so there
  // this only notices hang-ups without one.
  void WatchDisconnect() {
    watching_ = true;
    ArmDisconnectWatch(request_.cancelled);
  }

  void ArmDisconnectWatch(std::shared_ptr<std::atomic<bool>> cancelled) {
    tcp().socket().async_wait(tcp::socket::wait_read, [self = this->shared_from_this(),
                                                       cancelled](beast::error_code ec) {
      if (ec || !self->watching_) return;
      // Readiness can be spurious (edge-triggered reactor state): peek to tell a
      // hang-up (0 bytes) from nothing (EAGAIN, wait again) or pipelined data (stop).
      char byte = 0;
      ssize_t n =
          ::recv(self->tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
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
    tcp().socket().cancel(ignored);
  }

  void ReadChunk() {
    if (stream_parser_->is_done()) return FinishStream();
    auto& body = stream_parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    body.more = true;
    tcp().expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
    http::async_read(stream_, buffer_, *stream_parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnChunk(ec);
                     });
  }

  void OnChunk(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      consumer_.reset();
      return RespondAndClose(BodyLimitResponse(true));
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

  void Respond(HttpResponse response) {
    if (response.stream != nullptr) return StartStream(std::move(response));
    Write(std::move(response), !keep_alive_);
  }

  // Writes the header of a stream response, then hands the connection to a
  // StreamWriter (which keeps this session alive) until the stream ends.
  void StartStream(HttpResponse response) {
    auto writer = std::make_shared<StreamWriter>(
        std::move(response.stream), this->shared_from_this(), state_->streams,
        StreamWriterOptionsFor(state_->options, /*chunked=*/!http10_));
    if (absl::Status admitted = state_->streams->Add(writer); !admitted.ok()) {
      return RespondAndClose(ErrorResponse(admitted));  // 503 with Retry-After
    }
    status_ = response.status;
    auto header = std::make_shared<http::response<http::empty_body>>();
    Fill(*header, response, /*close=*/true);
    header->set(http::field::cache_control, "no-cache");
    header->set("X-Accel-Buffering", "no");  // nginx: pass each event on at once
    if (!http10_) header->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
    tcp().expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
    http::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), header, serializer, writer](beast::error_code ec, size_t) {
          if (ec) return self->Abandon();
          self->tcp().expires_never();  // each StreamWrite sets its own timeout
          writer->Start();
        });
  }

  net::any_io_executor StreamExecutor() override { return stream_.get_executor(); }

  void StreamWrite(net::const_buffer bytes, StreamConnection::Done done) override {
    tcp().expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
    net::async_write(stream_, bytes,
                     [self = this->shared_from_this(), done = std::move(done)](
                         beast::error_code ec, size_t) { done(ec); });
  }

  void StreamRead(net::mutable_buffer scratch, StreamConnection::Done done) override {
    stream_reading_ = true;
    stream_.async_read_some(scratch, [self = this->shared_from_this(), done = std::move(done)](
                                         beast::error_code ec, size_t) {
      self->stream_reading_ = false;
      if (self->stream_closing_) self->Close();  // StreamEnd waited for this read to stop
      done(ec);
    });
  }

  void StreamEnd(bool clean) override {
    Finished();
    if (!clean) {
      tls_up_ = false;  // no close_notify: the peer is gone or too slow
      return CloseSocket();
    }
    if (!stream_reading_) return Close();
    // The TLS shutdown must not run beside the pending read: cancel it first.
    stream_closing_ = true;
    beast::error_code ignored;
    tcp().socket().cancel(ignored);
  }

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
    tcp().expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
    if (!response.file_path.empty()) {
      auto out = std::make_shared<http::response<http::file_body>>();
      beast::error_code ec;
      out->body().open(response.file_path.c_str(), beast::file_mode::scan, ec);
      if (ec) return Write(ErrorResponse(500, "cannot open the artifact file"), close);
      Fill(*out, response, close);
      out->prepare_payload();
      return http::async_write(stream_, *out,
                               [self = this->shared_from_this(), out, close](
                                   beast::error_code ec, size_t) { self->OnWritten(ec, close); });
    }
    auto out = std::make_shared<http::response<http::string_body>>();
    Fill(*out, response, close);
    out->body() = std::move(response.body);
    out->prepare_payload();
    http::async_write(stream_, *out,
                      [self = this->shared_from_this(), out, close](beast::error_code ec, size_t) {
                        self->OnWritten(ec, close);
                      });
  }

  void OnWritten(beast::error_code ec, bool close) {
    Finished();
    if (ec || close) return Close();
    ReadHeader();
  }

  // The response went out (or the stream ended): metrics, access log, and
  // the request no longer counts as in flight.
  void Finished() {
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
  }

  // The client went away mid-request: nothing to answer.
  void Abandon() {
    EndRequest();
    Close();
  }

  // Over TLS, first sends close_notify (so the client can tell the end of the
  // data from a truncation) without waiting for the client's own: OpenSSL is
  // told the client's has arrived, so the shutdown completes once ours is
  // written (bounded by the write timeout).
  void Close() {
    if constexpr (kTls) {
      if (tls_up_) {
        tls_up_ = false;
        SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
        tcp().expires_after(std::chrono::seconds(state_->options.idle_timeout_s));
        return stream_.async_shutdown(
            [self = this->shared_from_this()](beast::error_code) { self->CloseSocket(); });
      }
    }
    CloseSocket();
  }

  void CloseSocket() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
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

  Stream stream_;
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
  std::string peer_;  // the client's address, looked up on the first request
  bool peer_known_ = false;
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
  bool http10_ = false;  // the request was HTTP/1.0: no chunked framing
  bool stream_reading_ = false;  // a stream response's StreamRead is outstanding
  bool stream_closing_ = false;  // StreamEnd(clean) waits for that read to stop
  bool has_body_ = false;
  bool counted_ = false;
  bool tls_up_ = false;  // TLS only: the handshake finished and no shutdown started
};

}  // namespace

void StartSession(tcp::socket socket, ServerState* state) {
  if (state->options.tls != nullptr) {
    std::make_shared<Session<TlsStream>>(state, std::move(socket), state->options.tls->native())
        ->Start();
  } else {
    std::make_shared<Session<PlainStream>>(state, std::move(socket))->Start();
  }
}

}  // namespace aiaas::server
