#include "training/job/native_bundle.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace aiaas::training {
namespace {

constexpr char kMagic[8] = {'A', 'I', 'A', 'A', 'S', 'N', 'B', '\0'};
constexpr uint32_t kVersion = 1;

template <typename T>
void AppendLittleEndian(T value, std::string& out) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

template <typename T>
bool ReadLittleEndian(absl::string_view& in, T& value) {
  if (in.size() < sizeof(T)) return false;
  value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<T>(static_cast<unsigned char>(in[i])) << (8 * i);
  }
  in.remove_prefix(sizeof(T));
  return true;
}

// A length-prefixed section; false when the bytes end first.
bool ReadSection(absl::string_view& in, absl::string_view& section) {
  uint64_t length = 0;
  if (!ReadLittleEndian(in, length) || length > in.size()) return false;
  section = in.substr(0, static_cast<size_t>(length));
  in.remove_prefix(static_cast<size_t>(length));
  return true;
}

absl::Status NotABundle(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("not a native model bundle: ", why));
}

}  // namespace

std::string EncodeNativeBundle(const NativeBundle& bundle) {
  const std::string header = bundle.header.dump();
  std::string out(kMagic, sizeof(kMagic));
  AppendLittleEndian<uint32_t>(kVersion, out);
  AppendLittleEndian<uint64_t>(header.size(), out);
  out += header;
  AppendLittleEndian<uint64_t>(bundle.weights.size(), out);
  out += bundle.weights;
  return out;
}

absl::StatusOr<NativeBundle> DecodeNativeBundle(absl::string_view bytes) {
  if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return NotABundle("the file does not start with the magic \"AIAASNB\"");
  }
  absl::string_view in = bytes.substr(sizeof(kMagic));
  uint32_t version = 0;
  if (!ReadLittleEndian(in, version)) return NotABundle("truncated before the version");
  if (version != kVersion) {
    return NotABundle(absl::StrCat("format version ", version, " (this server reads ",
                                   kVersion, ")"));
  }
  absl::string_view header_text;
  absl::string_view weights;
  if (!ReadSection(in, header_text)) return NotABundle("truncated header");
  if (!ReadSection(in, weights)) return NotABundle("truncated weights");
  if (!in.empty()) return NotABundle("trailing bytes after the weights");

  NativeBundle bundle;
  bundle.header = nlohmann::json::parse(header_text.begin(), header_text.end(), nullptr,
                                        /*allow_exceptions=*/false);
  if (!bundle.header.is_object()) return NotABundle("the header is not a JSON object");
  if (bundle.header.value("format", std::string()) != kNativeBundleFormat) {
    return NotABundle(absl::StrCat("header format is not \"", kNativeBundleFormat, "\""));
  }
  bundle.weights = std::string(weights);
  return bundle;
}

}  // namespace aiaas::training
