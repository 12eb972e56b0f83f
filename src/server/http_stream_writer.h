#ifndef AIAAS_SERVER_HTTP_STREAM_WRITER_H_
#define AIAAS_SERVER_HTTP_STREAM_WRITER_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/http_types.h"

// Sending a streamed response (HttpResponse::stream) once its header is
// written, internal to the HTTP server library: the StreamWriter polls the
// ResponseStream on a timer of the connection's executor (no worker thread
// is held), frames each piece as a chunk and writes it; the StreamRegistry
// counts open streams against max_streams and ends them at shutdown.
namespace aiaas::server {

// The connection a StreamWriter sends on, implemented by the HTTP session
// (plain TCP or TLS). Every call is made on the connection's executor.
class StreamConnection {
 public:
  using Done = std::function<void(boost::system::error_code)>;

  virtual ~StreamConnection() = default;

  virtual boost::asio::any_io_executor StreamExecutor() = 0;

  // Writes all of `bytes` (valid until `done` runs); fails with a timeout
  // when the write takes longer than the server's write timeout. At most one
  // write is outstanding.
  virtual void StreamWrite(boost::asio::const_buffer bytes, Done done) = 0;

  // Reads what the client sends (into `scratch`, to be discarded), without a
  // timeout; an error means the client hung up. May be outstanding together
  // with a write.
  virtual void StreamRead(boost::asio::mutable_buffer scratch, Done done) = 0;

  // Finishes the response (metrics, access log) and closes the connection;
  // called once. `clean`: every byte was written and no write is outstanding
  // (over TLS a close_notify follows); otherwise the connection is dropped at
  // once and outstanding operations fail.
  virtual void StreamEnd(bool clean) = 0;
};

struct StreamWriterOptions {
  int64_t poll_interval_ms = 250;
  int64_t keepalive_ms = 15000;  // silence before ": keep-alive\n\n"; 0: never
  int64_t max_buffered_bytes = 1LL << 20;
  // True: HTTP/1.1 chunked framing, ended by the last chunk. False (an
  // HTTP/1.0 client): raw bytes, the body ends when the connection closes.
  bool chunked = true;
};

class StreamRegistry;

// Sends one ResponseStream on one connection. Lives as long as its pending
// operations (each holds a shared_ptr to it) and keeps the connection alive;
// releases the ResponseStream as soon as the stream ended or failed, and
// leaves the registry when destroyed. All methods except RequestEnd and Drop
// run on the connection's executor.
class StreamWriter : public std::enable_shared_from_this<StreamWriter> {
 public:
  StreamWriter(std::shared_ptr<ResponseStream> stream,
               std::shared_ptr<StreamConnection> connection,
               std::shared_ptr<StreamRegistry> registry, const StreamWriterOptions& options);
  ~StreamWriter();

  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;

  // Begins: the response header has been written. Polls at once, then on the
  // timer, until the stream ends, the client hangs up, a write fails or
  // times out, or more than max_buffered_bytes wait to be written.
  void Start();

  // Ends the stream early (the server is shutting down): what is buffered
  // and the last chunk are sent, then the connection closes. Any thread;
  // takes effect on the connection's executor.
  void RequestEnd();

  // Releases the ResponseStream without any I/O. Only once the connection's
  // I/O threads have stopped (HttpServer::Stop).
  void Drop();

 private:
  void Read();
  void Tick();
  void ArmTimer();
  // Appends `bytes` framed as a chunk; false (and the connection dropped)
  // when that would buffer more than max_buffered_bytes.
  bool Enqueue(const std::string& bytes);
  void Flush();
  void OnWritten(boost::system::error_code ec);
  // Poll returned nullopt or the server asked: the last chunk is queued.
  void EndStream();
  // The client is gone or too slow, or the stream misbehaved.
  void Fail();

  const StreamWriterOptions options_;
  std::shared_ptr<ResponseStream> stream_;  // null once ended or failed
  const std::shared_ptr<StreamConnection> connection_;
  const std::shared_ptr<StreamRegistry> registry_;
  boost::asio::steady_timer timer_;
  std::string pending_;  // framed bytes not yet handed to a write
  std::string writing_;  // the bytes of the outstanding write
  std::array<char, 512> scratch_{};
  std::chrono::steady_clock::time_point last_sent_;
  bool started_ = false;
  bool write_pending_ = false;
  bool ended_ = false;     // no more polling; the last chunk is queued
  bool finished_ = false;  // StreamEnd called (or dropped): nothing more happens
};

// The open StreamWriters of one server. Thread-safe.
class StreamRegistry {
 public:
  explicit StreamRegistry(int64_t max_streams) : max_streams_(max_streams) {}

  // Registers `writer` as open. Unavailable, saying why, when max_streams
  // are open or the server is shutting down (EndAll was called).
  [[nodiscard]] absl::Status Add(const std::shared_ptr<StreamWriter>& writer);

  // Called by a writer's destructor; a writer never added is ignored.
  void Remove(const StreamWriter* writer);

  // Refuses new streams from now on and asks every open one to end.
  void EndAll();

  // Refuses new streams and releases every open stream without I/O; only
  // once the I/O threads have stopped.
  void DropAll();

 private:
  const int64_t max_streams_;
  absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::map<const StreamWriter*, std::weak_ptr<StreamWriter>> open_ ABSL_GUARDED_BY(mu_);
};

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_HTTP_STREAM_WRITER_H_
