#ifndef AIAAS_SERVER_DATASET_API_H_
#define AIAAS_SERVER_DATASET_API_H_

#include "server/router.h"
#include "services/dataset_service.h"

namespace aiaas::server {

// The datasets of the caller's tenant (docs/api.md "Datasets"):
//   POST   /api/v1/datasets                          multipart: file, name, format
//   GET    /api/v1/datasets                          newest version of each
//   GET    /api/v1/datasets/{name}                   every version
//   DELETE /api/v1/datasets/{name}
//   GET    /api/v1/datasets/{name}/versions/{version}
//   DELETE /api/v1/datasets/{name}/versions/{version}
//   GET    /api/v1/datasets/{name}/preview?rows=20[&version=N]
// Reading needs dataset:read, uploading and deleting dataset:write. Datasets
// are never shared: another tenant's dataset does not exist for the caller.
void RegisterDatasetApi(Router* router, services::DatasetService* datasets);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_DATASET_API_H_
