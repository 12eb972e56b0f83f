#include "cli/json_util.h"

#include "absl/strings/str_cat.h"

namespace aiaas::cli {

using nlohmann::json;

absl::StatusOr<json> ParseJson(absl::string_view text, absl::string_view what) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid JSON: ", e.what()));
  }
}

const json* Field(const json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string StringField(const json& object, absl::string_view key, absl::string_view fallback) {
  const json* value = Field(object, key);
  if (value == nullptr || !value->is_string()) return std::string(fallback);
  return value->get_ref<const std::string&>();
}

std::optional<int64_t> IntField(const json& object, absl::string_view key) {
  const json* value = Field(object, key);
  if (value == nullptr || !value->is_number_integer()) return std::nullopt;
  return value->get<int64_t>();
}

std::string ScalarText(const json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get_ref<const std::string&>();
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string FieldText(const json& object, absl::string_view key) {
  const json* value = Field(object, key);
  return value == nullptr ? "-" : ScalarText(*value);
}

std::string PrettyJson(const json& value) {
  return value.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace aiaas::cli
