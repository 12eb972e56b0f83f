#include "server/http_stream_writer.h"

#include <exception>
#include <optional>
#include <utility>
#include <vector>
#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace aiaas::server {

namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char kKeepAlive[] = ": keep-alive\n\n";
constexpr char kLastChunk[] = "0\r\n\r\n";

}  // namespace

StreamWriter::StreamWriter(std::shared_ptr<ResponseStream> stream,
                           std::shared_ptr<StreamConnection> connection,
                           std::shared_ptr<StreamRegistry> registry,
                           const StreamWriterOptions& options)
    : options_(options), stream_(std::move(stream)), connection_(std::move(connection)),
      registry_(std::move(registry)), timer_(connection_->StreamExecutor()) {}

StreamWriter::~StreamWriter() { registry_->Remove(this); }

void StreamWriter::Start() {
  started_ = true;
  last_sent_ = Clock::now();
  Read();
  if (ended_) return Flush();  // the server began to shut down during the header
  Tick();
}

void StreamWriter::RequestEnd() {
  net::post(connection_->StreamExecutor(), [self = shared_from_this()] {
    if (self->finished_ || self->ended_) return;
    self->EndStream();
    if (self->started_) self->Flush();
  });
}

void StreamWriter::Drop() {
  finished_ = true;
  stream_.reset();
}

// Nothing is expected from the client, so a read only completes when it
// hangs up (an error) or sends bytes anyway (discarded).
void StreamWriter::Read() {
  connection_->StreamRead(net::buffer(scratch_),
                          [self = shared_from_this()](boost::system::error_code ec) {
                            if (self->finished_) return;
                            if (ec) return self->Fail();
                            self->Read();
                          });
}

void StreamWriter::Tick() {
  if (finished_ || ended_) return;
  std::optional<std::string> next;
  // The one wrapper that turns an exception escaping a stream (a bug) into a
  // dropped connection instead of a dead I/O thread.
  try {
    next = stream_->Poll();
  } catch (const std::exception& e) {
    LogError("response stream threw", {{"error", e.what()}});
    return Fail();
  }
  if (!next.has_value()) {
    EndStream();
  } else if (!next->empty()) {
    if (!Enqueue(*next)) return;
  } else if (options_.keepalive_ms > 0 &&
             Clock::now() - last_sent_ >= std::chrono::milliseconds(options_.keepalive_ms)) {
    if (!Enqueue(kKeepAlive)) return;
  }
  Flush();
  if (!ended_) ArmTimer();
}

void StreamWriter::ArmTimer() {
  timer_.expires_after(std::chrono::milliseconds(options_.poll_interval_ms));
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->Tick();
  });
}

bool StreamWriter::Enqueue(const std::string& bytes) {
  last_sent_ = Clock::now();
  if (options_.chunked) {
    absl::StrAppend(&pending_, absl::Hex(bytes.size()), "\r\n", bytes, "\r\n");
  } else {
    pending_ += bytes;
  }
  if (static_cast<int64_t>(pending_.size() + writing_.size()) > options_.max_buffered_bytes) {
    Fail();  // a reader this slow would pin memory without bound
    return false;
  }
  return true;
}

void StreamWriter::Flush() {
  if (finished_ || write_pending_) return;
  if (pending_.empty()) {
    if (ended_) {
      finished_ = true;
      timer_.cancel();
      connection_->StreamEnd(/*clean=*/true);
    }
    return;
  }
  writing_.swap(pending_);
  pending_.clear();
  write_pending_ = true;
  connection_->StreamWrite(net::buffer(writing_),
                           [self = shared_from_this()](boost::system::error_code ec) {
                             self->OnWritten(ec);
                           });
}

void StreamWriter::OnWritten(boost::system::error_code ec) {
  write_pending_ = false;
  writing_.clear();
  if (finished_) return;
  if (ec) return Fail();
  Flush();
}

void StreamWriter::EndStream() {
  ended_ = true;
  stream_.reset();
  timer_.cancel();
  if (options_.chunked) pending_ += kLastChunk;  // never refused: it ends the buffering
}

void StreamWriter::Fail() {
  if (finished_) return;
  finished_ = true;
  ended_ = true;
  stream_.reset();
  timer_.cancel();
  pending_.clear();
  connection_->StreamEnd(/*clean=*/false);
}

absl::Status StreamRegistry::Add(const std::shared_ptr<StreamWriter>& writer) {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("the server is shutting down");
  if (static_cast<int64_t>(open_.size()) >= max_streams_) {
    return absl::UnavailableError(
        absl::StrCat("too many open event streams (", max_streams_,
                     ", --max-event-streams); try again later"));
  }
  open_.emplace(writer.get(), writer);
  return absl::OkStatus();
}

void StreamRegistry::Remove(const StreamWriter* writer) {
  absl::MutexLock lock(&mu_);
  open_.erase(writer);
}

// The writers are collected under the lock and called outside it: the last
// reference to one may go in this function, and its destructor calls Remove.
void StreamRegistry::EndAll() {
  std::vector<std::shared_ptr<StreamWriter>> writers;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    for (const auto& [key, weak] : open_) {
      if (auto writer = weak.lock()) writers.push_back(std::move(writer));
    }
  }
  for (const auto& writer : writers) writer->RequestEnd();
}

void StreamRegistry::DropAll() {
  std::vector<std::shared_ptr<StreamWriter>> writers;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    for (const auto& [key, weak] : open_) {
      if (auto writer = weak.lock()) writers.push_back(std::move(writer));
    }
  }
  for (const auto& writer : writers) writer->Drop();
}

}  // namespace aiaas::server
