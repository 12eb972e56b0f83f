#include "server/http_server.h"

#include <cstdint>
#include <memory>
#include <thread>
#include <utility>
#include <vector>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/error.hpp>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/http_session.h"

namespace aiaas::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(const HttpServerOptions& options, const Router* router)
      : io_(options.io_threads), workers_(static_cast<size_t>(options.worker_threads)),
        acceptor_(net::make_strand(io_)) {
    state_.options = options;
    state_.router = router;
    state_.workers = &workers_;
    state_.streams = std::make_shared<StreamRegistry>(options.max_streams);
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

  // Open streams are ended now: they may never end by themselves, and the
  // drain waits for every request in flight, streams included.
  void BeginDrain() override {
    state_.draining = true;
    state_.streams->EndAll();
  }

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
    // The stopped I/O context still holds the open streams' writers (in their
    // pending operations) until it is destroyed; their streams go now.
    state_.streams->DropAll();
    workers_.stop();
    workers_.join();
  }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        StartSession(std::move(socket), &state_);
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
  if (options.max_streams < 0 || options.stream_poll_interval_ms < 1 ||
      options.max_stream_buffer_bytes < 1) {
    return absl::InvalidArgumentError(
        "--max-event-streams must be >= 0, the stream poll interval and buffer >= 1");
  }
  auto server = std::make_unique<BeastHttpServer>(options, router);
  auto status = server->Bind();
  if (!status.ok()) return status;
  return std::unique_ptr<HttpServer>(std::move(server));
}

}  // namespace aiaas::server
