#ifndef AIAAS_SERVER_ROUTER_H_
#define AIAAS_SERVER_ROUTER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "server/http_types.h"

namespace aiaas::server {

// Builds the response to a fully read request. Runs on a worker thread.
using Handler = std::function<HttpResponse(const HttpRequest&)>;

// Starts work on a fully read request on a worker thread and answers later
// through `respond` (exactly once, from any thread) — for requests that wait
// on a batcher without holding a thread.
using AsyncHandler = std::function<void(const HttpRequest&, Respond respond)>;

// Starts a streamed request (headers and path params filled, body empty):
// returns the consumer for its body, or an error that is sent before the body
// is read. Runs on the connection's I/O thread and must not block.
using StreamHandler =
    std::function<absl::StatusOr<std::unique_ptr<BodyConsumer>>(const HttpRequest&)>;

// Maps (method, path) to a handler. Patterns are '/'-separated segments:
// a literal, `{name}` (any one non-empty segment), or `{name}:suffix` (a
// segment ending in ":suffix", e.g. `/v1/models/{model}:predict`). Segments
// are percent-decoded before matching.
//
// Thread-safety: register everything before serving; Find() is then safe from
// any thread.
class Router {
 public:
  struct Match {
    int status = 200;  // 200 found, 404 no such path, 405 path exists with other methods
    const AsyncHandler* handler = nullptr;
    const std::string* pattern = nullptr;  // the route's pattern text
    const StreamHandler* stream_handler = nullptr;
    std::map<std::string, std::string> params;
    std::string allow;  // for 405: the methods the path accepts
  };

  void Handle(std::string method, std::string_view pattern, Handler handler);
  void HandleAsync(std::string method, std::string_view pattern, AsyncHandler handler);
  void HandleStream(std::string method, std::string_view pattern, StreamHandler handler);

  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Segment {
    std::string literal;  // when param is empty
    std::string param;
    std::string suffix;  // for `{name}:suffix`
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    AsyncHandler handler;
    StreamHandler stream_handler;
  };

  static std::vector<Segment> ParsePattern(std::string_view pattern);
  static bool MatchSegments(const std::vector<Segment>& pattern,
                            const std::vector<std::string>& path,
                            std::map<std::string, std::string>* params);

  std::vector<Route> routes_;
};

// Percent-decodes a path segment or query component ('+' stays '+' in paths).
std::string PercentDecode(std::string_view text, bool plus_is_space);

// Splits "a=1&b=2" into decoded pairs.
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_ROUTER_H_
