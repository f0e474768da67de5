#ifndef BANDIT_ROUTER_SERVICES_HARDENING_CONFIG_H_
#define BANDIT_ROUTER_SERVICES_HARDENING_CONFIG_H_

// The parts of ServerConfig that bound and protect the server: input limits, the disk reserve,
// the backup directory, TLS and bearer tokens. Kept apart from config.cc (routers and storage).

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/limits.h"
#include "core/specs.h"
#include "router/v1/config.pb.h"

namespace router::services {

// config.limits with every default filled in (core/limits.h). InvalidArgument names the field:
// "limits.max_id_bytes: must be in [1, 65536], got 0".
[[nodiscard]] absl::StatusOr<InputLimits> ToInputLimits(const v1::ServerConfig& config);

// The configured routers against the limits: arm counts, id lengths, prices and priors.
// InvalidArgument naming "routers[i].arms[j]...".
[[nodiscard]] absl::Status CheckRoutersAgainstLimits(const std::vector<RouterSpec>& specs,
                                                     const InputLimits& limits);

// storage.min_free_bytes (default 64 MiB).
uint64_t MinFreeBytes(const v1::ServerConfig& config);

// Roles a bearer token can grant.
enum class Role { kRoute = 1, kFeedback = 2, kAdmin = 4 };
// token -> bitmask of Role.
using TokenRoles = absl::flat_hash_map<std::string, int>;

// Reads a tokens file: lines "<role>[,<role>...] <token>", '#' comments, blank lines ignored.
// InvalidArgument names the file and line (never the token); NotFound if it cannot be read.
[[nodiscard]] absl::StatusOr<TokenRoles> LoadTokensFile(const std::string& path);

// Where Backup may write: `backup_dir`/`name` for a plain name (no '/', no '.', no '..', not
// empty, at most 255 bytes). InvalidArgument saying what is allowed; FailedPrecondition when no
// backup_dir is configured.
[[nodiscard]] absl::StatusOr<std::string> BackupPath(const std::string& backup_dir,
                                                     const std::string& name);

}  // namespace router::services

#endif  // BANDIT_ROUTER_SERVICES_HARDENING_CONFIG_H_
