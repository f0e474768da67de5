#include "services/auth.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace router::services {
namespace {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kRoute: return "route";
    case Role::kFeedback: return "feedback";
    case Role::kAdmin: return "admin";
  }
  return "unknown";
}

}  // namespace

absl::Status Authorizer::Check(const grpc::ServerContextBase& context, Role role,
                               absl::string_view method) const {
  if (tokens_.empty()) return absl::OkStatus();
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError(absl::StrCat(
        method, " needs a bearer token: send metadata \"authorization: Bearer <token>\" "
                "(routerctl --token_file)"));
  }
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kBearer = "Bearer ";
  if (!absl::StartsWith(value, kBearer)) {
    return absl::UnauthenticatedError(
        "the authorization metadata must be \"Bearer <token>\"");
  }
  auto token = tokens_.find(value.substr(kBearer.size()));
  if (token == tokens_.end()) {
    return absl::UnauthenticatedError("the bearer token is not one this server accepts");
  }
  if ((token->second & static_cast<int>(role)) == 0) {
    return absl::PermissionDeniedError(absl::StrCat(
        "the bearer token lacks the '", RoleName(role), "' role, which ", method, " needs"));
  }
  return absl::OkStatus();
}

}  // namespace router::services
