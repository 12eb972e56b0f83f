#ifndef AIAAS_SERVER_MANAGEMENT_JSON_H_
#define AIAAS_SERVER_MANAGEMENT_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "services/model_registry.h"

namespace aiaas::server {

// JSON encodings of the management API objects (shapes in docs/api.md).
std::string ModelJson(const services::ModelView& view);
std::string ModelListJson(const storage::Page<services::ModelView>& page);
std::string VersionJson(const storage::VersionRecord& version);
std::string VersionListJson(const std::vector<storage::VersionRecord>& versions);
std::string AliasJson(const storage::AliasRecord& alias);
std::string AliasListJson(const std::vector<storage::AliasRecord>& aliases);

// KServe v2 model metadata: name, versions, platform, inputs, outputs.
std::string V2ModelMetadataJson(const storage::VersionRecord& version,
                                const std::vector<storage::VersionRecord>& all_versions);

// RFC 3339 UTC with milliseconds: "2026-11-22T10:00:00.123Z".
std::string FormatTimeMs(int64_t unix_ms);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_MANAGEMENT_JSON_H_
