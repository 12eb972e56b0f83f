#ifndef AIAAS_SERVER_REQUEST_CONTEXT_H_
#define AIAAS_SERVER_REQUEST_CONTEXT_H_

#include <string>

#include "server/http_types.h"

namespace aiaas::server {

// The tenant a request acts for. Every request belongs to the `default`
// tenant until authentication arrives; this is the seam where an auth
// middleware will put the tenant of the caller's API key.
inline std::string TenantFor(const HttpRequest& /*request*/) { return "default"; }

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_REQUEST_CONTEXT_H_
