#ifndef BANDIT_ROUTER_SERVICES_ADMIN_SERVICE_H_
#define BANDIT_ROUTER_SERVICES_ADMIN_SERVICE_H_

#include "core/engine.h"
#include "router/v1/router.grpc.pb.h"
#include "services/metrics.h"

namespace router::services {

// router.v1.AdminService: router and arm statistics, runtime arm changes and warm-start imports
// (all logged durably).
class AdminService final : public v1::AdminService::CallbackService {
 public:
  AdminService(Engine* engine, Metrics* metrics) : engine_(engine), metrics_(metrics) {}

  grpc::ServerUnaryReactor* ListRouters(grpc::CallbackServerContext* context,
                                        const v1::ListRoutersRequest* request,
                                        v1::ListRoutersResponse* response) override;
  grpc::ServerUnaryReactor* AddArm(grpc::CallbackServerContext* context,
                                   const v1::AddArmRequest* request,
                                   v1::AddArmResponse* response) override;
  grpc::ServerUnaryReactor* SetArmState(grpc::CallbackServerContext* context,
                                        const v1::SetArmStateRequest* request,
                                        v1::SetArmStateResponse* response) override;
  grpc::ServerReadReactor<v1::ImportOutcomesRequest>* ImportOutcomes(
      grpc::CallbackServerContext* context, v1::ImportOutcomesSummary* summary) override;

 private:
  grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, Rpc rpc,
                                   absl::Time start, const absl::Status& status);

  Engine* const engine_;
  Metrics* const metrics_;
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_ADMIN_SERVICE_H_
