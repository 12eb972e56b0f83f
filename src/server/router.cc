#include "server/router.h"

#include <set>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace aiaas::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> segments;
  for (absl::string_view piece : absl::StrSplit(absl::string_view(path.data(), path.size()), '/')) {
    segments.push_back(PercentDecode(std::string_view(piece.data(), piece.size()), false));
  }
  // "/a/b" splits into "", "a", "b"; a trailing slash adds one more empty segment.
  if (!segments.empty() && segments.front().empty()) segments.erase(segments.begin());
  if (!segments.empty() && segments.back().empty()) segments.pop_back();
  return segments;
}

}  // namespace

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> params;
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(query.data(), query.size()), '&', absl::SkipEmpty())) {
    auto eq = pair.find('=');
    absl::string_view key = pair.substr(0, eq);
    absl::string_view value = eq == absl::string_view::npos ? "" : pair.substr(eq + 1);
    params[PercentDecode(std::string_view(key.data(), key.size()), true)] =
        PercentDecode(std::string_view(value.data(), value.size()), true);
  }
  return params;
}

std::vector<Router::Segment> Router::ParsePattern(std::string_view pattern) {
  std::vector<Segment> segments;
  for (const auto& piece : SplitPath(pattern)) {
    Segment segment;
    if (!piece.empty() && piece.front() == '{') {
      auto close = piece.find('}');
      segment.param = piece.substr(1, close - 1);
      if (close + 1 < piece.size()) segment.suffix = piece.substr(close + 1);
    } else {
      segment.literal = piece;
    }
    segments.push_back(std::move(segment));
  }
  return segments;
}

bool Router::MatchSegments(const std::vector<Segment>& pattern,
                           const std::vector<std::string>& path,
                           std::map<std::string, std::string>* params) {
  if (pattern.size() != path.size()) return false;
  std::map<std::string, std::string> found;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const Segment& segment = pattern[i];
    const std::string& piece = path[i];
    if (segment.param.empty()) {
      if (piece != segment.literal) return false;
      continue;
    }
    if (piece.size() <= segment.suffix.size()) return false;
    if (piece.compare(piece.size() - segment.suffix.size(), segment.suffix.size(),
                      segment.suffix) != 0) {
      return false;
    }
    found[segment.param] = piece.substr(0, piece.size() - segment.suffix.size());
  }
  *params = std::move(found);
  return true;
}

void Router::Handle(std::string method, std::string_view pattern, Handler handler) {
  HandleAsync(std::move(method), pattern,
              [handler = std::move(handler)](const HttpRequest& request, Respond respond) {
                respond(handler(request));
              });
}

void Router::HandleAsync(std::string method, std::string_view pattern, AsyncHandler handler) {
  routes_.push_back(Route{std::move(method), std::string(pattern), ParsePattern(pattern),
                          std::move(handler), nullptr});
}

void Router::HandleStream(std::string method, std::string_view pattern, StreamHandler handler) {
  routes_.push_back(Route{std::move(method), std::string(pattern), ParsePattern(pattern), nullptr,
                          std::move(handler)});
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  std::vector<std::string> segments = SplitPath(path);
  Match match;
  std::set<std::string> allowed;
  for (const auto& route : routes_) {
    std::map<std::string, std::string> params;
    if (!MatchSegments(route.segments, segments, &params)) continue;
    if (route.method != method) {
      allowed.insert(route.method);
      continue;
    }
    match.status = 200;
    match.pattern = &route.pattern;
    match.handler = route.handler ? &route.handler : nullptr;
    match.stream_handler = route.stream_handler ? &route.stream_handler : nullptr;
    match.params = std::move(params);
    return match;
  }
  match.status = allowed.empty() ? 404 : 405;
  match.allow = absl::StrJoin(allowed, ", ");
  return match;
}

}  // namespace aiaas::server
