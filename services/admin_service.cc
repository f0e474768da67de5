#include "services/admin_service.h"

#include "absl/time/clock.h"
#include "services/convert.h"

namespace router::services {

grpc::ServerUnaryReactor* AdminService::Finish(grpc::CallbackServerContext* context, Rpc rpc,
                                               absl::Time start, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  metrics_->RecordRpc(rpc, status.code(), absl::Now() - start);
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListRouters(grpc::CallbackServerContext* context,
                                                    const v1::ListRoutersRequest* request,
                                                    v1::ListRoutersResponse* response) {
  const absl::Time start = absl::Now();
  for (const RouterStats& stats : engine_->ListRouters()) {
    ToRouterInfo(stats, response->add_routers());
  }
  return Finish(context, Rpc::kListRouters, start, absl::OkStatus());
}

grpc::ServerUnaryReactor* AdminService::AddArm(grpc::CallbackServerContext* context,
                                               const v1::AddArmRequest* request,
                                               v1::AddArmResponse* response) {
  const absl::Time start = absl::Now();
  ArmChange change;
  change.kind = ArmChange::Kind::kAdd;
  change.router = request->router();
  change.arm = request->arm();
  change.input_price_per_mtok = request->input_price_per_mtok();
  change.output_price_per_mtok = request->output_price_per_mtok();
  if (request->has_quality_prior()) change.quality_prior = request->quality_prior();
  absl::StatusOr<ArmStats> stats = engine_->AddArm(change);
  if (stats.ok()) {
    metrics_->AddArm(change.router, change.arm);
    ToArmInfo(*stats, response->mutable_arm());
  }
  return Finish(context, Rpc::kAddArm, start, stats.status());
}

grpc::ServerUnaryReactor* AdminService::SetArmState(grpc::CallbackServerContext* context,
                                                    const v1::SetArmStateRequest* request,
                                                    v1::SetArmStateResponse* response) {
  const absl::Time start = absl::Now();
  absl::StatusOr<ArmStats> stats =
      engine_->SetArmDisabled(request->router(), request->arm(), request->disabled());
  if (stats.ok()) ToArmInfo(*stats, response->mutable_arm());
  return Finish(context, Rpc::kSetArmState, start, stats.status());
}

}  // namespace router::services
