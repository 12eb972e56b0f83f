#ifndef AIAAS_SERVICES_API_KEY_H_
#define AIAAS_SERVICES_API_KEY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace aiaas::services {

// API key material: generation, the strict key format, and hashing.
//
// A key reads `aiaas_<id>_<secret>`:
//   - `id`: 16 lowercase hex characters (64 random bits), the public lookup
//     part; stored as storage::ApiKeyRecord::id and shown in listings and
//     audit logs as the prefix `aiaas_<id>` (see ApiKeyPrefix()).
//   - `secret`: 32 base62 characters (~190 random bits).
// Only the lowercase hex SHA-256 of the whole key string is stored.
//
// Every function here is pure or uses only OpenSSL's thread-safe RNG, so all
// may be called concurrently from any thread.

// Length of a well-formed key: "aiaas_" + 16 + "_" + 32.
inline constexpr size_t kApiKeyLength = 55;
inline constexpr size_t kApiKeyIdLength = 16;
inline constexpr size_t kApiKeySecretLength = 32;
inline constexpr std::string_view kApiKeyPrefix = "aiaas_";

struct GeneratedApiKey {
  std::string key;          // the full key; shown to its owner exactly once
  std::string id;           // the public part inside `key`
  std::string secret_hash;  // HashApiKey(key)
};

// A fresh key from OpenSSL's CSPRNG (RAND_bytes). Internal when the RNG
// fails (never returns a weak key).
[[nodiscard]] absl::StatusOr<GeneratedApiKey> GenerateApiKey();

// The id inside `presented` when it has exactly the key format above;
// nullopt for anything else (any length, any bytes including NUL). Checks
// the format only, not that the key exists.
std::optional<std::string> ParseApiKeyId(std::string_view presented);

// True when `id` is 16 lowercase hex characters (e.g. an id from a URL path).
bool IsValidApiKeyId(std::string_view id);

// `aiaas_<id>`: how a key is shown in listings and logs without its secret.
std::string ApiKeyPrefix(std::string_view id);

// Lowercase hex SHA-256 of `key` (64 characters).
std::string HashApiKey(std::string_view key);

// Compares two hashes in constant time for equal lengths (CRYPTO_memcmp);
// hashes of different lengths are unequal (their length is not secret).
bool ApiKeyHashesEqual(std::string_view a, std::string_view b);

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_API_KEY_H_
