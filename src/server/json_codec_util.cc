#include "server/json_codec_util.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace aiaas::server::json_util {
namespace {

std::string Dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::Status CheckNestingAt(const Json& node, const std::vector<int64_t>& shape, size_t dim,
                            std::string& path) {
  if (!node.is_array()) {
    return Invalid(path, " is ", TypeName(node), ", expected an array of ", shape[dim], " entries");
  }
  if (static_cast<int64_t>(node.size()) != shape[dim]) {
    return Invalid(path, " has ", node.size(), " entries, expected ", shape[dim]);
  }
  const bool last = dim + 1 == shape.size();
  for (size_t i = 0; i < node.size(); ++i) {
    const Json& child = node[i];
    if (last) {
      if (child.is_array()) {
        return Invalid(path, "[", i, "] is an array, but the shape has only ", shape.size(),
                       " dimension(s)");
      }
      continue;
    }
    const size_t path_size = path.size();
    absl::StrAppend(&path, "[", i, "]");
    AIAAS_RETURN_IF_ERROR(CheckNestingAt(child, shape, dim + 1, path));
    path.resize(path_size);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckDepth(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return Invalid("invalid JSON: nesting deeper than ", kMaxJsonDepth, " levels at byte ", i);
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> ParseJsonObject(std::string_view body) {
  AIAAS_RETURN_IF_ERROR(CheckDepth(body));
  Json doc;
  try {
    doc = Json::parse(body.begin(), body.end());
  } catch (const Json::exception& e) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 7: ...".
    std::string_view message = e.what();
    if (size_t end = message.find("] "); end != std::string_view::npos) {
      message.remove_prefix(end + 2);
    }
    return Invalid("invalid JSON: ", message);
  }
  if (!doc.is_object()) {
    return Invalid("the body must be a JSON object, got ", TypeName(doc));
  }
  return doc;
}

std::string_view TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a non-integer number";
    case Json::value_t::binary:
      return "binary";
    case Json::value_t::discarded:
      break;
  }
  return "invalid";
}

std::string ShortDump(const Json& value) {
  if (value.is_array()) return "[...]";
  if (value.is_object()) return "{...}";
  std::string text = Dump(value);
  constexpr size_t kMaxChars = 40;
  if (text.size() > kMaxChars) {
    text.resize(kMaxChars);
    text += "...";
  }
  return text;
}

absl::Status CheckNesting(const Json& data, const std::vector<int64_t>& shape,
                          std::string_view root) {
  std::string path(root);
  return CheckNestingAt(data, shape, 0, path);
}

float HalfToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  uint32_t out;
  if (exponent == 0x1f) {  // infinity / NaN
    out = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {  // normal
    out = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {  // signed zero
    out = sign;
  } else {  // subnormal: normalize into a float exponent
    exponent = 127 - 15 + 1;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --exponent;
    }
    out = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  float value;
  std::memcpy(&value, &out, sizeof(value));
  return value;
}

float Bfloat16ToFloat(uint16_t bits) {
  const uint32_t out = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &out, sizeof(value));
  return value;
}

}  // namespace aiaas::server::json_util
