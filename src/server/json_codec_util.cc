#include "server/json_codec_util.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace aiaas::server::json_util {
namespace {

// Rejects nesting deeper than kMaxJsonDepth with one pass over the raw text, so
// neither the parser nor any later recursion sees a pathological document. Only
// brackets outside string literals count; malformed text is left to the parser.
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

template <typename T>
void AppendInteger(T value, std::string& out) {
  char buf[24];
  auto result = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, result.ptr);
}

template <typename F>
void AppendFloat(F value, std::string& out) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buf[40];
  auto result = std::to_chars(buf, buf + sizeof(buf), value);  // shortest round-trip form
  std::string_view text(buf, result.ptr - buf);
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

// Writes a tensor's elements one after another in row-major order. Reads are
// bounds-checked: a buffer shorter than the shape promises yields nulls.
class ElementWriter {
 public:
  explicit ElementWriter(const Tensor& tensor) : tensor_(tensor) {}

  void AppendNext(std::string& out) {
    if (tensor_.dtype == DataType::kBytes) {
      AppendNextBytes(out);
      return;
    }
    switch (tensor_.dtype) {
      case DataType::kBool:
        if (auto v = Read<uint8_t>()) {
          out += *v != 0 ? "true" : "false";
          return;
        }
        break;
      case DataType::kUint8:
        if (AppendInt<uint8_t>(out)) return;
        break;
      case DataType::kUint16:
        if (AppendInt<uint16_t>(out)) return;
        break;
      case DataType::kUint32:
        if (AppendInt<uint32_t>(out)) return;
        break;
      case DataType::kUint64:
        if (AppendInt<uint64_t>(out)) return;
        break;
      case DataType::kInt8:
        if (AppendInt<int8_t>(out)) return;
        break;
      case DataType::kInt16:
        if (AppendInt<int16_t>(out)) return;
        break;
      case DataType::kInt32:
        if (AppendInt<int32_t>(out)) return;
        break;
      case DataType::kInt64:
        if (AppendInt<int64_t>(out)) return;
        break;
      case DataType::kFp16:
        if (auto v = Read<uint16_t>()) {
          AppendFloat(HalfToFloat(*v), out);
          return;
        }
        break;
      case DataType::kBf16:
        if (auto v = Read<uint16_t>()) {
          AppendFloat(Bfloat16ToFloat(*v), out);
          return;
        }
        break;
      case DataType::kFp32:
        if (auto v = Read<float>()) {
          AppendFloat(*v, out);
          return;
        }
        break;
      case DataType::kFp64:
        if (auto v = Read<double>()) {
          AppendFloat(*v, out);
          return;
        }
        break;
      case DataType::kBytes:
        break;
    }
    out += "null";
  }

 private:
  template <typename T>
  std::optional<T> Read() {
    if (tensor_.data.size() < sizeof(T) || offset_ > tensor_.data.size() - sizeof(T)) {
      return std::nullopt;
    }
    T value;
    std::memcpy(&value, tensor_.data.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }

  template <typename T>
  bool AppendInt(std::string& out) {
    auto v = Read<T>();
    if (!v) return false;
    // Widen so int8/uint8 print as numbers, not characters.
    using Wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
    AppendInteger(static_cast<Wide>(*v), out);
    return true;
  }

  void AppendNextBytes(std::string& out) {
    auto length = Read<uint32_t>();
    if (!length || *length > tensor_.data.size() - offset_) {
      offset_ = tensor_.data.size();
      out += "null";
      return;
    }
    std::string_view text(reinterpret_cast<const char*>(tensor_.data.data()) + offset_, *length);
    offset_ += *length;
    AppendString(text, out);
  }

  const Tensor& tensor_;
  size_t offset_ = 0;
};

void AppendNested(const std::vector<int64_t>& shape, size_t dim, ElementWriter& writer,
                  std::string& out) {
  out += '[';
  const bool last = dim + 1 == shape.size();
  for (int64_t i = 0; i < shape[dim]; ++i) {
    if (i > 0) out += ',';
    if (last) {
      writer.AppendNext(out);
    } else {
      AppendNested(shape, dim + 1, writer, out);
    }
  }
  out += ']';
}

}  // namespace

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

void AppendString(std::string_view text, std::string& out) { out += Dump(Json(text)); }

void AppendTensorData(const Tensor& tensor, bool nested, std::string& out) {
  ElementWriter writer(tensor);
  if (tensor.shape.empty()) {
    out += '[';
    writer.AppendNext(out);
    out += ']';
    return;
  }
  for (int64_t dim : tensor.shape) {
    if (dim < 0) {  // broken invariant; write nothing rather than guess
      out += "[]";
      return;
    }
  }
  if (nested) {
    AppendNested(tensor.shape, 0, writer, out);
    return;
  }
  out += '[';
  const int64_t count = tensor.NumElements();
  for (int64_t i = 0; i < count; ++i) {
    if (i > 0) out += ',';
    writer.AppendNext(out);
  }
  out += ']';
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
