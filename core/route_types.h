#ifndef BANDIT_ROUTER_CORE_ROUTE_TYPES_H_
#define BANDIT_ROUTER_CORE_ROUTE_TYPES_H_

// Inputs and outputs of routing and of the admin views, as plain structs.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/records.h"
#include "core/regret_tracker.h"
#include "core/specs.h"

namespace router {

struct WeightOverrides {
  std::optional<double> quality;
  std::optional<double> cost;
  std::optional<double> latency;
  std::optional<double> energy;
};

struct RouteQuery {
  std::string router;
  std::string request_id;
  std::vector<float> embedding;
  std::string text;
  std::map<std::string, std::string> attributes;
  std::vector<std::string> allowed_arms;
  WeightOverrides preferences;
  std::optional<double> max_cost_usd;
};

struct ArmScore {
  std::string arm;
  double predicted_quality = 0;
  double predicted_cost_usd = 0;
  double predicted_latency_ms = 0;
  double predicted_energy_j = 0;
  double exploration_bonus = 0;
  // sqrt(xᵀA⁻¹x) of the quality model: how unsure the router still is about this arm here.
  double posterior_sd = 0;
  double score = 0;
  bool within_budget = true;
};

struct RouteResult {
  Decision decision;
  // Chosen arm first, then the other allowed arms best first (in-budget before over-budget).
  std::vector<ArmScore> ranking;
  bool over_budget = false;
  PolicyKind policy = PolicyKind::kLinUcb;
};

struct ArmStats {
  ArmSpec spec;
  uint64_t decisions = 0;
  uint64_t quality_observations = 0;
  double quality_sum = 0;
  uint64_t cost_observations = 0;
  double cost_sum_usd = 0;
  uint64_t latency_observations = 0;
  double latency_sum_ms = 0;
  uint64_t energy_observations = 0;
  double energy_sum_j = 0;
  double prior_quality = 0;  // model mean at the bias-only context
};

struct RouterStats {
  std::string name;
  PolicyKind policy = PolicyKind::kLinUcb;
  int feature_dim = 0;
  int embedding_dim = 0;
  uint64_t decisions = 0;
  uint64_t feedback_events = 0;
  // Decisions that received at least one feedback event.
  uint64_t joined_decisions = 0;
  // Decisions that expired without any feedback; pending = decisions − joined − these.
  uint64_t expired_unanswered = 0;
  std::vector<ArmStats> arms;
  // Spend target (0: none) and the Lagrange multiplier currently added to the cost weight.
  double spend_target_usd = 0;
  double spend_multiplier = 0;
  uint64_t spend_observations = 0;  // realised costs the multiplier has seen
  double spend_cost_sum_usd = 0;
  RegretSnapshot regret;
};

// What the router expects of each active arm on one logged feature vector (Router::Forecast),
// and the weights it would score them with: what the escalation policy needs of the router.
struct ArmForecast {
  std::string arm;
  double quality = 0;
  double cost_usd = 0;
};
struct RouterForecast {
  std::vector<ArmForecast> arms;  // active arms, in the router's order
  double quality_weight = 1;
  double cost_weight = 0;  // w_c + the spend multiplier
  double cost_scale_usd = 1;
};

// How a feedback event changed a router's statistics, for metrics.
struct LearnOutcome {
  std::string router;
  std::string arm;
  std::optional<double> quality;  // every quality observation folded into one mean
  int quality_observations = 0;
  std::optional<double> cost_usd;
  std::optional<double> latency_ms;
  std::optional<double> energy_j;
  double spend_multiplier = 0;  // the router's multiplier after this event
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_ROUTE_TYPES_H_
