#include "monitoring/model_stats.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"

namespace aiaas::monitoring {
namespace {

uint64_t NonNegative(int64_t value) { return value > 0 ? static_cast<uint64_t>(value) : 0; }

void Add(DurationStat& stat, int64_t ns) {
  ++stat.count;
  stat.ns += NonNegative(ns);
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct ModelStats::Entry {
  ModelStatsSnapshot stats;  // batch_stats is rebuilt from `batches` when snapshotted
  std::map<int64_t, DurationStat> batches;

  ModelStatsSnapshot Snapshot() const {
    ModelStatsSnapshot out = stats;
    out.batch_stats.reserve(batches.size());
    for (const auto& [size, compute] : batches) out.batch_stats.push_back({size, compute});
    return out;
  }
};

bool ModelStats::VersionLess::operator()(const std::string& a, const std::string& b) const {
  // Numbers first, by value (version numbers have no leading zeros, so the shorter is smaller);
  // then any other strings in plain order. Two classes, each totally ordered.
  const bool a_number = AllDigits(a);
  const bool b_number = AllDigits(b);
  if (a_number != b_number) return a_number;
  if (a_number && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

ModelStats::ModelStats(std::function<int64_t()> now_ms)
    : now_ms_(now_ms ? std::move(now_ms) : std::function<int64_t()>(&SystemNowMs)) {}

ModelStats::~ModelStats() = default;

ModelStats::Entry& ModelStats::EntryFor(const std::string& model, const std::string& version) {
  std::unique_ptr<Entry>& slot = models_[model][version];
  if (slot == nullptr) {
    slot = std::make_unique<Entry>();
    slot->stats.model = model;
    slot->stats.version = version;
  }
  return *slot;
}

void ModelStats::RecordSuccess(const std::string& model, const std::string& version, int64_t e2e_ns,
                               int64_t queue_ns, int64_t compute_ns, int64_t rows) {
  const int64_t now_ms = now_ms_();
  absl::MutexLock lock(&mu_);
  ModelStatsSnapshot& stats = EntryFor(model, version).stats;
  Add(stats.success, e2e_ns);
  Add(stats.queue, queue_ns);
  Add(stats.compute_infer, compute_ns);
  stats.inference_count += NonNegative(rows);
  stats.last_inference_ms = std::max(stats.last_inference_ms, now_ms);
}

void ModelStats::RecordFailure(const std::string& model, const std::string& version,
                               int64_t e2e_ns) {
  absl::MutexLock lock(&mu_);
  Add(EntryFor(model, version).stats.fail, e2e_ns);
}

void ModelStats::RecordBatch(const std::string& model, const std::string& version,
                             int64_t batch_size, int64_t compute_ns) {
  absl::MutexLock lock(&mu_);
  Entry& entry = EntryFor(model, version);
  ++entry.stats.execution_count;
  Add(entry.batches[batch_size], compute_ns);
}

std::vector<ModelStatsSnapshot> ModelStats::Snapshot(
    const std::string& model, const std::optional<std::string>& version) const {
  std::vector<ModelStatsSnapshot> out;
  absl::MutexLock lock(&mu_);
  auto m = models_.find(model);
  if (m == models_.end()) return out;
  if (version.has_value()) {
    auto v = m->second.find(*version);
    if (v != m->second.end()) out.push_back(v->second->Snapshot());
    return out;
  }
  out.reserve(m->second.size());
  for (const auto& [unused, entry] : m->second) out.push_back(entry->Snapshot());
  return out;
}

std::string ModelStatsKey(std::string_view tenant, std::string_view model) {
  return absl::StrCat(std::string(tenant), "/", std::string(model));
}

std::vector<ModelStatsSnapshot> ModelStats::SnapshotAll() const {
  std::vector<ModelStatsSnapshot> out;
  absl::MutexLock lock(&mu_);
  for (const auto& [unused_model, versions] : models_) {
    for (const auto& [unused_version, entry] : versions) out.push_back(entry->Snapshot());
  }
  return out;
}

void ModelStats::Remove(const std::string& model, const std::optional<std::string>& version) {
  absl::MutexLock lock(&mu_);
  auto m = models_.find(model);
  if (m == models_.end()) return;
  if (version.has_value()) {
    m->second.erase(*version);
    if (!m->second.empty()) return;
  }
  models_.erase(m);
}

}  // namespace aiaas::monitoring
