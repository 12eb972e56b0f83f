#include "cli/credentials.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "cli/url.h"

namespace aiaas::cli {
namespace {

constexpr size_t kMaxKeyChars = 4096;
constexpr size_t kMinRedactedKeyChars = 8;
constexpr char kKeySetting[] = "api_key";
constexpr char kFileHeader[] =
    "# aiaas credentials: written by 'aiaas login', one [server URL] section per server.\n"
    "# Keep this file private (mode 0600): anyone who reads a key can act as its owner.\n";

absl::Status LineError(size_t line_number, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", problem));
}

std::string ErrnoText() { return std::strerror(errno); }

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now and reports whether close succeeded (it can report a delayed write error).
  bool Close() {
    const int fd = fd_;
    fd_ = -1;
    return close(fd) == 0;
  }

 private:
  int fd_;
};

// Creates `dir` and its missing parents; the ones created get mode 0700.
absl::Status MakePrivateDirs(const std::string& dir) {
  struct stat info {};
  if (stat(dir.c_str(), &info) == 0) {
    if (!S_ISDIR(info.st_mode)) {
      return absl::UnavailableError(absl::StrCat("cannot use ", dir, ": not a directory"));
    }
    return absl::OkStatus();
  }
  const size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    if (absl::Status parent = MakePrivateDirs(dir.substr(0, slash)); !parent.ok()) return parent;
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create ", dir, ": ", ErrnoText()));
  }
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t written = write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return absl::UnavailableError(ErrnoText());
    data.remove_prefix(static_cast<size_t>(written));
  }
  return absl::OkStatus();
}

// Writes `text` to a new 0600 file in `dir` and renames it over `path`.
absl::Status ReplaceFile(const std::string& dir, const std::string& path, absl::string_view text) {
  std::string temp = absl::StrCat(path, ".tmp.XXXXXX");
  FileDescriptor fd(mkstemp(temp.data()));  // mkstemp creates the file with mode 0600
  if (fd.get() < 0) {
    return absl::UnavailableError(absl::StrCat("cannot create a file in ", dir, ": ", ErrnoText()));
  }
  absl::Status status;
  if (fchmod(fd.get(), 0600) != 0) {
    status = absl::UnavailableError(absl::StrCat("cannot chmod ", temp, ": ", ErrnoText()));
  } else if (absl::Status written = WriteAll(fd.get(), text); !written.ok()) {
    status = absl::UnavailableError(absl::StrCat("cannot write ", temp, ": ", written.message()));
  } else if (fsync(fd.get()) != 0 || !fd.Close()) {
    status = absl::UnavailableError(absl::StrCat("cannot write ", temp, ": ", ErrnoText()));
  } else if (rename(temp.c_str(), path.c_str()) != 0) {
    status = absl::UnavailableError(absl::StrCat("cannot replace ", path, ": ", ErrnoText()));
  }
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  // The rename is durable only once the directory entry is.
  FileDescriptor dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) fsync(dir_fd.get());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CredentialsFile> CredentialsFile::Parse(absl::string_view text) {
  CredentialsFile file;
  std::optional<std::string> section;
  bool section_has_key = false;
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return LineError(line_number, "a section header ends in ']'");
      absl::StatusOr<std::string> url = NormalizeServerUrl(line.substr(1, line.size() - 2));
      if (!url.ok()) return LineError(line_number, url.status().message());
      if (file.keys_.count(*url) > 0) {
        return LineError(line_number, absl::StrCat("a second section for ", *url));
      }
      section = *std::move(url);
      section_has_key = false;
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) {
      return LineError(line_number, "expected '[server URL]' or 'api_key = KEY'");
    }
    const absl::string_view name = absl::StripTrailingAsciiWhitespace(line.substr(0, eq));
    const absl::string_view value = absl::StripLeadingAsciiWhitespace(line.substr(eq + 1));
    if (name != kKeySetting) {
      // The name is quoted only if it is short and plain, so a key pasted here stays hidden.
      const bool plain = name.size() <= 32 && !absl::StrContains(name, "aiaas");
      return LineError(line_number,
                       absl::StrCat("unknown setting", plain ? absl::StrCat(" '", name, "'") : "",
                                    "; only api_key is known"));
    }
    if (!section.has_value()) {
      return LineError(line_number, "api_key before any [server URL] section");
    }
    if (section_has_key) return LineError(line_number, "a second api_key in one section");
    if (absl::Status valid = ValidateApiKey(value, "api_key"); !valid.ok()) {
      return LineError(line_number, valid.message());
    }
    file.keys_[*section] = std::string(value);
    section_has_key = true;
  }
  return file;
}

std::string CredentialsFile::Serialize() const {
  std::string text = kFileHeader;
  for (const auto& [url, key] : keys_) {
    absl::StrAppend(&text, "\n[", url, "]\n", kKeySetting, " = ", key, "\n");
  }
  return text;
}

std::optional<std::string> CredentialsFile::KeyFor(absl::string_view server_url) const {
  auto it = keys_.find(server_url);
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

void CredentialsFile::Set(absl::string_view server_url, absl::string_view key) {
  keys_[std::string(server_url)] = std::string(key);
}

bool CredentialsFile::Remove(absl::string_view server_url) {
  auto it = keys_.find(server_url);
  if (it == keys_.end()) return false;
  keys_.erase(it);
  return true;
}

std::string CredentialsPath(const std::optional<std::string>& xdg_config_home,
                            const std::optional<std::string>& home) {
  // The XDG base directory spec says a relative XDG_CONFIG_HOME is invalid and ignored.
  if (xdg_config_home.has_value() && absl::StartsWith(*xdg_config_home, "/")) {
    return absl::StrCat(*xdg_config_home, "/aiaas/credentials");
  }
  if (home.has_value() && !home->empty()) return absl::StrCat(*home, "/.config/aiaas/credentials");
  return "";
}

absl::StatusOr<CredentialsFile> LoadCredentialsFile(const std::string& path) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return CredentialsFile();
    return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", ErrnoText()));
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t got = read(fd.get(), buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      return absl::UnavailableError(absl::StrCat("cannot read ", path, ": ", ErrnoText()));
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
  }
  absl::StatusOr<CredentialsFile> file = CredentialsFile::Parse(text);
  if (!file.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", file.status().message()));
  }
  return file;
}

absl::Status SaveCredentialsFile(const std::string& path, const CredentialsFile& file) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (absl::Status made = MakePrivateDirs(dir); !made.ok()) return made;
  // The directory is ours: keep others from even listing it, however it was created.
  if (dir != "." && chmod(dir.c_str(), 0700) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot chmod ", dir, ": ", ErrnoText()));
  }
  return ReplaceFile(dir, path, file.Serialize());
}

absl::Status ValidateApiKey(absl::string_view key, absl::string_view source) {
  if (key.empty())
    return absl::InvalidArgumentError(absl::StrCat("the key in ", source, " is empty"));
  if (key.size() > kMaxKeyChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("the key in ", source, " is longer than ", kMaxKeyChars, " characters"));
  }
  for (char c : key) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          absl::StrCat("the key in ", source,
                       " contains spaces or control or non-ASCII characters; an API key is one "
                       "word of printable ASCII"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ResolvedApiKey>> ResolveApiKey(const ApiKeySources& sources,
                                                            absl::string_view server_url) {
  for (const auto& [value, source] :
       {std::pair{&sources.flag, "--api-key"}, std::pair{&sources.env, "AIAAS_API_KEY"}}) {
    if (!value->has_value()) continue;
    const absl::string_view key = absl::StripAsciiWhitespace(**value);
    if (key.empty() && value == &sources.env) continue;  // `AIAAS_API_KEY= aiaas ...`
    if (absl::Status valid = ValidateApiKey(key, source); !valid.ok()) return valid;
    return ResolvedApiKey{std::string(key), source, ""};
  }
  if (sources.credentials_path.empty()) return std::nullopt;
  absl::StatusOr<CredentialsFile> file = LoadCredentialsFile(sources.credentials_path);
  if (!file.ok()) return file.status();
  std::optional<std::string> key = file->KeyFor(server_url);
  if (!key.has_value()) return std::nullopt;
  ResolvedApiKey resolved{*std::move(key), sources.credentials_path, ""};
  struct stat info {};
  if (stat(sources.credentials_path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
    resolved.warning =
        absl::StrCat(sources.credentials_path, " is readable by other users; run: chmod 600 ",
                     sources.credentials_path);
  }
  return resolved;
}

std::string RedactApiKeys(absl::string_view text, const std::vector<std::string>& keys) {
  std::string result(text);
  for (const std::string& key : keys) {
    if (key.size() < kMinRedactedKeyChars) continue;
    absl::StrReplaceAll({{key, "[redacted]"}}, &result);
  }
  return result;
}

}  // namespace aiaas::cli
