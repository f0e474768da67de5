#include "services/hardening_config.h"

#include <cmath>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace router::services {
namespace {

constexpr uint64_t kDefaultMinFreeBytes = 64ULL << 20;

absl::Status FieldError(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// A positive finite bound, when set.
absl::Status ReadDouble(bool has, double value, absl::string_view field, double* out) {
  if (!has) return absl::OkStatus();
  if (!std::isfinite(value) || !(value > 0) || value > 1e15) {
    return FieldError(field, absl::StrFormat("must be a number in (0, 1e15], got %g", value));
  }
  *out = value;
  return absl::OkStatus();
}

template <typename T>
absl::Status ReadCount(bool has, uint64_t value, uint64_t max, absl::string_view field, T* out) {
  if (!has) return absl::OkStatus();
  if (value < 1 || value > max) {
    return FieldError(field, absl::StrFormat("must be in [1, %d], got %d", max, value));
  }
  *out = static_cast<T>(value);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<InputLimits> ToInputLimits(const v1::ServerConfig& config) {
  const v1::LimitsConfig& c = config.limits();
  InputLimits l;
  absl::Status s;
#define ROUTER_READ_DOUBLE(name)                                                       \
  if (s = ReadDouble(c.has_##name(), c.name(), "limits." #name, &l.name); !s.ok()) { \
    return s;                                                                          \
  }
#define ROUTER_READ_COUNT(name, max)                                                         \
  if (s = ReadCount(c.has_##name(), c.name(), max, "limits." #name, &l.name); !s.ok()) { \
    return s;                                                                                \
  }
  ROUTER_READ_DOUBLE(max_cost_usd)
  ROUTER_READ_DOUBLE(max_latency_ms)
  ROUTER_READ_DOUBLE(max_energy_j)
  ROUTER_READ_DOUBLE(max_price_per_mtok)
  ROUTER_READ_DOUBLE(max_preference_weight)
  // Token counts times prices must stay far from overflow: 1e12 tokens at 1e15 USD per Mtok
  // is 1e21 USD, and sums of 2^64 of those are still finite.
  ROUTER_READ_COUNT(max_tokens, 1000000000000ULL)
  ROUTER_READ_COUNT(max_id_bytes, 65536)
  ROUTER_READ_COUNT(max_text_bytes, 64ULL << 20)
  ROUTER_READ_COUNT(max_attributes, 65536)
  ROUTER_READ_COUNT(max_attribute_value_bytes, 1ULL << 20)
  ROUTER_READ_COUNT(max_arms_per_router, 65536)
  ROUTER_READ_COUNT(max_stream_items, 1ULL << 40)
#undef ROUTER_READ_DOUBLE
#undef ROUTER_READ_COUNT
  return l;
}

absl::Status CheckRoutersAgainstLimits(const std::vector<RouterSpec>& specs,
                                       const InputLimits& limits) {
  for (size_t i = 0; i < specs.size(); ++i) {
    const RouterSpec& spec = specs[i];
    const std::string at = absl::StrFormat("routers[%d]", i);
    if (auto s = CheckId("name", spec.name, limits); !s.ok()) {
      return FieldError(at + ".name", s.message());
    }
    if (spec.arms.size() > limits.max_arms_per_router) {
      return FieldError(at + ".arms",
                        absl::StrFormat("%d arms, more than limits.max_arms_per_router = %d",
                                        spec.arms.size(), limits.max_arms_per_router));
    }
    for (size_t j = 0; j < spec.arms.size(); ++j) {
      if (auto s = CheckArmLimits(spec.arms[j], limits); !s.ok()) {
        return FieldError(absl::StrFormat("%s.arms[%d]", at, j), s.message());
      }
    }
  }
  return absl::OkStatus();
}

uint64_t MinFreeBytes(const v1::ServerConfig& config) {
  return config.storage().has_min_free_bytes() ? config.storage().min_free_bytes()
                                               : kDefaultMinFreeBytes;
}

absl::StatusOr<TokenRoles> LoadTokensFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read tokens file ", path));
  TokenRoles tokens;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view rest = absl::StripAsciiWhitespace(line);
    if (rest.empty() || rest.front() == '#') continue;
    const std::vector<absl::string_view> parts =
        absl::StrSplit(rest, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrFormat("tokens file %s, line %d", path, number);
    if (parts.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": expected \"<role>[,<role>...] <token>\" (roles: route, feedback, admin)"));
    }
    int roles = 0;
    for (absl::string_view role : absl::StrSplit(parts[0], ',')) {
      if (role == "route") {
        roles |= static_cast<int>(Role::kRoute);
      } else if (role == "feedback") {
        roles |= static_cast<int>(Role::kFeedback);
      } else if (role == "admin") {
        roles |= static_cast<int>(Role::kAdmin);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": unknown role '", role.substr(0, 32), "'; expected route, feedback or admin"));
      }
    }
    if (parts[1].size() < 16) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": the token is shorter than 16 characters"));
    }
    tokens[std::string(parts[1])] |= roles;
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tokens file ", path, " holds no token; every call would be refused"));
  }
  return tokens;
}

absl::StatusOr<std::string> BackupPath(const std::string& backup_dir, const std::string& name) {
  if (backup_dir.empty()) {
    return absl::FailedPreconditionError(
        "backups are disabled: set storage.backup_dir in the server config to the directory "
        "backups go into");
  }
  if (name.empty() || name == "." || name == ".." || name.size() > 255 ||
      name.find('/') != std::string::npos || name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "backup dir must be a plain name of a new directory inside the server's "
        "storage.backup_dir (no '/', not '.' or '..', at most 255 bytes), got %s",
        Quote(name)));
  }
  return absl::StrCat(backup_dir, "/", name);
}

}  // namespace router::services
