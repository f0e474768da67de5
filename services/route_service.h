#ifndef BANDIT_ROUTER_SERVICES_ROUTE_SERVICE_H_
#define BANDIT_ROUTER_SERVICES_ROUTE_SERVICE_H_

#include <string>

#include "core/engine.h"
#include "services/auth.h"
#include "router/v1/router.grpc.pb.h"
#include "services/metrics.h"

namespace router::services {

// router.v1.RouterService: converts, calls Engine::Route, maps the status, records metrics.
class RouteService final : public v1::RouterService::CallbackService {
 public:
  // `auth` (must outlive the service; null: no access control) checks the 'route' role.
  RouteService(Engine* engine, Metrics* metrics, std::string policy_version,
               const Authorizer* auth = nullptr)
      : engine_(engine),
        metrics_(metrics),
        policy_version_(std::move(policy_version)),
        auth_(auth) {}

  grpc::ServerUnaryReactor* Route(grpc::CallbackServerContext* context,
                                  const v1::RouteRequest* request,
                                  v1::RouteResponse* response) override;

 private:
  Engine* const engine_;
  Metrics* const metrics_;
  const std::string policy_version_;
  const Authorizer* const auth_;
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_ROUTE_SERVICE_H_
