#ifndef BANDIT_ROUTER_SERVICES_CONFIG_H_
#define BANDIT_ROUTER_SERVICES_CONFIG_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/engine.h"
#include "core/maintenance.h"
#include "core/specs.h"
#include "router/v1/config.pb.h"

namespace router::services {

// Reads a text-proto ServerConfig. InvalidArgument names the file, line and column of a syntax
// error; NotFound if the file cannot be read.
[[nodiscard]] absl::StatusOr<v1::ServerConfig> LoadConfigFile(const std::string& path);

// The built-in configuration used when routerd gets no --config: one router, "default", with
// three demo arms priced like a small, a medium and a large hosted model.
v1::ServerConfig DefaultConfig();

// Validates the config and fills in every default. InvalidArgument names the offending field,
// e.g. "routers[0].policy.epsilon: must be in [0, 1), got 1.5".
[[nodiscard]] absl::StatusOr<std::vector<RouterSpec>> ToRouterSpecs(const v1::ServerConfig& config);

struct StorageSettings {
  DurabilityOptions durability;
  MaintenanceOptions maintenance;
};

// Validates config.storage and fills in its defaults; InvalidArgument names the field, e.g.
// "storage.decision_ttl_seconds: must be >= 1, got 0".
[[nodiscard]] absl::StatusOr<StorageSettings> ToStorageSettings(const v1::ServerConfig& config);

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_CONFIG_H_
