#include "server/serving_config_json.h"

#include <cstdint>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "server/json_codec_util.h"

namespace aiaas::server {
namespace {

using json_util::Invalid;
using json_util::Json;
using json_util::ShortDump;
using json_util::TypeName;

constexpr char kPrefix[] = "serving config: ";

// Inclusive bounds of an integer field.
struct Limits {
  int64_t min;
  int64_t max;
};

constexpr Limits kMaxBatchSize{0, 4096};
constexpr Limits kMaxQueueDelayUs{0, 10'000'000};
constexpr Limits kInstanceCount{1, 64};
constexpr Limits kMaxQueueSize{1, 1'000'000};
constexpr Limits kDefaultTimeoutMs{1, 3'600'000};

constexpr char kMaxBatchSizeField[] = "max_batch_size";
constexpr char kMaxQueueDelayUsField[] = "max_queue_delay_us";
constexpr char kPreferredField[] = "preferred_batch_sizes";
constexpr char kInstanceCountField[] = "instance_count";
constexpr char kMaxQueueSizeField[] = "max_queue_size";
constexpr char kDefaultTimeoutMsField[] = "default_timeout_ms";
constexpr char kWarmupField[] = "warmup";
constexpr char kPinnedField[] = "pinned";

// In the order EncodeServingConfigJson writes them.
constexpr const char* kFields[] = {
    kMaxBatchSizeField, kMaxQueueDelayUsField,  kPreferredField, kInstanceCountField,
    kMaxQueueSizeField, kDefaultTimeoutMsField, kWarmupField,    kPinnedField,
};

// What a rejected value was, for messages: `5000`, `a string "8"`, `an array`.
std::string Got(const Json& value) {
  if (value.is_number_integer()) return ShortDump(value);
  if (value.is_array() || value.is_object() || value.is_null()) {
    return std::string(TypeName(value));
  }
  return absl::StrCat(json_util::StrCatArg(TypeName(value)), " ", ShortDump(value));
}

absl::Status OutOfRange(const char* field, Limits limits, const std::string& got) {
  return Invalid(kPrefix, "'", field, "' must be an integer in [", limits.min, ", ", limits.max,
                 "], got ", got);
}

// The value of `value` if it is a JSON integer within `limits`. Positive
// literals parse as unsigned, so those are compared before any conversion.
std::optional<int64_t> IntegerWithin(const Json& value, Limits limits) {
  if (value.is_number_unsigned()) {
    const uint64_t number = value.get<uint64_t>();
    if (limits.max < 0 || number > static_cast<uint64_t>(limits.max)) return std::nullopt;
    const auto signed_number = static_cast<int64_t>(number);
    if (signed_number < limits.min) return std::nullopt;
    return signed_number;
  }
  if (value.is_number_integer()) {
    const int64_t number = value.get<int64_t>();
    if (number < limits.min || number > limits.max) return std::nullopt;
    return number;
  }
  return std::nullopt;
}

// Sets `out` from doc[field] when present. The limits fit in T, so the
// conversion is exact.
template <typename T>
absl::Status ApplyInteger(const Json& doc, const char* field, Limits limits, T& out) {
  auto it = doc.find(field);
  if (it == doc.end()) return absl::OkStatus();
  std::optional<int64_t> number = IntegerWithin(*it, limits);
  if (!number.has_value()) return OutOfRange(field, limits, Got(*it));
  out = static_cast<T>(*number);
  return absl::OkStatus();
}

absl::Status ApplyBool(const Json& doc, const char* field, bool& out) {
  auto it = doc.find(field);
  if (it == doc.end()) return absl::OkStatus();
  if (!it->is_boolean()) {
    return Invalid(kPrefix, "'", field, "' must be a boolean (true or false), got ", Got(*it));
  }
  out = it->get<bool>();
  return absl::OkStatus();
}

absl::Status MustBeEmpty() {
  return Invalid(kPrefix, "'", kPreferredField,
                 "' must be empty when max_batch_size is 0 (the model does not batch)");
}

// Sets `out` from doc["preferred_batch_sizes"] when present; `max_batch_size`
// is the value the result will have.
absl::Status ApplyPreferred(const Json& doc, int max_batch_size, std::vector<int>& out) {
  auto it = doc.find(kPreferredField);
  if (it == doc.end()) return absl::OkStatus();
  if (!it->is_array()) {
    return Invalid(kPrefix, "'", kPreferredField, "' must be an array of integers, got ", Got(*it));
  }
  if (max_batch_size == 0 && !it->empty()) return MustBeEmpty();
  const Limits limits{1, max_batch_size};
  std::vector<int> sizes;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& entry = (*it)[i];
    std::optional<int64_t> size = IntegerWithin(entry, limits);
    if (!size.has_value()) {
      return Invalid(kPrefix, "'", kPreferredField, "[", i, "]' must be an integer in [1, ",
                     max_batch_size, "] (1 to max_batch_size), got ", Got(entry));
    }
    sizes.push_back(static_cast<int>(*size));
  }
  out = std::move(sizes);
  return absl::OkStatus();
}

absl::Status CheckRange(const char* field, int64_t value, Limits limits) {
  if (value < limits.min || value > limits.max) {
    return OutOfRange(field, limits, absl::StrCat(value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateServingConfig(const ServingConfig& config) {
  AIAAS_RETURN_IF_ERROR(CheckRange(kMaxBatchSizeField, config.max_batch_size, kMaxBatchSize));
  AIAAS_RETURN_IF_ERROR(
      CheckRange(kMaxQueueDelayUsField, config.max_queue_delay_us, kMaxQueueDelayUs));
  if (config.max_batch_size == 0 && !config.preferred_batch_sizes.empty()) return MustBeEmpty();
  std::set<int> seen;
  for (int size : config.preferred_batch_sizes) {
    if (size < 1 || size > config.max_batch_size) {
      return Invalid(kPrefix, "'", kPreferredField, "' entries must be in [1, ",
                     config.max_batch_size, "] (1 to max_batch_size), got ", size);
    }
    if (!seen.insert(size).second) {
      return Invalid(kPrefix, "'", kPreferredField, "' lists ", size, " more than once");
    }
  }
  AIAAS_RETURN_IF_ERROR(CheckRange(kInstanceCountField, config.instance_count, kInstanceCount));
  AIAAS_RETURN_IF_ERROR(CheckRange(kMaxQueueSizeField, config.max_queue_size, kMaxQueueSize));
  return CheckRange(kDefaultTimeoutMsField, config.default_timeout_ms, kDefaultTimeoutMs);
}

absl::StatusOr<ServingConfig> DecodeServingConfigJson(std::string_view body,
                                                      const ServingConfig& base) {
  AIAAS_ASSIGN_OR_RETURN(Json doc, json_util::ParseJsonObject(body));
  for (const auto& item : doc.items()) {
    bool known = false;
    for (const char* field : kFields) known = known || item.key() == field;
    if (!known) {
      return Invalid(kPrefix, "unknown field ", ShortDump(Json(item.key())), "; valid fields are ",
                     absl::StrJoin(kFields, ", "));
    }
  }
  ServingConfig config = base;
  // max_batch_size first: it bounds the preferred sizes.
  AIAAS_RETURN_IF_ERROR(
      ApplyInteger(doc, kMaxBatchSizeField, kMaxBatchSize, config.max_batch_size));
  AIAAS_RETURN_IF_ERROR(
      ApplyInteger(doc, kMaxQueueDelayUsField, kMaxQueueDelayUs, config.max_queue_delay_us));
  AIAAS_RETURN_IF_ERROR(ApplyPreferred(doc, config.max_batch_size, config.preferred_batch_sizes));
  AIAAS_RETURN_IF_ERROR(
      ApplyInteger(doc, kInstanceCountField, kInstanceCount, config.instance_count));
  AIAAS_RETURN_IF_ERROR(
      ApplyInteger(doc, kMaxQueueSizeField, kMaxQueueSize, config.max_queue_size));
  AIAAS_RETURN_IF_ERROR(
      ApplyInteger(doc, kDefaultTimeoutMsField, kDefaultTimeoutMs, config.default_timeout_ms));
  AIAAS_RETURN_IF_ERROR(ApplyBool(doc, kWarmupField, config.warmup));
  AIAAS_RETURN_IF_ERROR(ApplyBool(doc, kPinnedField, config.pinned));
  // Catches what the body did not mention but its changes made invalid (a
  // lower max_batch_size under stored preferred sizes), and a bad `base`.
  AIAAS_RETURN_IF_ERROR(ValidateServingConfig(config));
  return config;
}

std::string EncodeServingConfigJson(const ServingConfig& config) {
  nlohmann::ordered_json out;
  out[kMaxBatchSizeField] = config.max_batch_size;
  out[kMaxQueueDelayUsField] = config.max_queue_delay_us;
  out[kPreferredField] = config.preferred_batch_sizes;
  out[kInstanceCountField] = config.instance_count;
  out[kMaxQueueSizeField] = config.max_queue_size;
  out[kDefaultTimeoutMsField] = config.default_timeout_ms;
  out[kWarmupField] = config.warmup;
  out[kPinnedField] = config.pinned;
  return out.dump();
}

}  // namespace aiaas::server
