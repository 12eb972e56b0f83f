#include "services/api_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace aiaas::services {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// Random bytes at or above this value are discarded so that `byte % 62` is
// uniform (248 = 4 * 62).
constexpr unsigned kBase62Cutoff = 248;

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

absl::Status RandomBytes(unsigned char* out, size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) {
    return absl::InternalError("openssl: the random number generator failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> RandomBase62(size_t length) {
  std::string out;
  out.reserve(length);
  std::array<unsigned char, 64> buffer;
  while (out.size() < length) {
    absl::Status status = RandomBytes(buffer.data(), buffer.size());
    if (!status.ok()) return status;
    for (unsigned char byte : buffer) {
      if (byte >= kBase62Cutoff) continue;
      out.push_back(kBase62[byte % kBase62.size()]);
      if (out.size() == length) break;
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<GeneratedApiKey> GenerateApiKey() {
  std::array<unsigned char, kApiKeyIdLength / 2> id_bytes;
  absl::Status status = RandomBytes(id_bytes.data(), id_bytes.size());
  if (!status.ok()) return status;
  absl::StatusOr<std::string> secret = RandomBase62(kApiKeySecretLength);
  if (!secret.ok()) return secret.status();

  GeneratedApiKey generated;
  generated.id = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(id_bytes.data()), id_bytes.size()));
  generated.key = absl::StrCat(std::string(kApiKeyPrefix), generated.id, "_", *secret);
  generated.secret_hash = HashApiKey(generated.key);
  return generated;
}

std::optional<std::string> ParseApiKeyId(std::string_view presented) {
  if (presented.size() != kApiKeyLength) return std::nullopt;
  if (presented.substr(0, kApiKeyPrefix.size()) != kApiKeyPrefix) return std::nullopt;
  const std::string_view id = presented.substr(kApiKeyPrefix.size(), kApiKeyIdLength);
  if (!IsValidApiKeyId(id)) return std::nullopt;
  const size_t separator = kApiKeyPrefix.size() + kApiKeyIdLength;
  if (presented[separator] != '_') return std::nullopt;
  for (char c : presented.substr(separator + 1)) {
    if (!IsBase62(c)) return std::nullopt;
  }
  return std::string(id);
}

bool IsValidApiKeyId(std::string_view id) {
  if (id.size() != kApiKeyIdLength) return false;
  for (char c : id) {
    if (!IsLowerHex(c)) return false;
  }
  return true;
}

std::string ApiKeyPrefix(std::string_view id) {
  return absl::StrCat(std::string(kApiKeyPrefix), std::string(id));
}

std::string HashApiKey(std::string_view key) {
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // EVP_Digest with SHA-256 fails only when OpenSSL cannot allocate; there
  // is no safe way to go on authenticating then.
  if (EVP_Digest(key.data(), key.size(), hash, &size, EVP_sha256(), nullptr) != 1) {
    LogError("openssl: SHA-256 failed; aborting");
    std::abort();
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash), static_cast<size_t>(size)));
}

bool ApiKeyHashesEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace aiaas::services
