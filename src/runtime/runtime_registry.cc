#include "absl/strings/str_join.h"
#include "runtime/runtime.h"

namespace aiaas::runtime {

void RuntimeRegistry::Register(std::unique_ptr<Runtime> runtime) {
  std::string format(runtime->format());
  runtimes_[format] = std::move(runtime);
}

Runtime* RuntimeRegistry::Find(std::string_view format) const {
  auto it = runtimes_.find(format);
  return it == runtimes_.end() ? nullptr : it->second.get();
}

std::string RuntimeRegistry::FormatNames() const {
  std::vector<std::string> names;
  for (const auto& [name, runtime] : runtimes_) names.push_back(name);
  return absl::StrJoin(names, ", ");
}

}  // namespace aiaas::runtime
