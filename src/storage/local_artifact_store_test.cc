#include "storage/local_artifact_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/test_temp_dir.h"

namespace aiaas::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kHelloDigest[] =
    "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
constexpr char kEmptyDigest[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// Regular files under `dir`, recursively.
std::vector<std::string> FilesUnder(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path().string());
  }
  return files;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class LocalArtifactStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = LocalArtifactStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  std::string TmpDir() const { return dir_.path() + "/blobs/tmp"; }
  std::string BlobsDir() const { return dir_.path() + "/blobs/sha256"; }

  // Writes `content` in one append and commits it.
  BlobInfo Put(const std::string& content) {
    auto writer = store_->NewWriter(1 << 30);
    EXPECT_TRUE(writer.ok()) << writer.status();
    if (!writer.ok()) return {};
    EXPECT_TRUE((*writer)->Append(content).ok());
    auto info = (*writer)->Commit();
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? *info : BlobInfo{};
  }

  TestTempDir dir_;
  std::unique_ptr<LocalArtifactStore> store_;
};

TEST_F(LocalArtifactStoreTest, CommitStoresContentUnderItsSha256) {
  BlobInfo info = Put("hello");
  EXPECT_EQ(info.digest, kHelloDigest);
  EXPECT_EQ(info.size_bytes, 5);
  auto path = store_->PathFor(kHelloDigest);
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ(*path,
            BlobsDir() + "/2c/f24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(ReadFile(*path), "hello");
  EXPECT_TRUE(store_->Verify(kHelloDigest).ok());
  EXPECT_THAT(FilesUnder(TmpDir()), IsEmpty());
}

TEST_F(LocalArtifactStoreTest, EmptyBlob) {
  EXPECT_EQ(Put("").digest, kEmptyDigest);
  EXPECT_TRUE(store_->Verify(kEmptyDigest).ok());
}

TEST_F(LocalArtifactStoreTest, ChunkingDoesNotChangeTheDigest) {
  std::mt19937 rng(42);
  std::string content(3 * (1 << 20) + 123, '\0');  // spans several write buffers
  for (char& c : content) c = static_cast<char>(rng());

  auto writer = store_->NewWriter(static_cast<int64_t>(content.size()));
  ASSERT_TRUE(writer.ok());
  size_t offset = 0;
  // Tiny, medium, and larger-than-buffer appends.
  for (size_t chunk : {1u, 7u, 4096u, (1u << 20) + 5u, 100u, (1u << 21)}) {
    chunk = std::min(chunk, content.size() - offset);
    ASSERT_TRUE((*writer)->Append(std::string_view(content).substr(offset, chunk)).ok());
    offset += chunk;
  }
  ASSERT_TRUE((*writer)->Append(std::string_view(content).substr(offset)).ok());
  EXPECT_EQ((*writer)->size_bytes(), static_cast<int64_t>(content.size()));
  auto chunked = (*writer)->Commit();
  ASSERT_TRUE(chunked.ok()) << chunked.status();

  ASSERT_TRUE(store_->Remove(chunked->digest).ok());
  BlobInfo whole = Put(content);
  EXPECT_EQ(whole.digest, chunked->digest);
  EXPECT_EQ(ReadFile(*store_->PathFor(whole.digest)), content);
  EXPECT_TRUE(store_->Verify(whole.digest).ok());
}

TEST_F(LocalArtifactStoreTest, SameContentTwiceIsOneBlob) {
  EXPECT_EQ(Put("hello").digest, kHelloDigest);
  EXPECT_EQ(Put("hello").digest, kHelloDigest);
  EXPECT_THAT(FilesUnder(BlobsDir()), SizeIs(1));
  EXPECT_THAT(FilesUnder(TmpDir()), IsEmpty());
}

TEST_F(LocalArtifactStoreTest, WriterDestroyedWithoutCommitLeavesNothing) {
  {
    auto writer = store_->NewWriter(100);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("hello").ok());
    EXPECT_THAT(FilesUnder(TmpDir()), SizeIs(1));
  }
  EXPECT_THAT(FilesUnder(TmpDir()), IsEmpty());
  EXPECT_THAT(FilesUnder(BlobsDir()), IsEmpty());
}

TEST_F(LocalArtifactStoreTest, SizeLimitIsEnforced) {
  auto exact = store_->NewWriter(5);
  ASSERT_TRUE(exact.ok());
  ASSERT_TRUE((*exact)->Append("hel").ok());
  ASSERT_TRUE((*exact)->Append("lo").ok());
  EXPECT_TRUE((*exact)->Commit().ok());

  auto writer = store_->NewWriter(10);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append("123456").ok());
  absl::Status status = (*writer)->Append("78901");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("10 bytes"));
  EXPECT_THAT(FilesUnder(TmpDir()), IsEmpty());  // removed at once, not at destruction
  EXPECT_EQ((*writer)->Append("x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Commit().status().code(), absl::StatusCode::kFailedPrecondition);
  writer->reset();
  EXPECT_THAT(FilesUnder(BlobsDir()), SizeIs(1));  // only "hello"
  EXPECT_EQ(store_->NewWriter(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalArtifactStoreTest, CommitTwiceIsFailedPrecondition) {
  auto writer = store_->NewWriter(100);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  EXPECT_EQ((*writer)->Commit().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Append("x").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LocalArtifactStoreTest, VerifyDetectsCorruption) {
  Put("hello");
  const std::string path = *store_->PathFor(kHelloDigest);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(2);
    file.put('L');  // "heLlo"
  }
  absl::Status status = store_->Verify(kHelloDigest);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(),
              HasSubstr(std::string("artifact ") + kHelloDigest + " is corrupted"));
}

TEST_F(LocalArtifactStoreTest, MalformedDigestsNeverBecomePaths) {
  const std::string hex(64, 'a');
  const std::vector<std::string> bad = {
      "sha256:../../etc/passwd",
      "sha256:" + hex.substr(1),
      "sha256:" + hex + "a",
      "sha256:" + std::string(64, 'A'),
      "sha256:" + hex.substr(1) + "g",
      "sha256:" + hex.substr(2) + "/x",
      "sha512:" + hex,
      "SHA256:" + hex,
      hex,
      "",
      std::string("sha256:") + std::string(63, 'a') + '\0',
  };
  for (const std::string& digest : bad) {
    EXPECT_EQ(store_->PathFor(digest).status().code(), absl::StatusCode::kInvalidArgument)
        << digest;
    EXPECT_EQ(store_->Verify(digest).code(), absl::StatusCode::kInvalidArgument) << digest;
    EXPECT_EQ(store_->Remove(digest).code(), absl::StatusCode::kInvalidArgument) << digest;
  }
}

TEST_F(LocalArtifactStoreTest, AbsentBlobs) {
  EXPECT_EQ(store_->PathFor(kHelloDigest).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Verify(kHelloDigest).code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->Remove(kHelloDigest).ok());

  Put("hello");
  EXPECT_TRUE(store_->Remove(kHelloDigest).ok());
  EXPECT_EQ(store_->PathFor(kHelloDigest).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(store_->Remove(kHelloDigest).ok());
}

TEST_F(LocalArtifactStoreTest, OpenRemovesOrphanTempFilesButNotLiveUploads) {
  auto live = store_->NewWriter(100);
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE((*live)->Append("hel").ok());
  for (const char* name : {"upload-crashed", "junk"}) {
    std::ofstream(TmpDir() + "/" + name) << "partial upload";
  }
  ASSERT_THAT(FilesUnder(TmpDir()), SizeIs(3));

  auto reopened = LocalArtifactStore::Open(dir_.path());  // e.g. a second replica starting
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_THAT(FilesUnder(TmpDir()), SizeIs(1));  // only the live writer's file

  ASSERT_TRUE((*live)->Append("lo").ok());
  auto info = (*live)->Commit();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->digest, kHelloDigest);
  EXPECT_TRUE((*reopened)->Verify(kHelloDigest).ok());
  EXPECT_THAT(FilesUnder(TmpDir()), IsEmpty());
}

TEST_F(LocalArtifactStoreTest, OpenFailsWhenRootIsAFile) {
  const std::string file = dir_.path() + "/not-a-folder";
  std::ofstream(file) << "x";
  EXPECT_EQ(LocalArtifactStore::Open(file).status().code(), absl::StatusCode::kInternal);
}

TEST_F(LocalArtifactStoreTest, ConcurrentWritersOfTheSameContent) {
  std::vector<std::thread> threads;
  std::vector<std::string> digests(8);
  for (size_t i = 0; i < digests.size(); ++i) {
    threads.emplace_back([this, &digests, i] {
      auto writer = store_->NewWriter(1 << 20);
      ASSERT_TRUE(writer.ok());
      for (int j = 0; j < 1000; ++j) ASSERT_TRUE((*writer)->Append("0123456789").ok());
      auto info = (*writer)->Commit();
      ASSERT_TRUE(info.ok()) << info.status();
      digests[i] = info->digest;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& digest : digests) EXPECT_EQ(digest, digests[0]);
  EXPECT_THAT(FilesUnder(BlobsDir()), SizeIs(1));
  EXPECT_THAT(FilesUnder(TmpDir()), IsEmpty());
  EXPECT_TRUE(store_->Verify(digests[0]).ok());
}

TEST_F(LocalArtifactStoreTest, ReadReturnsTheWholeBlob) {
  std::string content(200000, 'x');  // several read chunks
  content[123456] = 'y';
  BlobInfo info = Put(content);
  auto read = store_->Read(info.digest);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, content);
  EXPECT_EQ(store_->Read(kHelloDigest).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Read("sha256:../../etc/passwd").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The race this closes: push A commits blob D, push B of the same bytes finds D
// already stored, A fails and collects D before B's row exists.
TEST_F(LocalArtifactStoreTest, AWriterHoldsItsCommittedBlobUntilDestroyed) {
  const auto no_references = []() -> absl::StatusOr<int64_t> { return 0; };
  auto first = store_->NewWriter(100);
  auto second = store_->NewWriter(100);
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE((*first)->Append("hello").ok());
  ASSERT_TRUE((*second)->Append("hello").ok());
  ASSERT_TRUE((*first)->Commit().ok());
  ASSERT_TRUE((*second)->Commit().ok());  // same bytes: the stored blob is kept

  first->reset();  // A gave up
  auto removed = store_->RemoveUnreferenced(kHelloDigest, no_references);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_FALSE(*removed);  // B still holds it
  EXPECT_TRUE(store_->Verify(kHelloDigest).ok());

  second->reset();
  removed = store_->RemoveUnreferenced(kHelloDigest, no_references);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_TRUE(*removed);
  EXPECT_EQ(store_->PathFor(kHelloDigest).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(LocalArtifactStoreTest, RemoveUnreferencedKeepsReferencedBlobsAndPassesErrors) {
  Put("hello");  // writer gone: not held
  int calls = 0;
  auto referenced = store_->RemoveUnreferenced(kHelloDigest, [&]() -> absl::StatusOr<int64_t> {
    ++calls;
    return 2;
  });
  ASSERT_TRUE(referenced.ok());
  EXPECT_FALSE(*referenced);
  EXPECT_EQ(calls, 1);
  auto failed = store_->RemoveUnreferenced(kHelloDigest, []() -> absl::StatusOr<int64_t> {
    return absl::UnavailableError("database is locked");
  });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(store_->Verify(kHelloDigest).ok());
  EXPECT_EQ(store_
                ->RemoveUnreferenced("sha256:zz",
                                     [&]() -> absl::StatusOr<int64_t> {
                                       ++calls;
                                       return 0;
                                     })
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls, 1);
}

// Concurrent pushes of the same bytes where every other one fails: the
// survivors' blob is never removed under them.
TEST_F(LocalArtifactStoreTest, ConcurrentCommitsAndCollectionsNeverLoseAReferencedBlob) {
  std::atomic<int64_t> rows{0};
  std::atomic<bool> lost{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto writer = store_->NewWriter(100);
        ASSERT_TRUE(writer.ok());
        ASSERT_TRUE((*writer)->Append("hello").ok());
        ASSERT_TRUE((*writer)->Commit().ok());
        const bool keeps = (t + i) % 2 == 0;
        if (keeps) {
          rows.fetch_add(1);  // "the row exists"
          writer->reset();
          if (!store_->Verify(kHelloDigest).ok()) lost = true;
          rows.fetch_sub(1);  // "the row is deleted"
        } else {
          writer->reset();
        }
        ASSERT_TRUE(store_
                        ->RemoveUnreferenced(
                            kHelloDigest, [&]() -> absl::StatusOr<int64_t> { return rows.load(); })
                        .ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_FALSE(lost);
}

TEST_F(LocalArtifactStoreTest, ListBlobsShowsCommittedBlobsOnly) {
  Put("hello");
  Put("");
  auto live = store_->NewWriter(100);  // a temp file, not a blob
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE((*live)->Append("in progress").ok());
  std::ofstream(BlobsDir() + "/zz-not-a-blob") << "x";
  fs::create_directories(BlobsDir() + "/2c");
  std::ofstream(BlobsDir() + "/2c/short") << "x";
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();

  auto blobs = store_->ListBlobs();
  ASSERT_TRUE(blobs.ok()) << blobs.status();
  std::vector<std::string> digests;
  for (const StoredBlob& blob : *blobs) {
    digests.push_back(blob.digest);
    EXPECT_NEAR(static_cast<double>(blob.modified_ms), static_cast<double>(now_ms), 60000.0);
    EXPECT_EQ(blob.size_bytes, blob.digest == kHelloDigest ? 5 : 0);
  }
  std::sort(digests.begin(), digests.end());
  EXPECT_EQ(digests, (std::vector<std::string>{kHelloDigest, kEmptyDigest}));
}

}  // namespace
}  // namespace aiaas::storage
