#include "services/admin_service.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/strings/str_replace.h"
#include "services/config.h"
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
    if (auto cascade = engine_->ExportCascade(request->router()); cascade.ok()) {
      ToCascadeModels(*cascade, response);
    }
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

absl::StatusOr<RouterSpec> CandidateSpec(const v1::RouterConfig& candidate,
                                         const std::string& router) {
  v1::ServerConfig config;
  v1::RouterConfig* r = config.add_routers();
  *r = candidate;
  r->set_name(router);
  absl::StatusOr<std::vector<RouterSpec>> specs = ToRouterSpecs(config);
  if (!specs.ok()) {
    return absl::Status(specs.status().code(),
                        absl::StrReplaceAll(specs.status().message(), {{"routers[0]", "candidate"}}));
  }
  return specs->front();
}

namespace {

void Fill(const Estimate& e, v1::ValueEstimate* out) {
  out->set_value(e.value);
  out->set_std_error(e.std_error);
  out->set_ci_low(e.ci_low);
  out->set_ci_high(e.ci_high);
}

void ToEvaluateResult(const EvaluationReport& r, v1::EvaluateResult* out) {
  out->set_router(r.router);
  out->set_last_event_sequence(r.last_feedback_sequence);
  out->set_events_scanned(r.events_scanned);
  out->set_events_learned(r.events_learned);
  out->set_decisions_evaluated(r.decisions_evaluated);
  out->set_events_unknown_arm(r.events_unknown_arm);
  for (const ComponentReport& c : r.components) {
    v1::ComponentEstimates* e = out->add_components();
    e->set_component(ValueComponentName(c.component));
    e->set_samples(c.samples);
    Fill(c.logged, e->mutable_logged());
    Fill(c.ips, e->mutable_ips());
    Fill(c.snips, e->mutable_snips());
    Fill(c.doubly_robust, e->mutable_doubly_robust());
  }
  out->set_effective_sample_size(r.effective_sample_size);
  out->set_mean_weight(r.mean_weight);
  out->set_max_weight(r.max_weight);
  out->set_match_rate(r.match_rate);
  out->set_unsupported_mass(r.unsupported_mass);
  out->set_unsupported_decisions(r.unsupported_decisions);
  for (const std::string& w : r.warnings) out->add_warnings(w);
  out->set_seconds(r.seconds);
}

// Writes from the evaluation thread, one message in flight: Write waits for OnWriteDone. The
// reactor deletes itself in OnDone, after the thread has finished with it (Finish is its last
// call), so the thread is detached.
class EvaluateReactor final : public grpc::ServerWriteReactor<v1::EvaluateResponse> {
 public:
  EvaluateReactor(Engine* engine, grpc::CallbackServerContext* context,
                  const v1::EvaluateRequest& request)
      : context_(context) {
    std::thread([this, engine, request] { Run(engine, request); }).detach();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    broken_ |= !ok;
  }
  void OnDone() override { delete this; }

 private:
  void Run(Engine* engine, v1::EvaluateRequest request) {
    absl::Status status = Evaluate(engine, request);
    Finish(ToGrpcStatus(status));
  }

  absl::Status Evaluate(Engine* engine, const v1::EvaluateRequest& request) {
    if (!(request.since_seconds() >= 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "since_seconds: must be >= 0 (0: the whole log), got ", request.since_seconds()));
    }
    absl::StatusOr<RouterSpec> candidate = CandidateSpec(request.candidate(), request.router());
    if (!candidate.ok()) return candidate.status();
    EvaluationOptions options;
    if (request.since_seconds() > 0) {
      options.window_start = absl::Now() - absl::Seconds(request.since_seconds());
    }
    if (request.progress_every() > 0) options.progress_every = request.progress_every();
    absl::StatusOr<EvaluationReport> report = engine->Evaluate(
        request.router(), *candidate, options, [this](const EvaluationProgress& p) {
          v1::EvaluateResponse message;
          message.mutable_progress()->set_events_scanned(p.events_scanned);
          message.mutable_progress()->set_events_total(p.events_total);
          message.mutable_progress()->set_decisions_evaluated(p.decisions_evaluated);
          WriteAndWait(message);
        });
    if (!report.ok()) return report.status();
    v1::EvaluateResponse message;
    ToEvaluateResult(*report, message.mutable_result());
    if (!WriteAndWait(message)) return absl::CancelledError("the client went away");
    return absl::OkStatus();
  }

  // False once a write failed (the client cancelled); later messages are dropped.
  bool WriteAndWait(const v1::EvaluateResponse& message) {
    {
      absl::MutexLock lock(&mu_);
      if (broken_ || context_->IsCancelled()) return false;
      message_ = message;
      writing_ = true;
    }
    StartWrite(&message_);
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](bool* writing) { return !*writing; }, &writing_));
    return !broken_;
  }

  grpc::CallbackServerContext* const context_;
  absl::Mutex mu_;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  v1::EvaluateResponse message_;
};

}  // namespace

grpc::ServerWriteReactor<v1::EvaluateResponse>* AdminService::Evaluate(
    grpc::CallbackServerContext* context, const v1::EvaluateRequest* request) {
  return new EvaluateReactor(engine_, context, *request);
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
