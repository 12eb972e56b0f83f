#ifndef AIAAS_SERVER_HTTP_SESSION_H_
#define AIAAS_SERVER_HTTP_SESSION_H_

#include <atomic>
#include <cstdint>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/http_server.h"
#include "server/http_stream_writer.h"
#include "server/router.h"

// One accepted connection of the HTTP server (http_server.cc), internal to
// the server library.
namespace aiaas::server {

// State shared by all connections of one HttpServer. Owned by the server and
// outlives every connection's I/O (the server joins its threads first).
struct ServerState {
  HttpServerOptions options;  // options.tls set: connections speak TLS
  const Router* router = nullptr;
  boost::asio::thread_pool* workers = nullptr;
  std::atomic<bool> draining{false};
  // Open response streams. Shared with every StreamWriter, since a writer may
  // be destroyed with the server's I/O context, after this state.
  std::shared_ptr<StreamRegistry> streams;
  absl::Mutex mu;
  int64_t in_flight ABSL_GUARDED_BY(mu) = 0;
};

// Serves `socket` until it closes: reads requests one after another
// (keep-alive), hands each to its route's handler on `state->workers`, writes
// each response before reading the next; a stream response
// (HttpResponse::stream) is handed to a StreamWriter and ends the
// connection. With `state->options.tls` the TLS
// handshake comes first and must finish, together with the first request's
// header block, within the header timeout. Returns at once; the connection
// keeps itself alive on its executor (the socket's).
void StartSession(boost::asio::ip::tcp::socket socket, ServerState* state);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_HTTP_SESSION_H_
