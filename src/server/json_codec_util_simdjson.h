#ifndef AIAAS_SERVER_JSON_CODEC_UTIL_SIMDJSON_H_
#define AIAAS_SERVER_JSON_CODEC_UTIL_SIMDJSON_H_

// Internal to the codecs of this folder: the simdjson counterparts of the nlohmann
// helpers in json_codec_util.h, for the inference request hot path. simdjson keeps
// numbers unboxed on a flat tape, so a 150k-value tensor parses ~10x faster than
// through nlohmann's DOM. Every message here is word for word what the nlohmann
// helper says about the same input, so callers do not depend on which parser ran.
// Only the error-handling path of SimdjsonObject::Parse touches nlohmann.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "simdjson.h"

namespace aiaas::server::json_util {

// One parsed JSON object and the simdjson parser whose tape holds it. Elements
// obtained from root() borrow from this object and must not outlive it.
// Move-only; not thread-safe (one request, one thread). Uses the error-code API
// of simdjson only: nothing here throws.
class SimdjsonObject {
 public:
  // Parses `text`, which must be exactly one JSON object (a UTF-8 byte-order mark
  // is skipped) nested at most kMaxJsonDepth deep. InvalidArgument otherwise, with
  // the same message ParseJsonObject gives: nesting depth with its byte offset,
  // the parser error with line and column, or "the body must be a JSON object".
  // Integers outside the 64-bit range parse as doubles, as they do with nlohmann.
  [[nodiscard]] static absl::StatusOr<SimdjsonObject> Parse(std::string_view text);

  simdjson::dom::object root() const { return root_; }

 private:
  SimdjsonObject() = default;

  std::unique_ptr<simdjson::dom::parser> parser_;  // owns the tape root_ points into
  simdjson::dom::object root_;
};

// "an integer", "a string", ... as TypeName(const Json&) says for the same value
// (integers: "an integer", other numbers: "a non-integer number").
std::string_view TypeName(simdjson::dom::element value);

// A value shortened for error messages, formatted exactly like ShortDump(const Json&):
// `300`, `1e+39`, `"abc"`, `[...]`, `{...}`.
std::string ShortDump(simdjson::dom::element value);

// Number of elements of `array`. simdjson's own size() saturates at 2^24 - 1;
// this counts past that.
size_t ArraySize(simdjson::dom::array array);

// Whether CheckNesting looks at the values below the last dimension (which must
// not be arrays) or only at the arrays' lengths.
enum class LeafCheck { kLengthsOnly, kFull };

// CheckNesting(const Json&, ...) on a simdjson element: `data` must be nested
// exactly like `shape` (non-empty). With LeafCheck::kLengthsOnly, arrays in place
// of values below the last dimension are not reported (the caller meets them while
// reading the values and then reruns the full check for the message).
[[nodiscard]] absl::Status CheckNesting(simdjson::dom::element data,
                                        const std::vector<int64_t>& shape, std::string_view root,
                                        LeafCheck leaf_check);

// Replaces every integer literal outside the int64/uint64 range (outside string
// literals) with the same digits followed by ".0", which simdjson then reads as a
// double, as nlohmann reads such integers. Exposed for tests.
std::string WidenOversizedIntegers(std::string_view text);

}  // namespace aiaas::server::json_util

#endif  // AIAAS_SERVER_JSON_CODEC_UTIL_SIMDJSON_H_
