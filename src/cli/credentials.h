#ifndef AIAAS_CLI_CREDENTIALS_H_
#define AIAAS_CLI_CREDENTIALS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace aiaas::cli {

// The API keys `aiaas login` stored, one per server URL. The file is INI-like:
//
//   # aiaas credentials: written by 'aiaas login'; keep it private (mode 0600)
//   [http://127.0.0.1:8080]
//   api_key = aiaas_...
//
// Blank lines and lines starting with '#' or ';' are ignored; spaces around '=' and at line
// ends are ignored. A section header is a server URL in any spelling NormalizeServerUrl
// accepts and is stored normalized, so "[127.0.0.1:8080]" and "[http://127.0.0.1:8080/]"
// are the same server. `api_key` is the only setting.
//
// A value type: loading and saving are the free functions below. Error messages name the
// line number but never quote a line, since a line may hold a key.
class CredentialsFile {
 public:
  // InvalidArgument "line N: ..." for a line that is none of the above, a setting outside a
  // section, an unknown setting, a repeated section or setting, or an unusable key.
  [[nodiscard]] static absl::StatusOr<CredentialsFile> Parse(absl::string_view text);

  // The file text: a comment header, then one section per server in URL order.
  std::string Serialize() const;

  // The key stored for `server_url` (normalized, as in GlobalOptions), if any.
  std::optional<std::string> KeyFor(absl::string_view server_url) const;
  // Stores `key` for `server_url`, replacing any earlier one. `key` passed ValidateApiKey.
  void Set(absl::string_view server_url, absl::string_view key);
  // Removes the entry; false if there was none.
  bool Remove(absl::string_view server_url);

  bool empty() const { return keys_.empty(); }

 private:
  std::map<std::string, std::string, std::less<>> keys_;  // normalized URL -> key
};

// Where the credentials file lives: "$XDG_CONFIG_HOME/aiaas/credentials" when that variable
// is an absolute path, else "$HOME/.config/aiaas/credentials"; "" when neither is usable.
// main() passes the environment in; nothing else reads it.
std::string CredentialsPath(const std::optional<std::string>& xdg_config_home,
                            const std::optional<std::string>& home);

// Reads the file at `path`. A missing file is an empty CredentialsFile. InvalidArgument
// "<path>: line N: ..." for a malformed file, Unavailable for a read error.
[[nodiscard]] absl::StatusOr<CredentialsFile> LoadCredentialsFile(const std::string& path);

// Replaces the file at `path` atomically: creates missing parent directories with mode 0700
// (the directory that holds the file is set to 0700 even if it existed), writes a temporary
// file with mode 0600 beside it, fsyncs it, renames it over `path` and fsyncs the directory.
// Two logins at the same moment may lose one of the two updates, never corrupt the file.
// Unavailable naming the path when any step fails; no temporary file is left behind.
[[nodiscard]] absl::Status SaveCredentialsFile(const std::string& path,
                                               const CredentialsFile& file);

// OK if `key` can be sent in an "Authorization: Bearer" header: 1 to 4096 printable ASCII
// characters without spaces. The InvalidArgument message describes the problem and names
// `source` ("--api-key", "AIAAS_API_KEY", ...) but never quotes the key.
[[nodiscard]] absl::Status ValidateApiKey(absl::string_view key, absl::string_view source);

// Where the key for a command may come from, the first one set winning.
struct ApiKeySources {
  std::optional<std::string> flag;  // --api-key
  std::optional<std::string> env;   // $AIAAS_API_KEY; an empty value counts as unset
  std::string credentials_path;     // CredentialsPath(); "" = no file
};

struct ResolvedApiKey {
  std::string key;
  std::string source;   // "--api-key", "AIAAS_API_KEY" or the credentials file's path
  std::string warning;  // non-empty when the file is readable by group or others
};

// The key to send to `server_url` (normalized), or nullopt when no source has one. Leading
// and trailing whitespace of the flag and the variable is dropped. Errors: InvalidArgument
// for an unusable key (see ValidateApiKey) or a malformed credentials file; Unavailable when
// the file cannot be read. The file is read only if neither the flag nor the variable is set.
[[nodiscard]] absl::StatusOr<std::optional<ResolvedApiKey>> ResolveApiKey(
    const ApiKeySources& sources, absl::string_view server_url);

// `text` with every occurrence of each key in `keys` replaced by "[redacted]", for messages
// that might echo one back. Keys shorter than 8 characters are left alone: replacing them
// would garble ordinary words and they are not secrets worth the name anyway.
std::string RedactApiKeys(absl::string_view text, const std::vector<std::string>& keys);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_CREDENTIALS_H_
