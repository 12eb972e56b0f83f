#include "cli/input_text.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <memory>

#include "absl/strings/str_cat.h"

namespace aiaas::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const {
    std::fclose(file);  // NOLINT(cppcoreguidelines-owning-memory): the unique_ptr's deleter
  }
};

absl::Status ReadError(const std::string& path, int error) {
  std::string message = absl::StrCat("cannot read ", path, ": ", std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::StatusOr<std::string> ReadInputText(absl::string_view value, std::istream& stdin_stream) {
  if (value == "-") {
    return std::string(std::istreambuf_iterator<char>(stdin_stream),
                       std::istreambuf_iterator<char>());
  }
  if (value.empty() || value[0] != '@') return std::string(value);
  // C stdio rather than ifstream: libstdc++'s filebuf throws when reading a directory, and
  // pipes such as @<(command) must work too, so no "regular file" pre-check.
  const std::string path(value.substr(1));
  std::unique_ptr<std::FILE, FileCloser> file(
      std::fopen(path.c_str(), "rb"));  // NOLINT(cppcoreguidelines-owning-memory): owned at once
  if (file == nullptr) return ReadError(path, errno);
  std::string text;
  char buffer[65536];
  size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) text.append(buffer, got);
  if (std::ferror(file.get()) != 0) return ReadError(path, errno);
  return text;
}

}  // namespace aiaas::cli
