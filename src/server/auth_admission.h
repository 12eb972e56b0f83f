#ifndef AIAAS_SERVER_AUTH_ADMISSION_H_
#define AIAAS_SERVER_AUTH_ADMISSION_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "server/http_types.h"
#include "services/auth_service.h"
#include "services/rate_limiter.h"

namespace aiaas::server {

// The type of HttpServerOptions::admit.
using AdmitHook = std::function<std::optional<HttpResponse>(HttpRequest& request)>;

// Token-bucket shapes. nullopt means no limit for that bucket.
struct AuthAdmissionOptions {
  // Per API key. A key's own `rate_limit_rps` replaces `key_inference` (rate
  // and burst both become that value).
  std::optional<services::RateLimit> key_inference = services::RateLimit{10000, 10000};
  std::optional<services::RateLimit> key_management = services::RateLimit{100, 200};
  // Per tenant, shared by all of the tenant's keys.
  std::optional<services::RateLimit> tenant_inference = services::RateLimit{20000, 20000};
  std::optional<services::RateLimit> tenant_management = services::RateLimit{200, 400};
};

// The admission hook with authentication on (HttpServerOptions::admit): for
// every routed request, before its body is read,
//   1. public routes (GET /v2/health/live, /v2/health/ready) pass, no caller;
//   2. the key from `Authorization: Bearer <key>` (else `x-api-key: <key>`)
//      is authenticated; any failure is 401 {"error": kUnauthenticatedMessage}
//      with `WWW-Authenticate: Bearer`, the same bytes for every failure;
//   3. one token is taken from the key's and then the tenant's bucket of the
//      route's class — management (/api/..., /metrics) or inference
//      (everything else: /v2/..., /v1/...:predict); an empty bucket is 429
//      {"error": "rate limit exceeded: ..."} with `Retry-After` (whole
//      seconds) and `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`;
//   4. `/metrics` needs the `metrics` action (403 otherwise);
//   5. `request.caller` is set. Model permissions are checked by the handlers
//      (ModelAccess), which know which model a request addresses.
// A store failure while authenticating is 500 with a message that names no key.
//
// Thread-safety: Admit() may be called concurrently (I/O threads). `auth` and
// `clock` are borrowed and must outlive this object.
class AuthAdmission {
 public:
  AuthAdmission(services::AuthService* auth, Clock* clock, AuthAdmissionOptions options = {});

  AuthAdmission(const AuthAdmission&) = delete;
  AuthAdmission& operator=(const AuthAdmission&) = delete;

  // nullopt to go on (request.caller set, except on public routes), or the
  // response to send instead.
  std::optional<HttpResponse> Admit(HttpRequest& request);

  // A hook calling Admit(); this object must outlive it.
  AdmitHook Hook();

 private:
  services::AuthService* const auth_;
  const AuthAdmissionOptions options_;
  services::RateLimiter limiter_;
};

// The admission hook with authentication off (loopback-only development):
// every request gets the caller {tenant "default", role admin, server admin};
// nothing is refused and nothing is rate limited.
AdmitHook AuthOffAdmission();

// True for the routes that need no key: GET /v2/health/live and /v2/health/ready.
bool IsPublicRoute(const HttpRequest& request);

// True when `host` (as given to --host) is a loopback address: 127.0.0.0/8,
// ::1 (also bracketed or IPv4-mapped), or "localhost".
bool IsLoopbackHost(std::string_view host);

// The key a request presents: the token of `Authorization: Bearer <token>`
// (scheme case-insensitive), else the `x-api-key` header; nullopt when
// neither is there. Not validated.
std::optional<std::string> PresentedApiKey(const HttpRequest& request);

}  // namespace aiaas::server

#endif  // AIAAS_SERVER_AUTH_ADMISSION_H_
