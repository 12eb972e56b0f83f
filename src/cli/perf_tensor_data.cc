#include "cli/perf_tensor_data.h"

#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"

namespace aiaas::cli {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// The wire format is little-endian; copying native values is only correct on such hosts.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "aiaas perf assumes a little-endian host");

std::string TypeName(DataType dtype) { return std::string(DataTypeName(dtype)); }

template <typename T>
void AppendRaw(T value, std::string* out) {
  char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  out->append(raw, sizeof(T));
}

template <typename T>
T ReadRaw(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

// IEEE half of k / 256 for k in [0, 256): exact, since such values need at most 8
// significant bits and are far above the smallest normal half (2^-14).
uint16_t HalfOfSmallFraction(int k) {
  if (k == 0) return 0;
  int exponent = 0;  // k / 256 = 1.m * 2^(exponent - 8) with k in [2^e, 2^(e+1))
  while ((k >> (exponent + 1)) != 0) ++exponent;
  const int mantissa = (k - (1 << exponent)) << (10 - exponent);
  return static_cast<uint16_t>(((exponent - 8 + 15) << 10) | mantissa);
}

// bfloat16 is the top half of the float bits; truncation is exact for these values.
uint16_t Bf16Of(float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof(bits));
  return static_cast<uint16_t>(bits >> 16);
}

template <typename T>
void AppendRandom(int64_t elements, std::mt19937_64& rng, std::string* out) {
  std::uniform_int_distribution<int> fraction(0, 255);
  std::uniform_int_distribution<int> small(0, 99);
  for (int64_t i = 0; i < elements; ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      AppendRaw(static_cast<T>(fraction(rng)) / static_cast<T>(256), out);
    } else {
      AppendRaw(static_cast<T>(small(rng)), out);
    }
  }
}

template <typename T>
ordered_json ValuesToJson(absl::string_view bytes) {
  ordered_json values = ordered_json::array();
  for (size_t at = 0; at + sizeof(T) <= bytes.size(); at += sizeof(T)) {
    values.push_back(ReadRaw<T>(bytes.data() + at));
  }
  return values;
}

void Flatten(const json& data, std::vector<const json*>* values) {
  if (data.is_array()) {
    for (const json& item : data) Flatten(item, values);
  } else {
    values->push_back(&data);
  }
}

template <typename T>
absl::Status AppendFromJson(const json& value, std::string* out) {
  if constexpr (std::is_same_v<T, bool>) {
    if (value.is_boolean()) {
      AppendRaw(static_cast<uint8_t>(value.get<bool>() ? 1 : 0), out);
      return absl::OkStatus();
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (value.is_number()) {
      AppendRaw(value.get<T>(), out);
      return absl::OkStatus();
    }
  } else if (value.is_number_unsigned()) {
    const auto number = value.get<uint64_t>();
    if (number <= static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      AppendRaw(static_cast<T>(number), out);
      return absl::OkStatus();
    }
  } else if (value.is_number_integer()) {
    const auto number = value.get<int64_t>();
    if (number >= static_cast<int64_t>(std::numeric_limits<T>::min()) &&
        (number < 0 ||
         static_cast<uint64_t>(number) <= static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
      AppendRaw(static_cast<T>(number), out);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("value ", value.dump(), " does not fit"));
}

template <typename T>
absl::StatusOr<std::string> ValuesFromJson(const std::vector<const json*>& values) {
  std::string out;
  out.reserve(values.size() * sizeof(T));
  for (const json* value : values) {
    if (absl::Status status = AppendFromJson<T>(*value, &out); !status.ok()) return status;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> RandomTensorData(DataType dtype, int64_t elements,
                                             std::mt19937_64& rng) {
  if (elements < 0) return absl::InvalidArgumentError("negative element count");
  std::string out;
  out.reserve(static_cast<size_t>(elements) * DataTypeSize(dtype));
  switch (dtype) {
    case DataType::kBool: {
      std::uniform_int_distribution<int> bit(0, 1);
      for (int64_t i = 0; i < elements; ++i) out.push_back(static_cast<char>(bit(rng)));
      return out;
    }
    case DataType::kUint8:
      AppendRandom<uint8_t>(elements, rng, &out);
      return out;
    case DataType::kUint16:
      AppendRandom<uint16_t>(elements, rng, &out);
      return out;
    case DataType::kUint32:
      AppendRandom<uint32_t>(elements, rng, &out);
      return out;
    case DataType::kUint64:
      AppendRandom<uint64_t>(elements, rng, &out);
      return out;
    case DataType::kInt8:
      AppendRandom<int8_t>(elements, rng, &out);
      return out;
    case DataType::kInt16:
      AppendRandom<int16_t>(elements, rng, &out);
      return out;
    case DataType::kInt32:
      AppendRandom<int32_t>(elements, rng, &out);
      return out;
    case DataType::kInt64:
      AppendRandom<int64_t>(elements, rng, &out);
      return out;
    case DataType::kFp32:
      AppendRandom<float>(elements, rng, &out);
      return out;
    case DataType::kFp64:
      AppendRandom<double>(elements, rng, &out);
      return out;
    case DataType::kFp16:
    case DataType::kBf16: {
      std::uniform_int_distribution<int> fraction(0, 255);
      for (int64_t i = 0; i < elements; ++i) {
        const int k = fraction(rng);
        AppendRaw(dtype == DataType::kFp16 ? HalfOfSmallFraction(k)
                                           : Bf16Of(static_cast<float>(k) / 256.0F),
                  &out);
      }
      return out;
    }
    case DataType::kBytes:
      break;
  }
  return absl::InvalidArgumentError("random BYTES inputs are not supported; use --input-data");
}

absl::StatusOr<ordered_json> TensorDataToJson(DataType dtype, absl::string_view bytes) {
  const size_t size = DataTypeSize(dtype);
  if (size != 0 && bytes.size() % size != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(bytes.size(), " bytes are not a whole number of ", TypeName(dtype)));
  }
  switch (dtype) {
    case DataType::kBool: {
      ordered_json values = ordered_json::array();
      for (char byte : bytes) values.push_back(byte != 0);
      return values;
    }
    case DataType::kUint8:
      return ValuesToJson<uint8_t>(bytes);
    case DataType::kUint16:
      return ValuesToJson<uint16_t>(bytes);
    case DataType::kUint32:
      return ValuesToJson<uint32_t>(bytes);
    case DataType::kUint64:
      return ValuesToJson<uint64_t>(bytes);
    case DataType::kInt8:
      return ValuesToJson<int8_t>(bytes);
    case DataType::kInt16:
      return ValuesToJson<int16_t>(bytes);
    case DataType::kInt32:
      return ValuesToJson<int32_t>(bytes);
    case DataType::kInt64:
      return ValuesToJson<int64_t>(bytes);
    case DataType::kFp32:
      return ValuesToJson<float>(bytes);
    case DataType::kFp64:
      return ValuesToJson<double>(bytes);
    case DataType::kFp16:
    case DataType::kBf16:
    case DataType::kBytes:
      break;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      TypeName(dtype), " tensors cannot be sent as KServe JSON; use --protocol binary"));
}

absl::StatusOr<std::string> TensorDataFromJson(DataType dtype, const json& data, int64_t elements) {
  std::vector<const json*> values;
  Flatten(data, &values);
  if (static_cast<int64_t>(values.size()) != elements) {
    return absl::InvalidArgumentError(
        absl::StrCat("data has ", values.size(), " values, the shape needs ", elements));
  }
  absl::StatusOr<std::string> out;
  switch (dtype) {
    case DataType::kBool:
      out = ValuesFromJson<bool>(values);
      break;
    case DataType::kUint8:
      out = ValuesFromJson<uint8_t>(values);
      break;
    case DataType::kUint16:
      out = ValuesFromJson<uint16_t>(values);
      break;
    case DataType::kUint32:
      out = ValuesFromJson<uint32_t>(values);
      break;
    case DataType::kUint64:
      out = ValuesFromJson<uint64_t>(values);
      break;
    case DataType::kInt8:
      out = ValuesFromJson<int8_t>(values);
      break;
    case DataType::kInt16:
      out = ValuesFromJson<int16_t>(values);
      break;
    case DataType::kInt32:
      out = ValuesFromJson<int32_t>(values);
      break;
    case DataType::kInt64:
      out = ValuesFromJson<int64_t>(values);
      break;
    case DataType::kFp32:
      out = ValuesFromJson<float>(values);
      break;
    case DataType::kFp64:
      out = ValuesFromJson<double>(values);
      break;
    case DataType::kFp16:
    case DataType::kBf16:
    case DataType::kBytes:
      return absl::InvalidArgumentError(
          absl::StrCat(TypeName(dtype), " data cannot be given as JSON numbers"));
  }
  if (!out.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(TypeName(dtype), " ", out.status().message()));
  }
  return out;
}

}  // namespace aiaas::cli
