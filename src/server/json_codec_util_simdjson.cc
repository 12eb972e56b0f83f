#include "server/json_codec_util_simdjson.h"

#include <utility>

#include "server/json_codec_util.h"

namespace aiaas::server::json_util {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// True for an integer literal ("-?[0-9]+") that fits neither int64 nor uint64.
bool IsOversizedInteger(std::string_view token) {
  const bool negative = !token.empty() && token.front() == '-';
  std::string_view digits = token.substr(negative ? 1 : 0);
  if (digits.empty()) return false;
  for (char c : digits) {
    if (!IsDigit(c)) return false;
  }
  // JSON forbids leading zeros, so longer means larger.
  const std::string_view limit = negative ? "9223372036854775808" : "18446744073709551615";
  if (digits.size() != limit.size()) return digits.size() > limit.size();
  return digits > limit;
}

// The message for a document simdjson refused. Cold path: the nlohmann helpers
// rerun on the text, so depth and syntax errors read exactly as they always have
// (with line and column, which simdjson does not track).
absl::Status ParseFailure(std::string_view text, simdjson::error_code error) {
  if (error == simdjson::MEMALLOC) {
    return absl::ResourceExhaustedError("out of memory while parsing the request");
  }
  absl::StatusOr<Json> doc = ParseJsonObject(text);  // checks the depth first
  if (!doc.ok()) return doc.status();
  return Invalid("invalid JSON: ", simdjson::error_message(error));
}

absl::Status CheckNestingAt(element node, const std::vector<int64_t>& shape, size_t dim,
                            LeafCheck leaf_check, std::string& path) {
  simdjson::dom::array array;
  if (node.get_array().get(array) != simdjson::SUCCESS) {
    return Invalid(path, " is ", TypeName(node), ", expected an array of ", shape[dim], " entries");
  }
  const size_t size = ArraySize(array);
  if (static_cast<int64_t>(size) != shape[dim]) {
    return Invalid(path, " has ", size, " entries, expected ", shape[dim]);
  }
  const bool last = dim + 1 == shape.size();
  if (last && leaf_check == LeafCheck::kLengthsOnly) return absl::OkStatus();
  size_t i = 0;
  for (element child : array) {
    if (last) {
      if (child.is_array()) {
        return Invalid(path, "[", i, "] is an array, but the shape has only ", shape.size(),
                       " dimension(s)");
      }
    } else {
      const size_t path_size = path.size();
      absl::StrAppend(&path, "[", i, "]");
      AIAAS_RETURN_IF_ERROR(CheckNestingAt(child, shape, dim + 1, leaf_check, path));
      path.resize(path_size);
    }
    ++i;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SimdjsonObject> SimdjsonObject::Parse(std::string_view text) {
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.substr(0, kByteOrderMark.size()) == kByteOrderMark) {
    text.remove_prefix(kByteOrderMark.size());
  }
  SimdjsonObject result;
  result.parser_ = std::make_unique<simdjson::dom::parser>();
  // The depth limit makes simdjson refuse what CheckDepth would (same counting:
  // 64 levels pass, 65 fail), without a separate scan on the success path.
  simdjson::error_code error = result.parser_->allocate(text.size(), kMaxJsonDepth);
  element root;
  // The parser copies the text into its own padded buffer (realloc_if_needed).
  if (error == simdjson::SUCCESS) error = result.parser_->parse(text.data(), text.size()).get(root);
  if (error == simdjson::NUMBER_ERROR) {
    // simdjson's DOM refuses integers beyond 64 bits; nlohmann read them as doubles.
    const std::string widened = WidenOversizedIntegers(text);
    if (widened.size() != text.size()) {
      error = result.parser_->parse(widened.data(), widened.size(), true).get(root);
    }
  }
  if (error != simdjson::SUCCESS) return ParseFailure(text, error);
  if (root.get_object().get(result.root_) != simdjson::SUCCESS) {
    return Invalid("the body must be a JSON object, got ", TypeName(root));
  }
  return result;
}

std::string_view TypeName(element value) {
  switch (value.type()) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
      return "an integer";
    case element_type::DOUBLE:
      return "a non-integer number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "invalid";
}

std::string ShortDump(element value) {
  switch (value.type()) {
    case element_type::ARRAY:
      return "[...]";
    case element_type::OBJECT:
      return "{...}";
    case element_type::INT64:
      return ShortDump(Json(value.get_int64().value_unsafe()));
    case element_type::UINT64:
      return ShortDump(Json(value.get_uint64().value_unsafe()));
    case element_type::DOUBLE:
      return ShortDump(Json(value.get_double().value_unsafe()));
    case element_type::STRING:
      return ShortDump(Json(std::string(value.get_string().value_unsafe())));
    case element_type::BOOL:
      return ShortDump(Json(value.get_bool().value_unsafe()));
    case element_type::NULL_VALUE:
      break;
  }
  return "null";
}

size_t ArraySize(simdjson::dom::array array) {
  constexpr size_t kSaturated = 0xFFFFFF;  // simdjson::internal::JSON_COUNT_MASK
  const size_t size = array.size();
  if (size < kSaturated) return size;
  size_t counted = 0;
  for (auto it = array.begin(); it != array.end(); ++it) ++counted;
  return counted;
}

absl::Status CheckNesting(element data, const std::vector<int64_t>& shape, std::string_view root,
                          LeafCheck leaf_check) {
  std::string path(root);
  return CheckNestingAt(data, shape, 0, leaf_check, path);
}

std::string WidenOversizedIntegers(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_string = false;
  size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (in_string) {
      const size_t length = c == '\\' && i + 1 < text.size() ? 2 : 1;  // keep escapes whole
      in_string = c != '"';
      out.append(text, i, length);
      i += length;
    } else if (c == '-' || IsDigit(c)) {
      size_t end = i + 1;
      while (end < text.size() && (IsDigit(text[end]) || text[end] == '.' || text[end] == 'e' ||
                                   text[end] == 'E' || text[end] == '+' || text[end] == '-')) {
        ++end;
      }
      const std::string_view token = text.substr(i, end - i);
      out += token;
      if (IsOversizedInteger(token)) out += ".0";
      i = end;
    } else {
      in_string = c == '"';
      out += c;
      ++i;
    }
  }
  return out;
}

}  // namespace aiaas::server::json_util
