#include "training/data/npy_header.h"

#include <cstring>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "training/data/absl_string_view.h"

namespace aiaas::training {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
// NumPy itself refuses headers over 10000 bytes by default; this leaves room.
constexpr size_t kMaxHeaderBytes = 64 << 10;
constexpr size_t kMaxDims = 32;

// A cursor over the header dict, a Python literal such as
//   {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
class DictParser {
 public:
  explicit DictParser(std::string_view text) : text_(text) {}

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool AtEnd() {
    SkipSpace();
    return pos_ >= text_.size();
  }
  // A '...' or "..." string without escapes (dtype strings and keys have none).
  std::optional<std::string_view> String() {
    SkipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return std::nullopt;
    const char quote = text_[pos_];
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view value = text_.substr(pos_ + 1, end - pos_ - 1);
    if (value.find('\\') != std::string_view::npos) return std::nullopt;
    pos_ = end + 1;
    return value;
  }
  std::optional<bool> Bool() {
    SkipSpace();
    for (auto [word, value] : {std::pair<std::string_view, bool>{"True", true}, {"False", false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    }
    return std::nullopt;
  }
  // A non-negative integer (Python 2 wrote a trailing 'L').
  std::optional<uint64_t> Integer() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    uint64_t value = 0;
    if (pos_ == start || !absl::SimpleAtoi(ToAbsl(text_.substr(start, pos_ - start)), &value)) {
      return std::nullopt;
    }
    if (pos_ < text_.size() && text_[pos_] == 'L') ++pos_;
    return value;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

absl::Status Malformed(absl::string_view array_name, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("array '", array_name, "': malformed .npy header (", what, ")"));
}

absl::StatusOr<std::vector<uint64_t>> ParseShape(DictParser& parser, absl::string_view name) {
  if (!parser.Consume('(')) return Malformed(name, "shape must be a tuple");
  std::vector<uint64_t> shape;
  while (!parser.Consume(')')) {
    std::optional<uint64_t> dim = parser.Integer();
    if (!dim) return Malformed(name, "shape must hold non-negative integers");
    if (shape.size() == kMaxDims) {
      return absl::InvalidArgumentError(
          absl::StrCat("array '", name, "' has more than ", kMaxDims, " dimensions"));
    }
    shape.push_back(*dim);
    if (!parser.Consume(',') && !parser.Peek(')')) return Malformed(name, "bad shape tuple");
  }
  return shape;
}

}  // namespace

absl::StatusOr<NpyDtype> ParseNpyDescr(std::string_view descr) {
  const std::string quoted = absl::StrCat("'", ToAbsl(descr), "'");
  if (descr.empty()) return absl::InvalidArgumentError("empty dtype");
  bool big_endian = false;
  switch (descr.front()) {
    case '>':
      big_endian = true;
      descr.remove_prefix(1);
      break;
    case '=':  // native
      big_endian = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
      descr.remove_prefix(1);
      break;
    case '<':
    case '|':
      descr.remove_prefix(1);
      break;
    default:
      break;
  }
  if (descr.empty()) return absl::InvalidArgumentError(absl::StrCat("bad dtype ", quoted));
  const char type = descr.front();
  descr.remove_prefix(1);
  uint64_t size = 0;
  if (!descr.empty() && !absl::SimpleAtoi(ToAbsl(descr), &size)) {
    return absl::InvalidArgumentError(absl::StrCat("bad dtype ", quoted));
  }
  switch (type) {
    case 'O':
      return absl::InvalidArgumentError(absl::StrCat(
          "object arrays (dtype ", quoted,
          ") are refused: loading them needs pickle, which can run code; save numeric or "
          "unicode string arrays"));
    case 'V':
      return absl::InvalidArgumentError(
          absl::StrCat("structured or void arrays (dtype ", quoted,
                       ") are not supported; save each field as its own array in an .npz"));
    case 'S':
    case 'a':
      return absl::InvalidArgumentError(absl::StrCat("byte-string arrays (dtype ", quoted,
                                                     ") are not supported; save strings as unicode "
                                                     "(dtype U, e.g. arr.astype(str))"));
    case 'c':
    case 'M':
    case 'm':
      return absl::InvalidArgumentError(
          absl::StrCat("dtype ", quoted, " (complex, datetime or timedelta) is not supported"));
    default:
      break;
  }
  NpyDtype dtype;
  dtype.big_endian = big_endian;
  dtype.item_bytes = static_cast<size_t>(size);
  if (type == 'f' && (size == 2 || size == 4 || size == 8)) {
    dtype.kind = NpyKind::kFloat;
  } else if (type == 'i' && (size == 1 || size == 2 || size == 4 || size == 8)) {
    dtype.kind = NpyKind::kSigned;
  } else if (type == 'u' && (size == 1 || size == 2 || size == 4 || size == 8)) {
    dtype.kind = NpyKind::kUnsigned;
  } else if (type == 'b' && size == 1) {
    dtype.kind = NpyKind::kBool;
  } else if (type == 'U' && !descr.empty() && size <= (uint64_t{1} << 32)) {
    dtype.kind = NpyKind::kUnicode;
    dtype.item_bytes = static_cast<size_t>(size) * 4;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "dtype ", quoted, " is not supported (use float, int, uint, bool or unicode)"));
  }
  return dtype;
}

absl::StatusOr<NpyHeader> ParseNpyHeader(std::string_view file, std::string_view array_name_std) {
  const absl::string_view array_name = ToAbsl(array_name_std);
  if (file.size() < kMagic.size() + 2 || file.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError(
        absl::StrCat("array '", array_name,
                     "': not a .npy file (no \\x93NUMPY magic; pickled data is refused)"));
  }
  const auto major = static_cast<uint8_t>(file[6]);
  const auto minor = static_cast<uint8_t>(file[7]);
  if (major < 1 || major > 3 || minor != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "array '", array_name, "': unsupported .npy format version ", major, ".", minor));
  }
  const size_t length_bytes = major == 1 ? 2 : 4;
  const size_t prefix = kMagic.size() + 2 + length_bytes;
  if (file.size() < prefix) return Malformed(array_name, "the file ends inside the header");
  uint64_t header_len = 0;
  for (size_t i = 0; i < length_bytes; ++i) {
    header_len |= uint64_t{static_cast<uint8_t>(file[8 + i])} << (8 * i);
  }
  if (header_len > kMaxHeaderBytes) return Malformed(array_name, "the header is too long");
  if (header_len > file.size() - prefix) {
    return Malformed(array_name, "the file ends inside the header");
  }
  DictParser parser(file.substr(prefix, header_len));

  NpyHeader header;
  header.data_offset = prefix + header_len;
  bool have_descr = false;
  bool have_order = false;
  bool have_shape = false;
  if (!parser.Consume('{')) return Malformed(array_name, "expected a dict");
  while (!parser.Consume('}')) {
    std::optional<std::string_view> key = parser.String();
    if (!key || !parser.Consume(':')) return Malformed(array_name, "expected 'key': value");
    if (*key == "descr" && !have_descr) {
      if (parser.Peek('[')) {
        return absl::InvalidArgumentError(absl::StrCat(
            "array '", array_name,
            "' has a structured dtype, which is not supported; save each field as its own "
            "array in an .npz"));
      }
      std::optional<std::string_view> descr = parser.String();
      if (!descr) return Malformed(array_name, "descr must be a string");
      absl::StatusOr<NpyDtype> dtype = ParseNpyDescr(*descr);
      if (!dtype.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("array '", array_name, "': ", dtype.status().message()));
      }
      header.dtype = *dtype;
      have_descr = true;
    } else if (*key == "fortran_order" && !have_order) {
      std::optional<bool> order = parser.Bool();
      if (!order) return Malformed(array_name, "fortran_order must be True or False");
      header.fortran_order = *order;
      have_order = true;
    } else if (*key == "shape" && !have_shape) {
      absl::StatusOr<std::vector<uint64_t>> shape = ParseShape(parser, array_name);
      if (!shape.ok()) return shape.status();
      header.shape = *std::move(shape);
      have_shape = true;
    } else {
      return Malformed(array_name, absl::StrCat("unexpected or repeated key '", ToAbsl(*key), "'"));
    }
    if (!parser.Consume(',') && !parser.Peek('}')) {
      return Malformed(array_name, "expected ',' or '}'");
    }
  }
  if (!parser.AtEnd()) return Malformed(array_name, "text after the dict");
  if (!have_descr || !have_order || !have_shape) {
    return Malformed(array_name, "descr, fortran_order and shape are all required");
  }
  return header;
}

}  // namespace aiaas::training
