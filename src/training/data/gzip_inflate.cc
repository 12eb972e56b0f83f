#include "training/data/gzip_inflate.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace aiaas::training {
namespace {

// Owns a z_stream set up for gzip decoding; inflateEnd on every exit path.
class GzipStream {
 public:
  GzipStream() = default;
  GzipStream(const GzipStream&) = delete;
  GzipStream& operator=(const GzipStream&) = delete;
  ~GzipStream() {
    if (initialized_) inflateEnd(&stream_);
  }

  absl::Status Init() {
    // 15 + 16: the largest window, gzip wrapper only (no zlib or raw deflate).
    if (inflateInit2(&stream_, 15 + 16) != Z_OK) {
      return absl::ResourceExhaustedError("cannot initialise zlib");
    }
    initialized_ = true;
    return absl::OkStatus();
  }
  z_stream& get() { return stream_; }

 private:
  z_stream stream_{};
  bool initialized_ = false;
};

constexpr size_t kFirstChunkBytes = size_t{1} << 20;

}  // namespace

bool LooksLikeGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<uint8_t>(bytes[0]) == 0x1f &&
         static_cast<uint8_t>(bytes[1]) == 0x8b;
}

absl::StatusOr<std::string> InflateGzip(std::string_view bytes, size_t max_inflated_bytes) {
  if (!LooksLikeGzip(bytes)) return absl::InvalidArgumentError("not a gzip stream");
  GzipStream gzip;
  if (absl::Status status = gzip.Init(); !status.ok()) return status;
  z_stream& zs = gzip.get();

  std::string out;
  size_t produced = 0;
  size_t consumed = 0;
  // One byte past the limit is enough to tell "exactly at the limit" from "beyond it".
  const size_t capacity_cap =
      max_inflated_bytes == SIZE_MAX ? max_inflated_bytes : max_inflated_bytes + 1;
  while (true) {
    if (produced == out.size()) {
      if (out.size() >= capacity_cap) {
        return absl::InvalidArgumentError(absl::StrCat(
            "the gzip data inflates to more than the limit of ", max_inflated_bytes, " bytes"));
      }
      size_t grown = std::max(kFirstChunkBytes, out.size() * 2);
      out.resize(std::min(grown, capacity_cap));
    }
    const size_t in_chunk = std::min<size_t>(bytes.size() - consumed, UINT_MAX);
    const size_t out_chunk = std::min<size_t>(out.size() - produced, UINT_MAX);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + consumed));
    zs.avail_in = static_cast<uInt>(in_chunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out_chunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    consumed += in_chunk - zs.avail_in;
    produced += out_chunk - zs.avail_out;
    if (rc == Z_STREAM_END) {
      const std::string_view rest = bytes.substr(consumed);
      if (rest.empty()) break;
      if (!LooksLikeGzip(rest)) {
        return absl::InvalidArgumentError(
            absl::StrCat("unexpected data after the gzip stream at byte ", consumed));
      }
      if (inflateReset(&zs) != Z_OK) return absl::InternalError("inflateReset failed");
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) continue;  // only needs more room
    if (rc == Z_BUF_ERROR) {                               // no input left and no end of stream
      return absl::InvalidArgumentError("the gzip data is truncated");
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "the gzip data is corrupt", zs.msg != nullptr ? absl::StrCat(": ", zs.msg) : ""));
  }
  if (produced > max_inflated_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the gzip data inflates to more than the limit of ", max_inflated_bytes, " bytes"));
  }
  out.resize(produced);
  return out;
}

}  // namespace aiaas::training
