#include "server/multipart_parser.h"

#include <algorithm>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"

namespace aiaas::server {
namespace {

// RFC 2046 section 5.1.1: a boundary is 1-70 of these, not ending in a space.
constexpr size_t kMaxBoundaryLength = 70;
// Spaces/tabs allowed between a boundary and its CRLF ("transport padding").
constexpr int64_t kMaxTransportPaddingBytes = 1024;

// Debian's Abseil has its own absl::string_view, which StrCat takes but
// std::string_view does not convert to.
template <typename T>
decltype(auto) StrCatArg(const T& arg) {
  if constexpr (std::is_same_v<T, std::string_view>) {
    return absl::string_view(arg.data(), arg.size());
  } else {
    return (arg);
  }
}

template <typename... Args>
absl::Status Invalid(const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat(StrCatArg(args)...));
}

bool IsWhitespace(char c) { return c == ' ' || c == '\t'; }

std::string_view StripWhitespace(std::string_view text) {
  while (!text.empty() && IsWhitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsWhitespace(text.back())) text.remove_suffix(1);
  return text;
}

std::string ToLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = absl::ascii_tolower(static_cast<unsigned char>(c));
  return lower;
}

bool IsBoundaryChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

absl::Status ValidateBoundary(std::string_view boundary) {
  bool ok = !boundary.empty() && boundary.size() <= kMaxBoundaryLength && boundary.back() != ' ';
  for (char c : boundary) ok = ok && IsBoundaryChar(c);
  if (ok) return absl::OkStatus();
  return Invalid("invalid multipart boundary '", boundary.substr(0, 80),
                 "': it must be 1-70 letters, digits, spaces or '()+_,-./:=? characters, "
                 "not ending in a space");
}

using HeaderParams = std::vector<std::pair<std::string, std::string>>;

// Splits a header value like `form-data; name="a"; filename="b.pt"` into its
// lowercased leading token and its parameters (lowercased names; values unquoted).
// In quoted values `\"` and `\\` are escapes; any other backslash is kept, because
// some clients send unescaped Windows paths as filenames.
absl::Status ParseHeaderValue(std::string_view text, std::string& type, HeaderParams& params) {
  size_t i = text.find(';');
  type = ToLower(StripWhitespace(text.substr(0, i)));
  if (i == std::string_view::npos) return absl::OkStatus();
  ++i;
  const size_t n = text.size();
  auto skip_whitespace = [&] {
    while (i < n && IsWhitespace(text[i])) ++i;
  };
  while (true) {
    skip_whitespace();
    if (i == n) break;
    if (text[i] == ';') {  // tolerate empty parameters (";;")
      ++i;
      continue;
    }
    const size_t key_start = i;
    while (i < n && text[i] != '=' && text[i] != ';' && !IsWhitespace(text[i])) ++i;
    std::string key = ToLower(text.substr(key_start, i - key_start));
    skip_whitespace();
    if (i == n || text[i] != '=') return Invalid("parameter '", key, "' has no value");
    ++i;
    skip_whitespace();
    std::string value;
    if (i < n && text[i] == '"') {
      bool closed = false;
      for (++i; i < n;) {
        char c = text[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < n && (text[i] == '"' || text[i] == '\\')) c = text[i++];
        value += c;
      }
      if (!closed) return Invalid("parameter '", key, "' has an unterminated quoted value");
    } else {
      const size_t value_start = i;
      while (i < n && text[i] != ';' && !IsWhitespace(text[i])) ++i;
      value = std::string(text.substr(value_start, i - value_start));
      if (value.empty()) return Invalid("parameter '", key, "' has an empty value");
    }
    skip_whitespace();
    if (i < n && text[i] != ';') {
      return Invalid("unexpected character '", std::string_view(&text[i], 1), "' after parameter '",
                     key, "'");
    }
    for (const auto& [existing, unused] : params) {
      if (existing == key) return Invalid("parameter '", key, "' is given twice");
    }
    params.emplace_back(std::move(key), std::move(value));
  }
  return absl::OkStatus();
}

const std::string* FindParam(const HeaderParams& params, std::string_view key) {
  for (const auto& [name, value] : params) {
    if (name == key) return &value;
  }
  return nullptr;
}

// Parses a part's header block (without its final blank line) into `headers`.
absl::Status ParsePartHeaders(std::string_view block, int part, PartHeaders& headers) {
  // Collect (name, value) lines, joining obsolete folded continuation lines.
  std::vector<std::pair<std::string, std::string>> lines;
  while (!block.empty()) {
    size_t end = block.find("\r\n");
    std::string_view line = block.substr(0, end);
    block.remove_prefix(end == std::string_view::npos ? block.size() : end + 2);
    if (line.empty()) continue;
    if (IsWhitespace(line.front()) && !lines.empty()) {
      lines.back().second += ' ';
      lines.back().second += StripWhitespace(line);
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Invalid("part ", part, ": malformed header line '", line.substr(0, 80), "'");
    }
    lines.emplace_back(ToLower(line.substr(0, colon)),
                       std::string(StripWhitespace(line.substr(colon + 1))));
  }
  bool has_disposition = false;
  for (const auto& [name, value] : lines) {
    if (name == "content-type") {
      headers.content_type = value;
      continue;
    }
    if (name != "content-disposition") continue;
    if (has_disposition) return Invalid("part ", part, " has two Content-Disposition headers");
    has_disposition = true;
    std::string type;
    HeaderParams params;
    absl::Status status = ParseHeaderValue(value, type, params);
    if (!status.ok()) {
      return Invalid("part ", part, ": bad Content-Disposition: ", status.message());
    }
    if (type != "form-data") {
      return Invalid("part ", part, ": Content-Disposition must be form-data, got '", type, "'");
    }
    const std::string* field_name = FindParam(params, "name");
    if (field_name == nullptr || field_name->empty()) {
      return Invalid("part ", part, ": Content-Disposition has no name");
    }
    headers.name = *field_name;
    if (const std::string* filename = FindParam(params, "filename")) headers.filename = *filename;
  }
  if (!has_disposition) {
    return Invalid("part ", part, " has no Content-Disposition header");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> MultipartParser::BoundaryFromContentType(
    std::string_view content_type) {
  std::string type;
  HeaderParams params;
  absl::Status status = ParseHeaderValue(content_type, type, params);
  if (!status.ok()) return Invalid("bad Content-Type: ", status.message());
  if (type != "multipart/form-data") {
    return Invalid("expected Content-Type multipart/form-data, got '", type, "'");
  }
  const std::string* boundary = FindParam(params, "boundary");
  if (boundary == nullptr) {
    return Invalid("Content-Type multipart/form-data has no boundary parameter");
  }
  AIAAS_RETURN_IF_ERROR(ValidateBoundary(*boundary));
  return *boundary;
}

MultipartParser::MultipartParser(std::string boundary, Callbacks callbacks, MultipartLimits limits)
    : delimiter_("\r\n--" + std::move(boundary)),
      callbacks_(std::move(callbacks)),
      limits_(limits),
      held_("\r\n") {
  // A CR inside the boundary would break the scanner's assumption that a delimiter
  // can only start at a CR; reject what BoundaryFromContentType would not return.
  const std::string_view given = std::string_view(delimiter_).substr(4);
  if (given.empty() || given.size() > kMaxBoundaryLength ||
      given.find_first_of("\r\n") != std::string_view::npos) {
    error_ = Invalid("invalid multipart boundary: it must be 1-70 characters without CR/LF");
  }
}

absl::Status MultipartParser::Feed(std::string_view chunk) {
  if (!error_.ok()) return error_;
  if (finished_) return Fail(absl::FailedPreconditionError("Feed called after Finish"));
  while (!chunk.empty()) {
    absl::Status status;
    switch (state_) {
      case State::kPreamble:
      case State::kData:
        status = ScanForDelimiter(chunk);
        break;
      case State::kAfterDelimiter:
        status = StepAfterDelimiter(chunk);
        break;
      case State::kHeaders:
        status = StepHeaders(chunk);
        break;
      case State::kEpilogue:
        chunk = {};
        break;
    }
    if (!status.ok()) return Fail(std::move(status));
  }
  return absl::OkStatus();
}

absl::Status MultipartParser::Finish() {
  if (!error_.ok()) return error_;
  if (finished_) return absl::OkStatus();
  finished_ = true;
  if (state_ != State::kEpilogue) {
    return Fail(Invalid("multipart body ended before the closing boundary"));
  }
  return absl::OkStatus();
}

absl::Status MultipartParser::Fail(absl::Status status) {
  error_ = status;
  return status;
}

absl::Status MultipartParser::EmitData(std::string_view data) {
  if (state_ != State::kData || data.empty() || !callbacks_.on_part_data) {
    return absl::OkStatus();  // preamble bytes are dropped
  }
  return callbacks_.on_part_data(data);
}

absl::Status MultipartParser::ScanForDelimiter(std::string_view& input) {
  auto on_delimiter = [this] {
    state_ = State::kAfterDelimiter;
    delimiter_tail_ = DelimiterTail::kStart;
    padding_bytes_ = 0;
  };
  // First settle a partial delimiter carried over from the previous chunk.
  if (!held_.empty()) {
    const size_t needed = delimiter_.size() - held_.size();
    const size_t n = std::min(needed, input.size());
    if (delimiter_.compare(held_.size(), n, input.data(), n) == 0) {
      if (n < needed) {
        held_.append(input.data(), n);
        input.remove_prefix(n);
        return absl::OkStatus();
      }
      input.remove_prefix(n);
      held_.clear();
      on_delimiter();
      return absl::OkStatus();
    }
    // Not a delimiter after all. The boundary has no CR, so no other delimiter can
    // start inside the held bytes: they are all data.
    std::string held = std::move(held_);
    held_.clear();
    AIAAS_RETURN_IF_ERROR(EmitData(held));
  }
  // Every delimiter starts with CR: check each CR, pass everything before it through.
  for (size_t from = 0;;) {
    const size_t cr = input.find('\r', from);
    if (cr == std::string_view::npos) {
      AIAAS_RETURN_IF_ERROR(EmitData(input));
      input = {};
      return absl::OkStatus();
    }
    const size_t n = std::min(input.size() - cr, delimiter_.size());
    if (input.compare(cr, n, delimiter_, 0, n) != 0) {
      from = cr + 1;
      continue;
    }
    AIAAS_RETURN_IF_ERROR(EmitData(input.substr(0, cr)));
    if (n < delimiter_.size()) {  // the chunk ends inside a possible delimiter
      held_.assign(input.substr(cr));
      input = {};
      return absl::OkStatus();
    }
    input.remove_prefix(cr + n);
    on_delimiter();
    return absl::OkStatus();
  }
}

absl::Status MultipartParser::StepAfterDelimiter(std::string_view& input) {
  constexpr std::string_view kMalformed =
      "malformed multipart body: a boundary must be followed by CRLF or \"--\"";
  while (!input.empty()) {
    const char c = input.front();
    input.remove_prefix(1);
    switch (delimiter_tail_) {
      case DelimiterTail::kStart:
      case DelimiterTail::kPadding:
        if (delimiter_tail_ == DelimiterTail::kStart && c == '-') {
          delimiter_tail_ = DelimiterTail::kDash;
        } else if (IsWhitespace(c)) {
          delimiter_tail_ = DelimiterTail::kPadding;
          if (++padding_bytes_ > kMaxTransportPaddingBytes) {
            return Invalid("malformed multipart body: too much padding after a boundary");
          }
        } else if (c == '\r') {
          delimiter_tail_ = DelimiterTail::kCr;
        } else {
          return Invalid(kMalformed);
        }
        break;
      case DelimiterTail::kDash:
        if (c != '-') return Invalid(kMalformed);
        if (in_part_) AIAAS_RETURN_IF_ERROR(EndPart());
        state_ = State::kEpilogue;
        return absl::OkStatus();
      case DelimiterTail::kCr:
        if (c != '\n') {
          return Invalid("malformed multipart body: CR without LF after a boundary");
        }
        if (in_part_) AIAAS_RETURN_IF_ERROR(EndPart());
        if (parts_ >= limits_.max_parts) {
          return Invalid("the multipart body has more than ", limits_.max_parts, " parts");
        }
        state_ = State::kHeaders;
        header_block_.clear();
        return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::Status MultipartParser::StepHeaders(std::string_view& input) {
  const size_t limit = static_cast<size_t>(std::max<int64_t>(limits_.max_header_bytes, 0));
  const size_t old_size = header_block_.size();
  const size_t take = std::min(input.size(), limit - std::min(limit, old_size));
  header_block_.append(input.data(), take);
  // The block ends at the first empty line: right away, or at CRLFCRLF.
  size_t end = std::string::npos;
  if (header_block_.compare(0, 2, "\r\n") == 0) {
    end = 2;
  } else if (size_t blank = header_block_.find("\r\n\r\n", old_size >= 3 ? old_size - 3 : 0);
             blank != std::string::npos) {
    end = blank + 4;
  }
  if (end == std::string::npos) {
    input.remove_prefix(take);
    if (header_block_.size() >= limit) {
      return Invalid("part ", parts_ + 1, ": headers are larger than ", limit, " bytes");
    }
    return absl::OkStatus();
  }
  input.remove_prefix(end - old_size);
  header_block_.resize(end - 2);  // keep the last header's CRLF, drop the blank line
  return BeginPart();
}

absl::Status MultipartParser::BeginPart() {
  ++parts_;
  PartHeaders headers;
  AIAAS_RETURN_IF_ERROR(ParsePartHeaders(header_block_, parts_, headers));
  header_block_.clear();
  header_block_.shrink_to_fit();
  state_ = State::kData;
  in_part_ = true;
  if (callbacks_.on_part_begin) return callbacks_.on_part_begin(headers);
  return absl::OkStatus();
}

absl::Status MultipartParser::EndPart() {
  in_part_ = false;
  if (callbacks_.on_part_end) return callbacks_.on_part_end();
  return absl::OkStatus();
}

}  // namespace aiaas::server
