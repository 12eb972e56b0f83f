// Tensor-to-JSON writing (declared in json_codec_util.h). This is the response hot
// path: values are formatted with std::to_chars into a small stack buffer that is
// flushed to the output string, one type switch per row rather than per value.
#include <charconv>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "server/json_codec_util.h"

namespace aiaas::server::json_util {
namespace {

// Longest text of one element plus its comma: "-2.2250738585072014e-308" (24) + ".0"
// cannot both happen, so 32 bounds every numeric type and "false"/"null".
constexpr size_t kMaxElementChars = 32;

// Formats into a fixed stack buffer and appends it to `out` when nearly full, so
// the string grows in a few large appends instead of one per character.
class ChunkedAppender {
 public:
  explicit ChunkedAppender(std::string& out) : out_(out) {}
  ChunkedAppender(const ChunkedAppender&) = delete;
  ChunkedAppender& operator=(const ChunkedAppender&) = delete;
  ~ChunkedAppender() { Flush(); }

  // A pointer with room for at least kMaxElementChars bytes; pass the end of what
  // was written to Commit.
  char* Reserve() {
    if (static_cast<size_t>(buffer_ + sizeof(buffer_) - next_) < kMaxElementChars) Flush();
    return next_;
  }
  void Commit(char* end) { next_ = end; }

  void Append(char c) {
    char* p = Reserve();
    *p = c;
    Commit(p + 1);
  }

  // Everything appended so far, in order, followed by direct writes to the string.
  std::string& FlushedString() {
    Flush();
    return out_;
  }

 private:
  void Flush() {
    out_.append(buffer_, next_);
    next_ = buffer_;
  }

  std::string& out_;
  char buffer_[4096];
  char* next_ = buffer_;
};

char* WriteLiteral(std::string_view text, char* p) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

template <typename T>
char* WriteInteger(T value, char* p) {
  // Widen so int8/uint8 print as numbers, not characters.
  using Wide = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
  return std::to_chars(p, p + kMaxElementChars, static_cast<Wide>(value)).ptr;
}

// Shortest text that parses back to the same value; ".0" marks integral values as
// floats; NaN and infinities (not expressible in JSON) become null.
template <typename F>
char* WriteFloat(F value, char* p) {
  if (!std::isfinite(value)) return WriteLiteral("null", p);
  char* end = std::to_chars(p, p + kMaxElementChars, value).ptr;
  for (const char* c = p; c != end; ++c) {
    if (*c == '.' || *c == 'e') return end;
  }
  return WriteLiteral(".0", end);
}

// Writes a tensor's elements one run at a time in row-major order. Reads are
// bounds-checked: a buffer shorter than the shape promises yields nulls.
class ElementWriter {
 public:
  ElementWriter(const Tensor& tensor, ChunkedAppender& out) : tensor_(tensor), out_(out) {}

  // Appends the next `n` elements, comma-separated, without brackets.
  void AppendNext(int64_t n) {
    switch (tensor_.dtype) {
      case DataType::kBool:
        return AppendFixed<uint8_t>(
            n, [](uint8_t v, char* p) { return WriteLiteral(v != 0 ? "true" : "false", p); });
      case DataType::kUint8:
        return AppendFixed<uint8_t>(n, WriteInteger<uint8_t>);
      case DataType::kUint16:
        return AppendFixed<uint16_t>(n, WriteInteger<uint16_t>);
      case DataType::kUint32:
        return AppendFixed<uint32_t>(n, WriteInteger<uint32_t>);
      case DataType::kUint64:
        return AppendFixed<uint64_t>(n, WriteInteger<uint64_t>);
      case DataType::kInt8:
        return AppendFixed<int8_t>(n, WriteInteger<int8_t>);
      case DataType::kInt16:
        return AppendFixed<int16_t>(n, WriteInteger<int16_t>);
      case DataType::kInt32:
        return AppendFixed<int32_t>(n, WriteInteger<int32_t>);
      case DataType::kInt64:
        return AppendFixed<int64_t>(n, WriteInteger<int64_t>);
      case DataType::kFp16:
        return AppendFixed<uint16_t>(
            n, [](uint16_t v, char* p) { return WriteFloat(HalfToFloat(v), p); });
      case DataType::kBf16:
        return AppendFixed<uint16_t>(
            n, [](uint16_t v, char* p) { return WriteFloat(Bfloat16ToFloat(v), p); });
      case DataType::kFp32:
        return AppendFixed<float>(n, WriteFloat<float>);
      case DataType::kFp64:
        return AppendFixed<double>(n, WriteFloat<double>);
      case DataType::kBytes:
        return AppendBytes(n);
    }
  }

 private:
  template <typename T, typename Format>
  void AppendFixed(int64_t n, Format format) {
    const std::byte* data = tensor_.data.data();
    const size_t size = tensor_.data.size();
    for (int64_t i = 0; i < n; ++i) {
      char* p = out_.Reserve();
      if (i > 0) *p++ = ',';
      if (size - offset_ >= sizeof(T)) {  // offset_ <= size always holds
        T value;
        std::memcpy(&value, data + offset_, sizeof(T));
        offset_ += sizeof(T);
        p = format(value, p);
      } else {
        p = WriteLiteral("null", p);
      }
      out_.Commit(p);
    }
  }

  // BYTES elements: a 4-byte little-endian length, then that many bytes.
  void AppendBytes(int64_t n) {
    std::string& out = out_.FlushedString();
    const size_t size = tensor_.data.size();
    for (int64_t i = 0; i < n; ++i) {
      if (i > 0) out += ',';
      uint32_t length = 0;
      if (size - offset_ < sizeof(length)) {
        out += "null";
        continue;
      }
      std::memcpy(&length, tensor_.data.data() + offset_, sizeof(length));
      if (length > size - offset_ - sizeof(length)) {
        offset_ = size;
        out += "null";
        continue;
      }
      offset_ += sizeof(length);
      AppendString(
          std::string_view(reinterpret_cast<const char*>(tensor_.data.data()) + offset_, length),
          out);
      offset_ += length;
    }
  }

  const Tensor& tensor_;
  ChunkedAppender& out_;
  size_t offset_ = 0;
};

void AppendNested(const std::vector<int64_t>& shape, size_t dim, ElementWriter& writer,
                  ChunkedAppender& out) {
  out.Append('[');
  if (dim + 1 == shape.size()) {
    writer.AppendNext(shape[dim]);
  } else {
    for (int64_t i = 0; i < shape[dim]; ++i) {
      if (i > 0) out.Append(',');
      AppendNested(shape, dim + 1, writer, out);
    }
  }
  out.Append(']');
}

}  // namespace

void AppendString(std::string_view text, std::string& out) {
  out += Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
}

void AppendTensorData(const Tensor& tensor, bool nested, std::string& out) {
  for (int64_t dim : tensor.shape) {
    if (dim < 0) {  // broken invariant; write nothing rather than guess
      out += "[]";
      return;
    }
  }
  ChunkedAppender appender(out);
  ElementWriter writer(tensor, appender);
  if (nested && !tensor.shape.empty()) {
    AppendNested(tensor.shape, 0, writer, appender);
    return;
  }
  appender.Append('[');
  writer.AppendNext(tensor.NumElements());  // a rank-0 tensor has one element
  appender.Append(']');
}

}  // namespace aiaas::server::json_util
