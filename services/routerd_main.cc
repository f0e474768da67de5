// routerd: the bandit-router gRPC server.

#include <csignal>
#include <cstdio>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "services/config.h"
#include "services/server.h"

ABSL_FLAG(std::string, config, "",
          "ServerConfig text proto (see proto/router/v1/config.proto); empty: the built-in "
          "demo router 'default'");
ABSL_FLAG(std::string, data_dir, "./data", "RocksDB directory for decisions, feedback and state");
ABSL_FLAG(std::string, grpc_addr, "127.0.0.1:50051", "gRPC listen address (port 0: any free port)");
ABSL_FLAG(std::string, metrics_addr, "127.0.0.1:9464",
          "Prometheus /metrics listen address; empty disables it");
ABSL_FLAG(bool, sync, false,
          "acknowledge writes only once fsync'd (survives power loss; group-committed, see "
          "docs/durability.md)");
ABSL_FLAG(uint64_t, max_wal_mb, router::storage::StoreOptions().max_wal_bytes >> 20,
          "upper bound on the RocksDB write-ahead log kept on disk, in MiB (past it, the column "
          "families that pin the oldest WAL file are flushed); 0: RocksDB's default");
ABSL_FLAG(bool, rebuild_state, false,
          "ignore stored checkpoints and rebuild learned state by replaying the whole event log "
          "(when a checkpoint fails its start-up checks)");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("bandit-router server. Example: routerd --data_dir=/var/lib/routerd");
  absl::ParseCommandLine(argc, argv);
  router::services::ConfigureServingProcess();

  // Block the stop signals before any thread starts, so that only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  router::services::ServerOptions options;
  const std::string config_path = absl::GetFlag(FLAGS_config);
  if (config_path.empty()) {
    options.config = router::services::DefaultConfig();
  } else {
    auto config = router::services::LoadConfigFile(config_path);
    if (!config.ok()) {
      std::cerr << "routerd: " << config.status().message() << std::endl;
      return 2;
    }
    options.config = *std::move(config);
  }
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.grpc_addr = absl::GetFlag(FLAGS_grpc_addr);
  options.metrics_addr = absl::GetFlag(FLAGS_metrics_addr);
  options.store.sync = absl::GetFlag(FLAGS_sync);
  options.store.max_wal_bytes = absl::GetFlag(FLAGS_max_wal_mb) << 20;
  options.rebuild_state = absl::GetFlag(FLAGS_rebuild_state);

  auto server = router::services::Server::Start(options);
  if (!server.ok()) {
    std::cerr << "routerd: cannot start: " << server.status().message() << std::endl;
    return absl::IsInvalidArgument(server.status()) ? 2 : 1;
  }
  const auto& recovered = (*server)->recovery();
  std::cout << "routerd: recovered from " << options.data_dir << ": checkpoint at event "
            << recovered.checkpoint_event_sequence << " (" << recovered.routers_from_checkpoint
            << " routers), then " << recovered.feedback_events << " feedback events replayed, "
            << recovered.decisions << " decisions counted, " << recovered.arm_changes
            << " arm changes" << std::endl;
  for (const std::string& note : recovered.notes) std::cout << "routerd: " << note << std::endl;
  std::cout << "routerd: serving gRPC on 127.0.0.1:" << (*server)->grpc_port();
  if ((*server)->metrics_port() != 0) {
    std::cout << ", metrics on http://127.0.0.1:" << (*server)->metrics_port() << "/metrics";
  }
  std::cout << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cout << "routerd: signal " << signal_number << ", shutting down" << std::endl;
  if (absl::Status s = (*server)->Shutdown(absl::Seconds(5)); !s.ok()) {
    // Nothing is lost (the log has every event); the next start replays more.
    std::cerr << "routerd: final checkpoint failed: " << s.message() << std::endl;
  }
  return 0;
}
