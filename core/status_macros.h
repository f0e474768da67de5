#ifndef BANDIT_ROUTER_CORE_STATUS_MACROS_H_
#define BANDIT_ROUTER_CORE_STATUS_MACROS_H_

// Abseil 20220623 ships no status_macros.h; these are the two everyone writes.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define BR_CONCAT_INNER_(a, b) a##b
#define BR_CONCAT_(a, b) BR_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status br_status_ = (expr);            \
    if (!br_status_.ok()) return br_status_;       \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(BR_CONCAT_(br_statusor_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                           \
  if (!statusor.ok()) return statusor.status();     \
  lhs = std::move(statusor).value()

#endif  // BANDIT_ROUTER_CORE_STATUS_MACROS_H_
