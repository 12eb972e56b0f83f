#ifndef AIAAS_CLI_JSON_UTIL_H_
#define AIAAS_CLI_JSON_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace aiaas::cli {

// The one place the CLI lets nlohmann/json throw: parse errors become InvalidArgument
// "<what> is not valid JSON: <detail>". Everything else here is non-throwing, so a server
// answer of an unexpected shape prints blanks instead of crashing the CLI.
[[nodiscard]] absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text,
                                                       absl::string_view what);

// `object[key]` if `object` is an object that has `key`, else nullptr.
const nlohmann::json* Field(const nlohmann::json& object, absl::string_view key);

// The string at `key`, or `fallback` if missing or not a string.
std::string StringField(const nlohmann::json& object, absl::string_view key,
                        absl::string_view fallback = "");

// The integer at `key`, or nullopt if missing or not an integer.
std::optional<int64_t> IntField(const nlohmann::json& object, absl::string_view key);

// A short human rendering of a scalar: strings unquoted, null as "-", others as JSON.
std::string ScalarText(const nlohmann::json& value);

// ScalarText of `object[key]`, or "-" when the field is missing.
std::string FieldText(const nlohmann::json& object, absl::string_view key);

// Pretty-printed JSON (two-space indent) with a trailing newline; never throws.
std::string PrettyJson(const nlohmann::json& value);

}  // namespace aiaas::cli

#endif  // AIAAS_CLI_JSON_UTIL_H_
