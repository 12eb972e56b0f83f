#ifndef AIAAS_SERVER_AUTH_API_H_
#define AIAAS_SERVER_AUTH_API_H_

#include "server/router.h"
#include "services/auth_service.h"
#include "services/model_access.h"

namespace aiaas::server {

struct AuthApiDeps {
  services::AuthService* auth = nullptr;   // borrowed; outlives the router
  services::ModelAccess* access = nullptr;  // borrowed; outlives the router
};

// Registers the identity and sharing endpoints of /api/v1: tenants, keys
// (create, list, self, revoke, rotate), principals and model grants. Every
// handler expects `request.caller` to be set by the admission hook (routes
// here are never public); a null caller is answered 401.
void RegisterAuthApi(Router* router, const AuthApiDeps& deps);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_AUTH_API_H_
