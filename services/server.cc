#include "services/server.h"

#include <exception>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "services/admin_service.h"
#include "services/config.h"
#include "services/feedback_service.h"
#include "services/metrics.h"
#include "services/process_metrics.h"
#include "services/router_state_metrics.h"
#include "services/route_service.h"

namespace router::services {
namespace {

// Embeddings of a few thousand floats plus text fit easily; anything near this is a mistake.
constexpr int kMaxMessageBytes = 16 * 1024 * 1024;
// Roughly the world-average grid (g CO₂ per kWh) when a router's config does not say.
constexpr double kDefaultGridIntensityGPerKwh = 400;

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  ASSIGN_OR_RETURN(std::vector<RouterSpec> specs, ToRouterSpecs(options.config));
  ASSIGN_OR_RETURN(StorageSettings storage, ToStorageSettings(options.config));
  storage.durability.ignore_checkpoints = options.rebuild_state;
  storage.maintenance.tick = options.maintenance_tick;
  std::unique_ptr<Server> server(new Server());
  const Clock* clock = options.clock != nullptr ? options.clock : &server->system_clock_;
  ASSIGN_OR_RETURN(server->store_, storage::RocksStore::Open(options.data_dir, options.store));
  ASSIGN_OR_RETURN(server->engine_, Engine::Create(specs, server->store_.get(), clock,
                                                   storage.durability));
  server->maintenance_ = std::make_unique<MaintenanceLoop>(
      server->engine_.get(), clock, storage.maintenance, [](const absl::Status& status) {
        // Retried at the next tick; the log keeps everything meanwhile.
        std::cerr << "routerd: background checkpoint or sweep failed: " << status << std::endl;
      });

  server->registry_ = std::make_shared<prometheus::Registry>();
  server->metrics_ = std::make_unique<Metrics>(*server->registry_);
  for (const RouterStats& stats : server->engine_->ListRouters()) {
    double intensity = kDefaultGridIntensityGPerKwh;
    for (const v1::RouterConfig& rc : options.config.routers()) {
      if (rc.name() == stats.name && rc.has_grid_intensity_g_per_kwh()) {
        intensity = rc.grid_intensity_g_per_kwh();
      }
    }
    server->metrics_->AddRouter(stats, intensity);
  }
  server->router_state_metrics_ = std::make_shared<RouterStateMetrics>(server->engine_.get());
  storage::RocksStore* store = server->store_.get();
  server->process_metrics_ = std::make_shared<ProcessMetrics>(
      absl::Now(), [store] { return store->ApproximateSizeBytes(); });
  if (!options.metrics_addr.empty()) {
    try {
      server->exposer_ = std::make_unique<prometheus::Exposer>(options.metrics_addr);
    } catch (const std::exception& e) {
      return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", options.metrics_addr,
                                                 ": ", e.what()));
    }
    server->exposer_->RegisterCollectable(server->registry_);
    server->exposer_->RegisterCollectable(server->process_metrics_);
    server->exposer_->RegisterCollectable(server->router_state_metrics_);
    const std::vector<int> ports = server->exposer_->GetListeningPorts();
    server->metrics_port_ = ports.empty() ? 0 : ports.front();
  }

  const std::string version = absl::StrCat("routerd/", BANDIT_ROUTER_VERSION);
  server->route_service_ =
      std::make_unique<RouteService>(server->engine_.get(), server->metrics_.get(), version);
  server->feedback_service_ =
      std::make_unique<FeedbackService>(server->engine_.get(), server->metrics_.get());
  Engine* engine = server->engine_.get();
  server->admin_service_ = std::make_unique<AdminService>(
      engine, server->metrics_.get(),
      [engine, store](const std::string& dir) -> absl::StatusOr<uint64_t> {
        // The checkpoint first, so that a server started on the backup replays little.
        RETURN_IF_ERROR(engine->Checkpoint());
        const uint64_t sequence = engine->LastEventSequence();
        RETURN_IF_ERROR(store->Backup(dir));
        return sequence;
      });

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.grpc_addr, grpc::InsecureServerCredentials(),
                           &server->grpc_port_);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.RegisterService(server->route_service_.get());
  builder.RegisterService(server->feedback_service_.get());
  builder.RegisterService(server->admin_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", options.grpc_addr,
                                               " (address in use or invalid?)"));
  }
  return server;
}

absl::Status Server::Shutdown(absl::Duration grace) {
  if (shut_down_ || grpc_server_ == nullptr) return absl::OkStatus();
  shut_down_ = true;
  grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(grace));
  admin_service_->WaitForBackup();
  maintenance_.reset();
  return engine_->Checkpoint();
}

void Server::Wait() {
  if (grpc_server_ != nullptr) grpc_server_->Wait();
}

Server::~Server() {
  if (absl::Status s = Shutdown(absl::ZeroDuration()); !s.ok()) {
    std::cerr << "routerd: final checkpoint failed (the next start replays more): " << s
              << std::endl;
  }
  // Members go in reverse order: gRPC first, the store last.
  grpc_server_.reset();
}

}  // namespace router::services
