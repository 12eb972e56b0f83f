#ifndef AIAAS_SERVICES_VERSION_CACHE_H_
#define AIAAS_SERVICES_VERSION_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "storage/metadata_store.h"

namespace aiaas::services {

// Resolved version references ((tenant, model, ref) -> version row), so that
// the inference path does not query the metadata store on every request.
//
// Writers call Invalidate() after every change to models, versions, aliases or
// serving configs. A lookup that raced with a change is not stored: callers
// take a Ticket before reading the store and Put() only stores the row when no
// Invalidate() happened since.
//
// Thread-safety: all methods may be called concurrently.
class VersionCache {
 public:
  using Ticket = uint64_t;

  explicit VersionCache(size_t max_entries = 4096) : max_entries_(max_entries) {}

  std::optional<storage::VersionRecord> Get(const std::string& tenant, const std::string& model,
                                            const std::string& ref) const;
  Ticket Begin() const;
  void Put(Ticket ticket, const std::string& tenant, const std::string& model,
           const std::string& ref, const storage::VersionRecord& version);
  void Invalidate();

 private:
  using Key = std::tuple<std::string, std::string, std::string>;

  const size_t max_entries_;
  mutable absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<Key, storage::VersionRecord> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace aiaas::services

#endif  // AIAAS_SERVICES_VERSION_CACHE_H_
