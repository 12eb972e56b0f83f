#ifndef AIAAS_SERVER_MULTIPART_PARSER_H_
#define AIAAS_SERVER_MULTIPART_PARSER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace aiaas::server {

// Headers of one multipart/form-data part (RFC 7578).
struct PartHeaders {
  std::string name;                     // Content-Disposition `name`, never empty
  std::optional<std::string> filename;  // Content-Disposition `filename`, as sent (may be a
                                        // path or empty: sanitize before using it on disk)
  std::string content_type;             // Content-Type as sent; empty when absent (RFC 7578
                                        // says to treat that as text/plain)
};

struct MultipartLimits {
  // Largest header block of one part, blank line included.
  int64_t max_header_bytes = int64_t{16} * 1024;
  // Most parts one body may have; the next part's boundary is an error.
  int max_parts = 16;
};

// A streaming multipart/form-data push parser for bodies far larger than memory
// (artifact uploads): it holds at most one part's header block plus fewer bytes than
// the boundary delimiter, never a part's data.
//
// Feed the body in chunks of any size (one byte is fine). Part data reaches
// `on_part_data` in slices as large as the chunks allow; only bytes that could be
// the start of the next "\r\n--boundary" are held back until the following chunk
// decides. A delimiter must be followed by "--" (the end) or optional spaces/tabs and
// CRLF; a full delimiter followed by anything else is InvalidArgument, while a partial
// one ("\r\n--bou" then other bytes) is ordinary data. The preamble before the first
// boundary and the epilogue after the closing one are ignored.
//
// Callbacks run synchronously inside Feed, in the order on_part_begin, on_part_data*,
// on_part_end per part; an empty std::function is a no-op. A callback's error stops
// the parser and is returned from that and every later Feed/Finish. Malformed input
// is InvalidArgument. Not thread-safe: one request, one parser, one thread.
//
//   MultipartParser parser(boundary, {on_begin, on_data, on_end}, MultipartLimits{});
//   while (more body) AIAAS_RETURN_IF_ERROR(parser.Feed(chunk));
//   AIAAS_RETURN_IF_ERROR(parser.Finish());
class MultipartParser {
 public:
  struct Callbacks {
    std::function<absl::Status(const PartHeaders&)> on_part_begin;
    std::function<absl::Status(std::string_view data)> on_part_data;
    std::function<absl::Status()> on_part_end;
  };

  // Extracts the boundary from a Content-Type header value such as
  // `multipart/form-data; boundary="a b"; charset=utf-8` (media type and parameter
  // names case-insensitive, parameters in any order, quoted or token values).
  // InvalidArgument when the media type is not multipart/form-data, or the boundary
  // is missing or not 1-70 RFC 2046 boundary characters.
  [[nodiscard]] static absl::StatusOr<std::string> BoundaryFromContentType(
      std::string_view content_type);

  // `boundary` should come from BoundaryFromContentType; one that is empty, longer
  // than 70 characters or contains CR/LF makes the first Feed fail (InvalidArgument).
  MultipartParser(std::string boundary, Callbacks callbacks, MultipartLimits limits = {});

  MultipartParser(const MultipartParser&) = delete;
  MultipartParser& operator=(const MultipartParser&) = delete;

  // Consumes the next chunk of the body. OK, InvalidArgument for malformed input or
  // exceeded limits, or the first error a callback returned.
  [[nodiscard]] absl::Status Feed(std::string_view chunk);

  // Call once after the last chunk: OK when the closing boundary was seen, else
  // InvalidArgument ("multipart body ended before the closing boundary"), or the
  // parser's earlier error.
  [[nodiscard]] absl::Status Finish();

 private:
  enum class State {
    kPreamble,        // discarding bytes until the first delimiter
    kAfterDelimiter,  // just after "--boundary": "--", padding or CRLF decides
    kHeaders,         // collecting a part's header block
    kData,            // passing part data through, watching for the delimiter
    kEpilogue,        // after the closing delimiter; everything is ignored
  };

  // Progress through the rest of a delimiter line, in kAfterDelimiter.
  enum class DelimiterTail {
    kStart,    // right after "--boundary"
    kDash,     // saw "-": a second one closes the body
    kPadding,  // saw spaces/tabs (transport padding)
    kCr,       // saw CR: LF starts the next part's headers
  };

  // Each step consumes a prefix of `input` and advances it.
  absl::Status ScanForDelimiter(std::string_view& input);
  absl::Status StepAfterDelimiter(std::string_view& input);
  absl::Status StepHeaders(std::string_view& input);
  absl::Status EmitData(std::string_view data);
  absl::Status BeginPart();
  absl::Status EndPart();
  absl::Status Fail(absl::Status status);

  const std::string delimiter_;  // "\r\n--" + boundary
  const Callbacks callbacks_;
  const MultipartLimits limits_;

  State state_ = State::kPreamble;
  absl::Status error_;  // sticky: once set, every call returns it
  // Bytes at the end of the last chunk that match a prefix of `delimiter_`.
  // Starts as "\r\n" so a body that begins with "--boundary" matches too.
  std::string held_;
  std::string header_block_;  // kHeaders: bytes of the current header block
  DelimiterTail delimiter_tail_ = DelimiterTail::kStart;  // kAfterDelimiter only
  int64_t padding_bytes_ = 0;  // kAfterDelimiter: spaces/tabs seen so far
  int parts_ = 0;              // parts begun
  bool in_part_ = false;       // on_part_begin called, on_part_end not yet
  bool finished_ = false;
};

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_MULTIPART_PARSER_H_
