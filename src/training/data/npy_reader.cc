#include "training/data/npy_reader.h"

#include <zip.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "training/data/npy_header.h"

namespace aiaas::training {
namespace {

constexpr bool kHostBigEndian = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
constexpr size_t kMaxArraysInMessage = 10;

// An array whose header and sizes have been checked against the file and the limits.
struct CheckedArray {
  std::string name;
  NpyHeader header;
  std::string_view data;  // exactly rows * columns * item_bytes
  size_t rows = 0;
  size_t columns = 0;  // product of the trailing dimensions; 1 for a 1-D array
};

std::string ShapeText(const std::vector<uint64_t>& shape) {
  return absl::StrCat("(", absl::StrJoin(shape, ", "), shape.size() == 1 ? ",)" : ")");
}

absl::StatusOr<CheckedArray> CheckArray(std::string_view file, std::string name,
                                        const ReadLimits& limits) {
  absl::StatusOr<NpyHeader> header = ParseNpyHeader(file, name);
  if (!header.ok()) return header.status();
  CheckedArray array;
  array.header = *std::move(header);
  const std::vector<uint64_t>& shape = array.header.shape;
  if (shape.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "array '", name, "' is a 0-d scalar; a dataset array needs one row per sample"));
  }
  uint64_t columns = 1;
  for (size_t axis = 1; axis < shape.size(); ++axis) {
    if (__builtin_mul_overflow(columns, shape[axis], &columns) || columns > limits.max_columns) {
      return absl::InvalidArgumentError(absl::StrCat("array '", name, "' of shape ",
                                                     ShapeText(shape), " has more than ",
                                                     limits.max_columns, " columns (the limit)"));
    }
  }
  if (shape[0] > limits.max_rows) {
    return absl::InvalidArgumentError(absl::StrCat("array '", name, "' has ", shape[0],
                                                   " rows, over the limit of ", limits.max_rows));
  }
  uint64_t elements = 0;
  uint64_t data_bytes = 0;
  if (__builtin_mul_overflow(shape[0], columns, &elements) || elements > limits.max_cells ||
      __builtin_mul_overflow(elements, uint64_t{array.header.dtype.item_bytes}, &data_bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("array '", name, "' of shape ", ShapeText(shape),
                                                   " has more than ", limits.max_cells,
                                                   " cells (the limit)"));
  }
  if (array.header.dtype.kind == NpyKind::kUnicode &&
      array.header.dtype.item_bytes / 4 > limits.max_cell_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "array '", name, "' holds strings of up to ", array.header.dtype.item_bytes / 4,
        " characters, over the cell limit of ", limits.max_cell_bytes));
  }
  const size_t available = file.size() - array.header.data_offset;
  if (data_bytes != available) {
    return absl::InvalidArgumentError(absl::StrCat(
        "array '", name, "' of shape ", ShapeText(shape), " needs ", data_bytes,
        " bytes of data but the file has ", available,
        data_bytes > available ? " (the file is truncated)" : " (unexpected trailing bytes)"));
  }
  array.data = file.substr(array.header.data_offset);
  array.rows = static_cast<size_t>(shape[0]);
  array.columns = static_cast<size_t>(columns);
  array.name = std::move(name);
  return array;
}

uint64_t LoadBits(const char* p, size_t bytes, bool swap) {
  switch (bytes) {
    case 1:
      return static_cast<uint8_t>(*p);
    case 2: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      return swap ? __builtin_bswap16(v) : v;
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      return swap ? __builtin_bswap32(v) : v;
    }
    default: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      return swap ? __builtin_bswap64(v) : v;
    }
  }
}

double HalfToDouble(uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  const double sign = (bits & 0x8000) != 0 ? -1.0 : 1.0;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  if (exponent == 31) {
    return mantissa == 0 ? sign * std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::quiet_NaN();
  }
  return sign * std::ldexp(mantissa + 1024, exponent - 25);
}

double ToDouble(uint64_t bits, const NpyDtype& dtype) {
  switch (dtype.kind) {
    case NpyKind::kFloat:
      if (dtype.item_bytes == 2) return HalfToDouble(static_cast<uint16_t>(bits));
      if (dtype.item_bytes == 4) {
        float f;
        const auto narrow = static_cast<uint32_t>(bits);
        std::memcpy(&f, &narrow, 4);
        return f;
      } else {
        double d;
        std::memcpy(&d, &bits, 8);
        return d;
      }
    case NpyKind::kSigned: {
      const int shift = static_cast<int>(64 - 8 * dtype.item_bytes);
      return static_cast<double>(static_cast<int64_t>(bits << shift) >> shift);
    }
    case NpyKind::kUnsigned:
      return static_cast<double>(bits);
    case NpyKind::kBool:
      return bits != 0 ? 1.0 : 0.0;
    case NpyKind::kUnicode:
      break;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// Decodes one UCS-4 element (trailing NULs stripped) into UTF-8.
absl::Status DecodeUnicode(const char* p, size_t chars, bool swap, std::string& out) {
  while (chars > 0 && LoadBits(p + 4 * (chars - 1), 4, swap) == 0) --chars;
  out.clear();
  for (size_t k = 0; k < chars; ++k) {
    const auto cp = static_cast<uint32_t>(LoadBits(p + 4 * k, 4, swap));
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid code point ", cp));
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return absl::OkStatus();
}

// Where column `column`'s first element sits, in elements, for a Fortran-ordered array:
// the column index unravelled in C order over the trailing dimensions, then raveled
// with Fortran strides (the first axis, the rows, has stride 1).
size_t FortranColumnStart(size_t column, const std::vector<uint64_t>& shape) {
  size_t offset = 0;
  std::vector<size_t> index(shape.size(), 0);
  for (size_t axis = shape.size() - 1; axis >= 1; --axis) {
    index[axis] = column % shape[axis];
    column /= shape[axis];
  }
  auto stride = static_cast<size_t>(shape[0]);
  for (size_t axis = 1; axis < shape.size(); ++axis) {
    offset += index[axis] * stride;
    stride *= static_cast<size_t>(shape[axis]);
  }
  return offset;
}

absl::Status AppendColumns(const CheckedArray& array, DataTable& table) {
  const NpyDtype& dtype = array.header.dtype;
  const bool swap = dtype.big_endian != kHostBigEndian && dtype.item_bytes > 1;
  const bool one_dimensional = array.header.shape.size() == 1;
  std::string text;
  for (size_t c = 0; c < array.columns; ++c) {
    Column column;
    column.name = one_dimensional ? array.name : absl::StrCat(array.name, "_", c);
    column.missing.assign(array.rows, 0);
    const size_t start = array.header.fortran_order && !one_dimensional
                             ? FortranColumnStart(c, array.header.shape)
                             : c;
    const size_t step = array.header.fortran_order ? 1 : array.columns;
    if (dtype.kind == NpyKind::kUnicode) {
      column.kind = ColumnKind::kCategorical;
      column.strings.resize(array.rows);
      for (size_t r = 0; r < array.rows; ++r) {
        const char* p = array.data.data() + (start + r * step) * dtype.item_bytes;
        if (absl::Status s = DecodeUnicode(p, dtype.item_bytes / 4, swap, text); !s.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("array '", array.name, "', row ", r, ": ", s.message()));
        }
        if (text.empty()) {
          column.missing[r] = 1;
        } else {
          column.strings[r] = text;
        }
      }
    } else {
      column.kind = ColumnKind::kNumeric;
      column.numbers.resize(array.rows);
      for (size_t r = 0; r < array.rows; ++r) {
        const char* p = array.data.data() + (start + r * step) * dtype.item_bytes;
        const double value = ToDouble(LoadBits(p, dtype.item_bytes, swap), dtype);
        if (std::isinf(value)) {
          return absl::InvalidArgumentError(
              absl::StrCat("array '", array.name, "' has an infinite value (row ", r,
                           one_dimensional ? "" : absl::StrCat(", column ", column.name),
                           "); replace it with NaN (missing) or a finite number"));
        }
        column.numbers[r] = value;
        column.missing[r] = std::isnan(value) ? 1 : 0;
      }
    }
    table.columns.push_back(std::move(column));
  }
  return absl::OkStatus();
}

absl::Status CheckInputSize(std::string_view bytes, const ReadLimits& limits) {
  if (bytes.size() <= limits.max_bytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "the file is ", bytes.size(), " bytes, over the limit of ", limits.max_bytes, " bytes"));
}

struct ZipDiscard {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipFileClose {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

// One .npy member of an .npz, inflated.
struct NpzMember {
  std::string array_name;
  std::string bytes;
};

absl::StatusOr<std::vector<NpzMember>> InflateNpzMembers(std::string_view bytes,
                                                         const ReadLimits& limits) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return absl::ResourceExhaustedError("cannot read the .npz: out of memory");
  }
  std::unique_ptr<zip_t, ZipDiscard> archive(
      zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error));
  if (archive == nullptr) {
    std::string reason = zip_error_strerror(&error);
    zip_source_free(source);
    zip_error_fini(&error);
    return absl::InvalidArgumentError(absl::StrCat("not a valid .npz (zip) file: ", reason));
  }
  zip_error_fini(&error);

  const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
  if (entries < 0 || static_cast<uint64_t>(entries) > limits.max_columns) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the .npz has ", entries, " members, more than the column limit of ", limits.max_columns));
  }
  std::vector<NpzMember> members;
  uint64_t total_bytes = 0;
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive.get(), i, 0, &stat) != 0 || (stat.valid & ZIP_STAT_NAME) == 0 ||
        (stat.valid & ZIP_STAT_SIZE) == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("the .npz member ", i, " is unreadable: ", zip_strerror(archive.get())));
    }
    const absl::string_view member_name = stat.name;
    if (absl::EndsWith(member_name, "/")) continue;  // a directory entry
    if (!absl::EndsWith(member_name, ".npy") || member_name.size() == 4) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the .npz member '", member_name, "' is not an .npy array (name must end in .npy)"));
    }
    if (stat.size > limits.max_inflated_bytes ||
        total_bytes + stat.size > limits.max_inflated_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("the .npz member '", member_name, "' inflates to ", stat.size,
                       " bytes, over the limit of ", limits.max_inflated_bytes,
                       " bytes for all members together"));
    }
    total_bytes += stat.size;
    std::unique_ptr<zip_file_t, ZipFileClose> file(zip_fopen_index(archive.get(), i, 0));
    if (file == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("cannot open the .npz member '", member_name,
                                                     "': ", zip_strerror(archive.get())));
    }
    NpzMember member;
    member.array_name = std::string(member_name.substr(0, member_name.size() - 4));
    member.bytes.resize(stat.size);
    size_t filled = 0;
    while (filled < member.bytes.size()) {
      const zip_int64_t n =
          zip_fread(file.get(), member.bytes.data() + filled, member.bytes.size() - filled);
      if (n <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("the .npz member '", member_name, "' is corrupt or truncated",
                         n < 0 ? absl::StrCat(": ", zip_file_strerror(file.get())) : ""));
      }
      filled += static_cast<size_t>(n);
    }
    char extra = 0;
    if (zip_fread(file.get(), &extra, 1) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("the .npz member '", member_name, "' does not match its declared size"));
    }
    members.push_back(std::move(member));
  }
  return members;
}

}  // namespace

absl::StatusOr<DataTable> ReadNpy(std::string_view bytes, const ReadLimits& limits) {
  if (absl::Status s = CheckInputSize(bytes, limits); !s.ok()) return s;
  absl::StatusOr<CheckedArray> array = CheckArray(bytes, "x", limits);
  if (!array.ok()) return array.status();
  if (array->rows == 0) return absl::InvalidArgumentError("array 'x' has no rows");
  DataTable table;
  table.rows = array->rows;
  if (absl::Status s = AppendColumns(*array, table); !s.ok()) return s;
  return table;
}

absl::StatusOr<DataTable> ReadNpz(std::string_view bytes, const ReadLimits& limits) {
  if (absl::Status s = CheckInputSize(bytes, limits); !s.ok()) return s;
  absl::StatusOr<std::vector<NpzMember>> members = InflateNpzMembers(bytes, limits);
  if (!members.ok()) return members.status();
  if (members->empty()) return absl::InvalidArgumentError("the .npz holds no arrays");

  std::vector<CheckedArray> arrays;
  size_t total_columns = 0;
  for (const NpzMember& member : *members) {
    absl::StatusOr<CheckedArray> array = CheckArray(member.bytes, member.array_name, limits);
    if (!array.ok()) return array.status();
    total_columns += array->columns;
    arrays.push_back(*std::move(array));
  }
  const size_t rows = arrays.front().rows;
  for (const CheckedArray& array : arrays) {
    if (array.rows == rows) continue;
    std::vector<std::string> sizes;
    sizes.reserve(kMaxArraysInMessage);
    for (const CheckedArray& a : arrays) {
      if (sizes.size() == kMaxArraysInMessage) {
        sizes.emplace_back("...");
        break;
      }
      sizes.push_back(absl::StrCat("'", a.name, "' has ", a.rows));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("the arrays in the .npz have different first dimensions (",
                     absl::StrJoin(sizes, ", "), "); every array needs one entry per row"));
  }
  if (rows == 0) return absl::InvalidArgumentError("the arrays in the .npz have no rows");
  if (total_columns > limits.max_columns ||
      (total_columns > 0 && rows > limits.max_cells / total_columns)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the .npz arrays have ", total_columns, " columns and ", rows,
                     " rows together, over the limit of ", limits.max_columns, " columns or ",
                     limits.max_cells, " cells"));
  }
  DataTable table;
  table.rows = rows;
  table.columns.reserve(total_columns);
  for (const CheckedArray& array : arrays) {
    if (absl::Status s = AppendColumns(array, table); !s.ok()) return s;
  }
  absl::flat_hash_set<std::string_view> names;
  for (const Column& column : table.columns) {
    if (!names.insert(column.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("two arrays in the .npz produce the column name '", column.name, "'"));
    }
  }
  return table;
}

}  // namespace aiaas::training
