#include "services/server.h"

#include <arpa/inet.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "services/admin_service.h"
#include "services/auth.h"
#include "services/config.h"
#include "services/hardening_config.h"
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

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Plaintext, or TLS (mutual with a client CA) from config.security.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const v1::SecurityConfig& security) {
  if (security.tls_cert_file().empty() != security.tls_key_file().empty()) {
    return absl::InvalidArgumentError(
        "security.tls_cert_file and security.tls_key_file: set both (TLS) or neither");
  }
  if (security.tls_cert_file().empty()) {
    if (!security.tls_client_ca_file().empty()) {
      return absl::InvalidArgumentError(
          "security.tls_client_ca_file: mutual TLS needs tls_cert_file and tls_key_file too");
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions options;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  ASSIGN_OR_RETURN(pair.cert_chain, ReadFile(security.tls_cert_file(), "security.tls_cert_file"));
  ASSIGN_OR_RETURN(pair.private_key, ReadFile(security.tls_key_file(), "security.tls_key_file"));
  options.pem_key_cert_pairs.push_back(std::move(pair));
  if (!security.tls_client_ca_file().empty()) {
    ASSIGN_OR_RETURN(options.pem_root_certs,
                     ReadFile(security.tls_client_ca_file(), "security.tls_client_ca_file"));
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

// Whether host:port names a loopback host (127.0.0.0/8, ::1, localhost).
bool IsLoopback(const std::string& addr) {
  std::string host = addr.substr(0, addr.rfind(':'));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

}  // namespace

void Server::SetStorageFull(bool full) {
  if (storage_full_.exchange(full) == full) return;
  std::cerr << "routerd: data dir " << (full ? "is full: refusing writes, health NOT_SERVING"
                                             : "has space again: serving")
            << std::endl;
  if (grpc_server_ != nullptr && grpc_server_->GetHealthCheckService() != nullptr) {
    grpc_server_->GetHealthCheckService()->SetServingStatus(!full);
  }
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  ASSIGN_OR_RETURN(std::vector<RouterSpec> specs, ToRouterSpecs(options.config));
  ASSIGN_OR_RETURN(StorageSettings storage, ToStorageSettings(options.config));
  storage.durability.ignore_checkpoints = options.rebuild_state;
  storage.maintenance.tick = options.maintenance_tick;
  ASSIGN_OR_RETURN(const InputLimits limits, ToInputLimits(options.config));
  RETURN_IF_ERROR(CheckRoutersAgainstLimits(specs, limits));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   ServerCredentials(options.config.security()));
  std::unique_ptr<Server> server(new Server());
  if (!options.config.security().tokens_file().empty()) {
    ASSIGN_OR_RETURN(TokenRoles tokens, LoadTokensFile(options.config.security().tokens_file()));
    server->authorizer_ = std::make_unique<Authorizer>(std::move(tokens));
  } else {
    server->authorizer_ = std::make_unique<Authorizer>();
    if (!IsLoopback(options.grpc_addr)) {
      std::cerr << "routerd: WARNING: listening on " << options.grpc_addr
                << " (not loopback) without bearer tokens: anyone who reaches the port can call "
                   "every RPC, AdminService included. Set security.tokens_file (and TLS) in the "
                   "config"
                << std::endl;
    }
  }
  const std::string backup_dir = options.config.storage().backup_dir();
  if (!backup_dir.empty() && !std::filesystem::path(backup_dir).is_absolute()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "storage.backup_dir: must be an absolute path, got ", Quote(backup_dir)));
  }
  const Clock* clock = options.clock != nullptr ? options.clock : &server->system_clock_;
  storage::StoreOptions store_options = options.store;
  store_options.min_free_bytes = MinFreeBytes(options.config);
  Server* raw_server = server.get();
  store_options.on_full_change = [raw_server](bool full) { raw_server->SetStorageFull(full); };
  ASSIGN_OR_RETURN(server->store_, storage::RocksStore::Open(options.data_dir, store_options));
  ASSIGN_OR_RETURN(server->engine_, Engine::Create(specs, server->store_.get(), clock,
                                                   storage.durability, limits));
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
      absl::Now(), [store] { return store->ApproximateSizeBytes(); },
      [raw_server, store] {
        return StorageHealth{raw_server->storage_full_.load(), store->full_rejections()};
      });
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
  const Authorizer* auth = server->authorizer_.get();
  server->route_service_ = std::make_unique<RouteService>(
      server->engine_.get(), server->metrics_.get(), version, auth);
  server->feedback_service_ =
      std::make_unique<FeedbackService>(server->engine_.get(), server->metrics_.get(), auth);
  Engine* engine = server->engine_.get();
  server->admin_service_ = std::make_unique<AdminService>(
      engine, server->metrics_.get(),
      [engine, store, backup_dir](const std::string& name) -> absl::StatusOr<BackupWritten> {
        ASSIGN_OR_RETURN(std::string dir, BackupPath(backup_dir, name));
        // The checkpoint first, so that a server started on the backup replays little.
        RETURN_IF_ERROR(engine->Checkpoint());
        const uint64_t sequence = engine->last_event_sequence();
        RETURN_IF_ERROR(store->Backup(dir));
        return BackupWritten{dir, sequence};
      },
      auth);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.grpc_addr, credentials, &server->grpc_port_);
  // Without this a second routerd on the same port binds too and the kernel splits the
  // connections between two servers with two stores.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.RegisterService(server->route_service_.get());
  builder.RegisterService(server->feedback_service_.get());
  builder.RegisterService(server->admin_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", options.grpc_addr,
                                               " (address in use or invalid?)"));
  }
  // The store may have found the disk full while starting, before there was a health service.
  if (server->store_->CheckFull()) {
    server->storage_full_ = false;
    server->SetStorageFull(true);
  }
  server->space_watcher_ = std::thread([raw_server] {
    while (!raw_server->stop_watcher_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
      raw_server->SetStorageFull(raw_server->store_->CheckFull());
    }
  });
  return server;
}

absl::Status Server::Shutdown(absl::Duration grace) {
  if (shut_down_ || grpc_server_ == nullptr) return absl::OkStatus();
  shut_down_ = true;
  stop_watcher_.Notify();
  if (space_watcher_.joinable()) space_watcher_.join();
  grpc_server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoSeconds(grace));
  admin_service_->WaitForBackup();
  maintenance_.reset();
  return engine_->Checkpoint();
}

void Server::Wait() {
  if (grpc_server_ != nullptr) grpc_server_->Wait();
}

Server::~Server() {
  if (!stop_watcher_.HasBeenNotified()) stop_watcher_.Notify();
  if (space_watcher_.joinable()) space_watcher_.join();
  if (absl::Status s = Shutdown(absl::ZeroDuration()); !s.ok()) {
    std::cerr << "routerd: final checkpoint failed (the next start replays more): " << s
              << std::endl;
  }
  // Members go in reverse order: gRPC first, the store last.
  grpc_server_.reset();
}

}  // namespace router::services
