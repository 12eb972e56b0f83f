// Test helpers: gzip compression with zlib (the library only inflates).
#ifndef AIAAS_TRAINING_DATA_GZIP_TEST_UTIL_H_
#define AIAAS_TRAINING_DATA_GZIP_TEST_UTIL_H_

#include <zlib.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace aiaas::training {

// Compresses `chunk` repeated `repeat` times into one gzip member.
inline std::string GzipCompressRepeated(std::string_view chunk, size_t repeat) {
  z_stream zs{};
  deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out;
  char buffer[1 << 16];
  for (size_t i = 0; i <= repeat; ++i) {
    const bool last = i == repeat;
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
    zs.avail_in = last ? 0 : static_cast<uInt>(chunk.size());
    do {
      zs.next_out = reinterpret_cast<Bytef*>(buffer);
      zs.avail_out = sizeof(buffer);
      deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
      out.append(buffer, sizeof(buffer) - zs.avail_out);
    } while (zs.avail_out == 0);
  }
  deflateEnd(&zs);
  return out;
}

inline std::string GzipCompress(std::string_view text) { return GzipCompressRepeated(text, 1); }

inline std::string GzipCompressZeros(size_t bytes) {
  const std::string megabyte(size_t{1} << 20, '\0');
  return GzipCompressRepeated(megabyte, bytes >> 20);
}

}  // namespace aiaas::training

#endif  // AIAAS_TRAINING_DATA_GZIP_TEST_UTIL_H_
