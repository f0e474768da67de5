#ifndef BANDIT_ROUTER_SERVICES_SERVER_H_
#define BANDIT_ROUTER_SERVICES_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/engine.h"
#include "core/maintenance.h"
#include "router/v1/config.pb.h"
#include "storage/rocks_store.h"

namespace grpc {
class Server;
}
namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace router::services {

class Metrics;
class ProcessMetrics;
class RouterStateMetrics;
class RouteService;
class FeedbackService;
class AdminService;
class Authorizer;

struct ServerOptions {
  v1::ServerConfig config;
  std::string data_dir = "./data";
  // host:port; port 0 picks a free port (see grpc_port()).
  std::string grpc_addr = "127.0.0.1:50051";
  // host:port of the Prometheus endpoint; port 0 picks a free port; empty disables it.
  std::string metrics_addr = "127.0.0.1:9464";
  storage::StoreOptions store;
  const Clock* clock = nullptr;  // null: the system clock
  // Ignore stored checkpoints and rebuild learned state from the whole log (--rebuild_state).
  bool rebuild_state = false;
  // How often the background thread looks for a due checkpoint or sweep (wall time).
  absl::Duration maintenance_tick = absl::Seconds(1);
};

// routerd as a library: the store, the engine (recovered from the store), metrics and the gRPC
// services, started together. Used by routerd's main and by in-process tests.
class Server {
 public:
  // Fails with the config's, the store's or the listener's error; nothing is left running.
  // A gRPC address another process (or server) already listens on fails with Unavailable naming
  // it (SO_REUSEPORT is off, so two servers never split one port's traffic between two stores).
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();

  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  Engine& engine() { return *engine_; }
  const RecoveryStats& recovery() const { return engine_->recovery(); }

  // Stops accepting calls, waits up to `grace` for running ones, stops background work and
  // writes a final checkpoint (so the next start replays nothing). Idempotent; returns the
  // checkpoint's error, if any.
  absl::Status Shutdown(absl::Duration grace = absl::Seconds(5));
  // Blocks until Shutdown.
  void Wait();

 private:
  Server() = default;

  SystemClock system_clock_;
  std::unique_ptr<storage::RocksStore> store_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<MaintenanceLoop> maintenance_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Metrics> metrics_;
  std::shared_ptr<ProcessMetrics> process_metrics_;
  std::shared_ptr<RouterStateMetrics> router_state_metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<RouteService> route_service_;
  std::unique_ptr<FeedbackService> feedback_service_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  bool shut_down_ = false;
  std::unique_ptr<Authorizer> authorizer_;
  // Health: NOT_SERVING while the data dir is full. The watcher polls the store's free space
  // every second so that health recovers once space is freed even when no write comes.
  std::atomic<bool> storage_full_{false};
  absl::Notification stop_watcher_;
  std::thread space_watcher_;
  void SetStorageFull(bool full);
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_SERVER_H_
