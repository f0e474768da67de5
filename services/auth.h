#ifndef BANDIT_ROUTER_SERVICES_AUTH_H_
#define BANDIT_ROUTER_SERVICES_AUTH_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "services/hardening_config.h"

namespace router::services {

// Bearer-token access control: every RPC handler asks Check for its method's role before doing
// anything. Without tokens every call is allowed (the loopback default). Tokens never appear in
// a message or a log.
class Authorizer {
 public:
  // No tokens: everyone may call everything.
  Authorizer() = default;
  explicit Authorizer(TokenRoles tokens) : tokens_(std::move(tokens)) {}

  bool enabled() const { return !tokens_.empty(); }

  // OK when the call's "authorization: Bearer <token>" names a token with `role`.
  // Unauthenticated when the metadata is missing, malformed or names an unknown token;
  // PermissionDenied when the token lacks the role. `method` names the RPC in the message.
  absl::Status Check(const grpc::ServerContextBase& context, Role role,
                     absl::string_view method) const;

 private:
  TokenRoles tokens_;
};

// A client-streaming call refused before its first read: finishes at once with `status`.
template <typename Request>
class RefusedReadReactor final : public grpc::ServerReadReactor<Request> {
 public:
  explicit RefusedReadReactor(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_AUTH_H_
