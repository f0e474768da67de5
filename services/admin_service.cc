#include "services/admin_service.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/convert.h"

namespace router::services {
namespace {

// Enough reasons to debug an import without letting a bad stream grow the summary unbounded.
constexpr int kMaxReportedErrors = 10;

// Reads ImportOutcomes items one by one; a bad item is counted and the stream goes on.
class ImportReactor final : public grpc::ServerReadReactor<v1::ImportOutcomesRequest> {
 public:
  ImportReactor(Engine* engine, Metrics* metrics, v1::ImportOutcomesSummary* summary)
      : engine_(engine), metrics_(metrics), summary_(summary), start_(absl::Now()) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // client finished writing (or the call broke)
      metrics_->RecordRpc(Rpc::kImportOutcomes, absl::StatusCode::kOk, absl::Now() - start_);
      Finish(grpc::Status::OK);
      return;
    }
    summary_->set_items(summary_->items() + 1);
    absl::StatusOr<ImportResult> result = engine_->Import(ToImportItem(request_));
    if (!result.ok()) {
      summary_->set_rejected(summary_->rejected() + 1);
      if (summary_->errors_size() < kMaxReportedErrors) {
        summary_->add_errors(absl::StrCat(index_, ": ", result.status().message()));
      }
    } else {
      summary_->set_observations(summary_->observations() + result->applied);
      summary_->set_duplicate(summary_->duplicate() + result->duplicate);
    }
    ++index_;
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  Engine* const engine_;
  Metrics* const metrics_;
  v1::ImportOutcomesSummary* const summary_;
  const absl::Time start_;
  v1::ImportOutcomesRequest request_;
  uint64_t index_ = 0;
};

}  // namespace

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

grpc::ServerReadReactor<v1::ImportOutcomesRequest>* AdminService::ImportOutcomes(
    grpc::CallbackServerContext* context, v1::ImportOutcomesSummary* summary) {
  return new ImportReactor(engine_, metrics_, summary);
}

}  // namespace router::services
