#include "services/admin_service.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/convert.h"
#include "services/item_stream_reactor.h"

namespace router::services {
grpc::ServerUnaryReactor* AdminService::Finish(grpc::CallbackServerContext* context, Rpc rpc,
                                               absl::Time start, const absl::Status& status,
                                               bool durable) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto finish = [this, reactor, rpc, start, status](absl::Status synced) {
    const absl::Status final_status = status.ok() ? synced : status;
    metrics_->RecordRpc(rpc, final_status.code(), absl::Now() - start);
    reactor->Finish(ToGrpcStatus(final_status));
  };
  if (durable) {
    engine_->WhenDurable(std::move(finish));
  } else {
    finish(absl::OkStatus());
  }
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
  return Finish(context, Rpc::kAddArm, start, stats.status(), /*durable=*/true);
}

grpc::ServerUnaryReactor* AdminService::SetArmState(grpc::CallbackServerContext* context,
                                                    const v1::SetArmStateRequest* request,
                                                    v1::SetArmStateResponse* response) {
  const absl::Time start = absl::Now();
  absl::StatusOr<ArmStats> stats =
      engine_->SetArmDisabled(request->router(), request->arm(), request->disabled());
  if (stats.ok()) ToArmInfo(*stats, response->mutable_arm());
  return Finish(context, Rpc::kSetArmState, start, stats.status(), /*durable=*/true);
}

grpc::ServerReadReactor<v1::ImportOutcomesRequest>* AdminService::ImportOutcomes(
    grpc::CallbackServerContext* context, v1::ImportOutcomesSummary* summary) {
  return new ItemStreamReactor<v1::ImportOutcomesRequest, v1::ImportOutcomesSummary>(
      engine_, metrics_, Rpc::kImportOutcomes, summary,
      [this](const v1::ImportOutcomesRequest& request, v1::ImportOutcomesSummary* out) {
        out->set_items(out->items() + 1);
        absl::StatusOr<ImportResult> result = engine_->Import(ToImportItem(request));
        if (!result.ok()) return result.status();
        out->set_observations(out->observations() + result->applied);
        out->set_duplicate(out->duplicate() + result->duplicate);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AdminService::GetModel(grpc::CallbackServerContext* context,
                                                 const v1::GetModelRequest* request,
                                                 v1::GetModelResponse* response) {
  const absl::Time start = absl::Now();
  // Read the sequence first: the model holds at least the events up to it.
  const uint64_t sequence = engine_->LastEventSequence();
  absl::StatusOr<RouterState> state = engine_->ExportRouter(request->router());
  if (state.ok()) {
    ToModelResponse(*state, response);
    response->set_last_event_sequence(sequence);
  }
  return Finish(context, Rpc::kGetModel, start, state.status());
}

grpc::ServerUnaryReactor* AdminService::Backup(grpc::CallbackServerContext* context,
                                               const v1::BackupRequest* request,
                                               v1::BackupResponse* response) {
  const absl::Time start = absl::Now();
  if (!backup_) {
    return Finish(context, Rpc::kBackup, start,
                  absl::UnimplementedError("this server has no store to back up"));
  }
  const std::string dir = request->dir();
  if (dir.empty() || !std::filesystem::path(dir).is_absolute()) {
    return Finish(context, Rpc::kBackup, start,
                  absl::InvalidArgumentError(absl::StrCat(
                      "backup dir must be an absolute path on the server's machine, got '", dir,
                      "'")));
  }
  absl::MutexLock lock(&backup_mu_);
  if (backup_running_) {
    return Finish(context, Rpc::kBackup, start,
                  absl::UnavailableError("a backup is already running; retry when it is done"));
  }
  if (backup_thread_.joinable()) backup_thread_.join();  // the previous one, finished
  backup_running_ = true;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  backup_thread_ = std::thread([this, reactor, response, dir, start] {
    absl::StatusOr<uint64_t> sequence = backup_(dir);
    if (sequence.ok()) {
      response->set_dir(dir);
      response->set_last_event_sequence(*sequence);
    }
    metrics_->RecordRpc(Rpc::kBackup, sequence.status().code(), absl::Now() - start);
    {
      // Before replying, so that a client's next backup is not refused as concurrent.
      absl::MutexLock done(&backup_mu_);
      backup_running_ = false;
    }
    reactor->Finish(ToGrpcStatus(sequence.status()));
  });
  return reactor;
}

void AdminService::WaitForBackup() {
  std::thread running;
  {
    absl::MutexLock lock(&backup_mu_);
    running.swap(backup_thread_);
  }
  if (running.joinable()) running.join();
}

AdminService::~AdminService() { WaitForBackup(); }

}  // namespace router::services
