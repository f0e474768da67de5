#ifndef BANDIT_ROUTER_SERVICES_ADMIN_SERVICE_H_
#define BANDIT_ROUTER_SERVICES_ADMIN_SERVICE_H_

#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/engine.h"
#include "services/auth.h"
#include "router/v1/router.grpc.pb.h"
#include "services/metrics.h"

namespace router::services {

// Where a backup went and the last feedback sequence in it.
struct BackupWritten {
  std::string dir;
  uint64_t last_event_sequence = 0;
};
// Writes a backup of the store into a new directory named `name` (BackupRequest.dir).
using BackupFunction = std::function<absl::StatusOr<BackupWritten>(const std::string& name)>;

// router.v1.AdminService: router and arm statistics, runtime arm changes and warm-start imports
// (all logged durably), model inspection and backups.
class AdminService final : public v1::AdminService::CallbackService {
 public:
  // `auth` (must outlive the service; null: no access control) checks the 'admin' role.
  AdminService(Engine* engine, Metrics* metrics, BackupFunction backup = nullptr,
               const Authorizer* auth = nullptr)
      : engine_(engine), metrics_(metrics), backup_(std::move(backup)), auth_(auth) {}
  // Waits for a running backup.
  ~AdminService() override;

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
  grpc::ServerUnaryReactor* GetModel(grpc::CallbackServerContext* context,
                                     const v1::GetModelRequest* request,
                                     v1::GetModelResponse* response) override;
  // Runs on a thread of its own (a backup copies files and fsyncs) and replies from there.
  grpc::ServerUnaryReactor* Backup(grpc::CallbackServerContext* context,
                                   const v1::BackupRequest* request,
                                   v1::BackupResponse* response) override;

  // Blocks until a running backup has replied. For shutdown, after the server stops taking calls.
  void WaitForBackup();

 private:
  // Replies with `status`; `durable`: only once the change is durable (see Engine::WhenDurable).
  grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, Rpc rpc,
                                   absl::Time start, const absl::Status& status,
                                   bool durable = false);
  // OK, or why the call may not go on (the 'admin' role).
  absl::Status Authorize(grpc::CallbackServerContext* context, absl::string_view method) const;

  Engine* const engine_;
  Metrics* const metrics_;
  const BackupFunction backup_;
  const Authorizer* const auth_;
  absl::Mutex backup_mu_;
  bool backup_running_ ABSL_GUARDED_BY(backup_mu_) = false;
  std::thread backup_thread_ ABSL_GUARDED_BY(backup_mu_);
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_ADMIN_SERVICE_H_
