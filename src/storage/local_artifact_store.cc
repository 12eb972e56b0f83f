#include "storage/local_artifact_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace aiaas::storage {

// Committed blobs whose writer is still alive, by digest, with how many such
// writers there are. Commits and RemoveUnreferenced run under `mu`.
struct BlobHolds {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, int> count ABSL_GUARDED_BY(mu);
};

namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kDigestPrefix = "sha256:";
constexpr size_t kHexDigestSize = 64;
constexpr size_t kWriteBufferSize = 1 << 20;  // appends are copied here, written in 1 MiB chunks
constexpr size_t kReadBufferSize = 1 << 16;   // Verify and Read stream blobs in 64 KiB reads
constexpr int kNewWriterAttempts = 3;

// An owned file descriptor, closed on destruction.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

absl::Status ErrnoError(absl::string_view op, const std::string& path, int error) {
  return absl::InternalError(absl::StrCat(
      "cannot ", op, " ", path, ": ", std::error_code(error, std::generic_category()).message()));
}

// ---- SHA-256 via OpenSSL EVP ----

struct EvpCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpCtx = std::unique_ptr<EVP_MD_CTX, EvpCtxDeleter>;

absl::StatusOr<EvpCtx> NewSha256() {
  EvpCtx ctx(EVP_MD_CTX_new());
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return absl::InternalError("openssl: cannot initialise SHA-256");
  }
  return ctx;
}

absl::Status HashUpdate(EVP_MD_CTX* ctx, const char* data, size_t size) {
  if (EVP_DigestUpdate(ctx, data, size) != 1) return absl::InternalError("openssl: SHA-256 failed");
  return absl::OkStatus();
}

// Lowercase hex of the final hash.
absl::StatusOr<std::string> HashFinalHex(EVP_MD_CTX* ctx) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx, hash, &size) != 1) {
    return absl::InternalError("openssl: SHA-256 failed");
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash), static_cast<size_t>(size)));
}

// ---- Digests and paths ----

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// The hex part of a well-formed "sha256:<64 lowercase hex>" digest. This is
// the only gate between caller input and a file path.
absl::StatusOr<absl::string_view> DigestHex(const std::string& digest) {
  absl::string_view hex(digest);
  bool valid = hex.substr(0, kDigestPrefix.size()) == kDigestPrefix;
  if (valid) {
    hex.remove_prefix(kDigestPrefix.size());
    valid = hex.size() == kHexDigestSize;
    for (char c : hex) valid = valid && IsLowerHex(c);
  }
  if (!valid) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed digest \"", absl::CHexEscape(digest.substr(0, 100)),
                     "\": expected sha256: followed by 64 lowercase hex digits"));
  }
  return hex;
}

std::string BlobDir(const std::string& blobs_dir, absl::string_view hex) {
  return absl::StrCat(blobs_dir, "/", hex.substr(0, 2));
}

std::string BlobPath(const std::string& blobs_dir, absl::string_view hex) {
  return absl::StrCat(BlobDir(blobs_dir, hex), "/", hex.substr(2));
}

// ---- POSIX helpers ----

// Makes the entries of a folder (created, renamed files) durable.
absl::Status FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open folder", dir, errno);
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync folder", dir, errno);
  return absl::OkStatus();
}

absl::Status WriteAll(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

// Removes a temp file unless a live writer holds its lock (see the class comment).
void RemoveIfOrphan(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd.valid()) return;  // gone already, or not a regular file we can open
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return;  // a writer is alive
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    LogWarning(
        "cannot remove orphan upload",
        {{"path", path}, {"error", std::error_code(errno, std::generic_category()).message()}});
    return;
  }
  LogInfo("removed orphan upload left by an earlier run", {{"path", path}});
}

// Streams the blob at `path` through `consume` in kReadBufferSize chunks.
// NotFound (naming `digest`) if it is absent.
absl::Status ReadChunks(const std::string& digest, const std::string& path,
                        const std::function<absl::Status(const char*, size_t)>& consume) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("artifact ", digest, " not found"));
    }
    return ErrnoError("open", path, errno);
  }
  std::vector<char> buffer(kReadBufferSize);
  while (true) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", path, errno);
    }
    if (n == 0) return absl::OkStatus();
    AIAAS_RETURN_IF_ERROR(consume(buffer.data(), static_cast<size_t>(n)));
  }
}

// ---- Writer ----

class LocalBlobWriter final : public BlobWriter {
 public:
  LocalBlobWriter(std::string blobs_dir, std::shared_ptr<BlobHolds> holds, std::string temp_path,
                  UniqueFd fd, EvpCtx sha256, int64_t max_size_bytes)
      : blobs_dir_(std::move(blobs_dir)),
        holds_(std::move(holds)),
        temp_path_(std::move(temp_path)),
        fd_(std::move(fd)),
        sha256_(std::move(sha256)),
        max_size_bytes_(max_size_bytes),
        buffer_(kWriteBufferSize) {}

  LocalBlobWriter(const LocalBlobWriter&) = delete;
  LocalBlobWriter& operator=(const LocalBlobWriter&) = delete;
  ~LocalBlobWriter() override {
    Discard();
    if (!held_.empty()) {
      absl::MutexLock lock(&holds_->mu);
      auto it = holds_->count.find(held_);
      if (it != holds_->count.end() && --it->second == 0) holds_->count.erase(it);
    }
  }

  absl::Status Append(std::string_view bytes) override {
    if (state_ != State::kOpen) return NotOpen();
    if (bytes.size() > static_cast<uint64_t>(max_size_bytes_ - size_bytes_)) {
      return Fail(absl::ResourceExhaustedError(
          absl::StrCat("artifact exceeds the size limit of ", max_size_bytes_, " bytes")));
    }
    if (absl::Status s = HashUpdate(sha256_.get(), bytes.data(), bytes.size()); !s.ok()) {
      return Fail(s);
    }
    if (buffered_ + bytes.size() > buffer_.size()) {
      if (absl::Status s = FlushBuffer(); !s.ok()) return Fail(s);
    }
    if (bytes.size() >= buffer_.size()) {  // large appends bypass the buffer
      if (absl::Status s = WriteAll(fd_.get(), bytes.data(), bytes.size(), temp_path_); !s.ok()) {
        return Fail(s);
      }
    } else {
      std::memcpy(buffer_.data() + buffered_, bytes.data(), bytes.size());
      buffered_ += bytes.size();
    }
    size_bytes_ += static_cast<int64_t>(bytes.size());
    return absl::OkStatus();
  }

  int64_t size_bytes() const override { return size_bytes_; }

  absl::StatusOr<BlobInfo> Commit() override {
    if (state_ != State::kOpen) return NotOpen();
    absl::StatusOr<BlobInfo> info = CommitOrError();
    if (!info.ok()) return Fail(info.status());
    state_ = State::kCommitted;
    return info;
  }

 private:
  enum class State { kOpen, kCommitted, kFailed };

  absl::StatusOr<BlobInfo> CommitOrError() {
    AIAAS_RETURN_IF_ERROR(FlushBuffer());
    if (::fsync(fd_.get()) != 0) return ErrnoError("fsync", temp_path_, errno);
    AIAAS_ASSIGN_OR_RETURN(std::string hex, HashFinalHex(sha256_.get()));
    BlobInfo info{absl::StrCat(kDigestPrefix, hex), size_bytes_};

    const std::string dir = BlobDir(blobs_dir_, hex);
    if (::mkdir(dir.c_str(), 0755) == 0) {
      AIAAS_RETURN_IF_ERROR(FsyncDir(blobs_dir_));  // the new folder's entry
    } else if (errno != EEXIST) {
      return ErrnoError("create folder", dir, errno);
    }
    const std::string path = BlobPath(blobs_dir_, hex);
    // Rename and hold in one step with respect to RemoveUnreferenced.
    absl::MutexLock lock(&holds_->mu);
    struct stat existing;
    if (::lstat(path.c_str(), &existing) == 0) {
      Discard();  // same content is already stored
      Hold(info.digest);
      return info;
    }
    // The temp file stays open (and locked) until renamed, so Open() in
    // another process cannot take it for an orphan.
    if (::rename(temp_path_.c_str(), path.c_str()) != 0) {
      return ErrnoError(absl::StrCat("rename ", temp_path_, " to"), path, errno);
    }
    temp_path_.clear();
    fd_.Reset();
    Hold(info.digest);
    AIAAS_RETURN_IF_ERROR(FsyncDir(dir));
    return info;
  }

  void Hold(const std::string& digest) ABSL_EXCLUSIVE_LOCKS_REQUIRED(holds_->mu) {
    ++holds_->count[digest];
    held_ = digest;
  }

  absl::Status FlushBuffer() {
    AIAAS_RETURN_IF_ERROR(WriteAll(fd_.get(), buffer_.data(), buffered_, temp_path_));
    buffered_ = 0;
    return absl::OkStatus();
  }

  // Removes the temp file (if still ours) and closes it. Idempotent.
  void Discard() {
    if (!temp_path_.empty()) {
      ::unlink(temp_path_.c_str());  // before close: the lock guards it until gone
      temp_path_.clear();
    }
    fd_.Reset();
  }

  absl::Status Fail(absl::Status status) {
    Discard();
    state_ = State::kFailed;
    return status;
  }

  absl::Status NotOpen() const {
    return absl::FailedPreconditionError(state_ == State::kCommitted
                                             ? "blob writer was already committed"
                                             : "blob writer failed earlier and is unusable");
  }

  const std::string blobs_dir_;
  const std::shared_ptr<BlobHolds> holds_;
  std::string held_;       // the committed digest this writer holds, if any
  std::string temp_path_;  // empty once removed or renamed
  UniqueFd fd_;
  EvpCtx sha256_;
  const int64_t max_size_bytes_;
  std::vector<char> buffer_;
  size_t buffered_ = 0;
  int64_t size_bytes_ = 0;
  State state_ = State::kOpen;
};

}  // namespace

// ---- Store ----

absl::StatusOr<std::unique_ptr<LocalArtifactStore>> LocalArtifactStore::Open(
    const std::string& root) {
  std::unique_ptr<LocalArtifactStore> store(new LocalArtifactStore(root));
  for (const std::string* dir : {&store->blobs_dir_, &store->tmp_dir_}) {
    std::error_code ec;
    fs::create_directories(*dir, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot create artifact folder ", *dir, ": ", ec.message()));
    }
  }
  // Collect first, then remove: the listing is not disturbed by the removals.
  std::vector<std::string> temp_files;
  std::error_code ec;
  for (fs::directory_iterator it(store->tmp_dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) temp_files.push_back(it->path().string());
  }
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot list artifact temp folder ", store->tmp_dir_, ": ", ec.message()));
  }
  for (const std::string& path : temp_files) RemoveIfOrphan(path);
  return store;
}

LocalArtifactStore::LocalArtifactStore(const std::string& root)
    : blobs_dir_(absl::StrCat(root, "/blobs/sha256")),
      tmp_dir_(absl::StrCat(root, "/blobs/tmp")),
      holds_(std::make_shared<BlobHolds>()) {}

absl::StatusOr<std::unique_ptr<BlobWriter>> LocalArtifactStore::NewWriter(int64_t max_size_bytes) {
  if (max_size_bytes < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_size_bytes must not be negative, got ", max_size_bytes));
  }
  AIAAS_ASSIGN_OR_RETURN(EvpCtx sha256, NewSha256());
  for (int attempt = 0; attempt < kNewWriterAttempts; ++attempt) {
    std::string path = absl::StrCat(tmp_dir_, "/upload-XXXXXX");
    UniqueFd fd(::mkostemp(path.data(), O_CLOEXEC));
    if (!fd.valid()) return ErrnoError("create temp file in", tmp_dir_, errno);
    // Lock, then check the name still leads to our file: Open() in another
    // process may have taken it for an orphan between mkostemp and flock.
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) continue;
    struct stat by_fd;
    struct stat by_name;
    if (::fstat(fd.get(), &by_fd) != 0 || ::stat(path.c_str(), &by_name) != 0 ||
        by_fd.st_dev != by_name.st_dev || by_fd.st_ino != by_name.st_ino) {
      continue;
    }
    return std::make_unique<LocalBlobWriter>(blobs_dir_, holds_, std::move(path), std::move(fd),
                                             std::move(sha256), max_size_bytes);
  }
  return absl::InternalError(absl::StrCat("cannot create a temp file in ", tmp_dir_,
                                          ": it was removed concurrently ", kNewWriterAttempts,
                                          " times"));
}

absl::StatusOr<std::string> LocalArtifactStore::PathFor(const std::string& digest) {
  AIAAS_ASSIGN_OR_RETURN(absl::string_view hex, DigestHex(digest));
  std::string path = BlobPath(blobs_dir_, hex);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("artifact ", digest, " not found"));
    }
    return ErrnoError("stat", path, errno);
  }
  return path;
}

absl::Status LocalArtifactStore::Verify(const std::string& digest) {
  AIAAS_ASSIGN_OR_RETURN(absl::string_view hex, DigestHex(digest));
  AIAAS_ASSIGN_OR_RETURN(EvpCtx sha256, NewSha256());
  AIAAS_RETURN_IF_ERROR(ReadChunks(
      digest, BlobPath(blobs_dir_, hex),
      [&](const char* data, size_t size) { return HashUpdate(sha256.get(), data, size); }));
  AIAAS_ASSIGN_OR_RETURN(std::string actual, HashFinalHex(sha256.get()));
  if (actual != hex) {
    return absl::DataLossError(absl::StrCat(
        "artifact ", digest, " is corrupted: its content hashes to ", kDigestPrefix, actual));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LocalArtifactStore::Read(const std::string& digest) {
  AIAAS_ASSIGN_OR_RETURN(absl::string_view hex, DigestHex(digest));
  std::string bytes;
  AIAAS_RETURN_IF_ERROR(
      ReadChunks(digest, BlobPath(blobs_dir_, hex), [&](const char* data, size_t size) {
        bytes.append(data, size);
        return absl::OkStatus();
      }));
  return bytes;
}

absl::StatusOr<std::vector<StoredBlob>> LocalArtifactStore::ListBlobs() {
  std::vector<StoredBlob> blobs;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(blobs_dir_, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it.depth() != 1) continue;  // <2 hex>/<62 hex>
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    const std::string digest =
        absl::StrCat(kDigestPrefix, it->path().parent_path().filename().string(),
                     it->path().filename().string());
    if (!DigestHex(digest).ok()) continue;
    struct stat st;
    if (::stat(it->path().c_str(), &st) != 0) continue;  // removed meanwhile
    blobs.push_back(
        StoredBlob{digest, static_cast<int64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000});
  }
  if (ec) {
    return absl::InternalError(
        absl::StrCat("cannot list artifact folder ", blobs_dir_, ": ", ec.message()));
  }
  return blobs;
}

absl::StatusOr<bool> LocalArtifactStore::RemoveUnreferenced(
    const std::string& digest, const std::function<absl::StatusOr<int64_t>()>& count_references) {
  AIAAS_RETURN_IF_ERROR(DigestHex(digest).status());
  absl::MutexLock lock(&holds_->mu);
  if (holds_->count.contains(digest)) return false;
  AIAAS_ASSIGN_OR_RETURN(int64_t references, count_references());
  if (references > 0) return false;
  AIAAS_RETURN_IF_ERROR(Remove(digest));
  return true;
}

absl::Status LocalArtifactStore::Remove(const std::string& digest) {
  AIAAS_ASSIGN_OR_RETURN(absl::string_view hex, DigestHex(digest));
  const std::string path = BlobPath(blobs_dir_, hex);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR) {
    return ErrnoError("remove", path, errno);
  }
  return absl::OkStatus();
}

}  // namespace aiaas::storage
