#ifndef BANDIT_ROUTER_CORE_LIMITS_H_
#define BANDIT_ROUTER_CORE_LIMITS_H_

// Bounds on everything a client can send: values far beyond what any real deployment sees, so
// that no sequence of accepted requests can make learned state, a checkpoint or a metric
// non-finite, and no request can make the store or /metrics grow without bound. The defaults
// here are the only place they are written down; config.proto `limits` overrides them and
// docs/durability.md ("Limits") lists them.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/records.h"
#include "core/route_types.h"
#include "core/specs.h"

namespace router {

struct InputLimits {
  // Signals of one feedback event (or one imported outcome).
  double max_cost_usd = 10000;        // realised cost of one request
  double max_latency_ms = 86400000;   // one day
  double max_energy_j = 1e9;          // about 280 kWh
  uint64_t max_tokens = 1000000000;   // input_tokens, output_tokens
  // Arm prices (config and AddArm), USD per million tokens, and latency / energy priors.
  double max_price_per_mtok = 1000000;
  // Per-request preference weights (RouteRequest.preferences).
  double max_preference_weight = 1000000;
  // Ids and names: router, arm, decision_id, feedback_id, request_id, import id, source,
  // attribute keys.
  size_t max_id_bytes = 256;
  size_t max_text_bytes = 1 << 20;        // RouteRequest.text, ImportOutcomesRequest.text
  size_t max_attributes = 64;             // attributes per request
  size_t max_attribute_value_bytes = 4096;
  size_t max_arms_per_router = 256;       // configured plus added; also allowed_arms, outcomes
  uint64_t max_stream_items = 10000000;   // items in one StreamFeedback / ImportOutcomes call
};

// The longest piece of client input an error message quotes; longer input is cut with "...".
inline constexpr size_t kQuotedInputBytes = 64;
// `input` as an error message quotes it: at most kQuotedInputBytes, with the full length when cut.
std::string Quote(absl::string_view input);

// The checks below return InvalidArgument naming the field and the limit (e.g.
// "cost_usd must be a finite number in [0, 10000] (limits.max_cost_usd), got 1e+308").

// An id or name: non-empty when `required`, at most max_id_bytes.
absl::Status CheckId(absl::string_view field, absl::string_view value, const InputLimits& limits,
                     bool required = true);
// A feedback event's signals: presence, ranges, and arm_qualities names (checked for length here;
// whether they are arms of the router is the engine's check).
absl::Status ValidateSignals(const Signals& signals, const InputLimits& limits);
// The size limits of a query: request_id, text, attributes, allowed_arms, preference weights.
absl::Status CheckQueryLimits(const RouteQuery& query, const InputLimits& limits);
// Prices and priors of an arm against the limits (ValidateArmSpec checks signs and ranges).
absl::Status CheckArmLimits(const ArmSpec& arm, const InputLimits& limits);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_LIMITS_H_
