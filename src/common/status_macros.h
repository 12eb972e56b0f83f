#ifndef AIAAS_COMMON_STATUS_MACROS_H_
#define AIAAS_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Early-return helpers for absl::Status / absl::StatusOr. The language has no
// equivalent of Rust's `?`, so these two macros are the one exception to "no macros".

#define AIAAS_RETURN_IF_ERROR(expr)        \
  do {                                     \
    ::absl::Status aiaas_status_ = (expr); \
    if (!aiaas_status_.ok()) return aiaas_status_; \
  } while (0)

#define AIAAS_CONCAT_INNER_(a, b) a##b
#define AIAAS_CONCAT_(a, b) AIAAS_CONCAT_INNER_(a, b)

#define AIAAS_ASSIGN_OR_RETURN(lhs, expr) \
  AIAAS_ASSIGN_OR_RETURN_IMPL_(AIAAS_CONCAT_(aiaas_statusor_, __LINE__), lhs, expr)

#define AIAAS_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                 \
  if (!var.ok()) return var.status();                \
  lhs = std::move(var).value()

#endif  // AIAAS_COMMON_STATUS_MACROS_H_
