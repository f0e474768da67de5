#include "services/route_service.h"

#include "absl/time/clock.h"
#include "services/convert.h"

namespace router::services {

grpc::ServerUnaryReactor* RouteService::Route(grpc::CallbackServerContext* context,
                                              const v1::RouteRequest* request,
                                              v1::RouteResponse* response) {
  const absl::Time start = absl::Now();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (auth_ != nullptr) {
    if (absl::Status denied = auth_->Check(*context, Role::kRoute, "Route"); !denied.ok()) {
      metrics_->RecordRpc(Rpc::kRoute, denied.code(), absl::Now() - start);
      reactor->Finish(ToGrpcStatus(denied));
      return reactor;
    }
  }
  absl::StatusOr<RouteResult> result = engine_->Route(ToRouteQuery(*request));
  if (result.ok()) {
    ToRouteResponse(*result, policy_version_, response);
    metrics_->RecordDecision(*result);
  }
  // The decision is acknowledged once durable (see FeedbackService::Feedback).
  engine_->WhenDurable([this, reactor, start, status = result.status()](absl::Status durable) {
    const absl::Status final_status = status.ok() ? durable : status;
    metrics_->RecordRpc(Rpc::kRoute, final_status.code(), absl::Now() - start);
    reactor->Finish(ToGrpcStatus(final_status));
  });
  return reactor;
}

}  // namespace router::services
