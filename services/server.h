#ifndef BANDIT_ROUTER_SERVICES_SERVER_H_
#define BANDIT_ROUTER_SERVICES_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
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
// Process-wide settings for a process that serves (routerd, and the tools that embed a Server):
// in release builds (NDEBUG) Abseil's mutex deadlock detection is turned off. Debian's Abseil
// enables it by default, and it records every lock acquisition in a global graph: 2.3% of
// routerd's CPU per Route call (docs/benchmarks.md). Debug builds and the tests keep it on, so
// a lock-order inversion is still caught there. Call once from main, before any thread starts.
void ConfigureServingProcess();

class Server {
 public:
  // Fails with the config's, the store's or the listener's error; nothing is left running.
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
};

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_SERVER_H_
