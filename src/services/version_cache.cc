#include "services/version_cache.h"

namespace aiaas::services {

std::optional<storage::VersionRecord> VersionCache::Get(const std::string& tenant,
                                                        const std::string& model,
                                                        const std::string& ref) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(Key(tenant, model, ref));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

VersionCache::Ticket VersionCache::Begin() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

void VersionCache::Put(Ticket ticket, const std::string& tenant, const std::string& model,
                       const std::string& ref, const storage::VersionRecord& version) {
  absl::MutexLock lock(&mu_);
  if (ticket != generation_) return;  // the store changed while the caller read it
  // Refs come from requests: bound the map instead of trusting their variety.
  if (entries_.size() >= max_entries_) entries_.clear();
  entries_.insert_or_assign(Key(tenant, model, ref), version);
}

void VersionCache::Invalidate() {
  absl::MutexLock lock(&mu_);
  ++generation_;
  entries_.clear();
}

}  // namespace aiaas::services
