#ifndef BANDIT_ROUTER_SERVICES_CONVERT_H_
#define BANDIT_ROUTER_SERVICES_CONVERT_H_

// router.v1 API messages <-> core structs, and absl::Status -> grpc::Status.

#include "absl/status/status.h"
#include "core/engine.h"
#include "core/model_state.h"
#include "core/records.h"
#include "core/route_types.h"
#include "grpcpp/support/status.h"
#include "router/v1/router.pb.h"

namespace router::services {

RouteQuery ToRouteQuery(const v1::RouteRequest& request);
EscalateRequest ToEscalateRequest(const v1::EscalateRequest& request);
void ToEscalateResponse(const EscalateResult& result, v1::EscalateResponse* response);
void ToRouteResponse(const RouteResult& result, absl::string_view policy_version,
                     v1::RouteResponse* response);

FeedbackEvent ToFeedbackEvent(const v1::FeedbackRequest& request);

ImportItem ToImportItem(const v1::ImportOutcomesRequest& request);

void ToArmInfo(const ArmStats& stats, v1::ArmInfo* info);
void ToRouterInfo(const RouterStats& stats, v1::RouterInfo* info);
// θ and A⁻¹ of every arm and objective (AdminService.GetModel).
void ToModelResponse(const RouterState& state, v1::GetModelResponse* response);
void ToCascadeModels(const CascadeState& state, v1::GetModelResponse* response);

const char* PolicyName(PolicyKind kind);

// Abseil and gRPC share their canonical code numbering.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_CONVERT_H_
