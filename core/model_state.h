#ifndef BANDIT_ROUTER_CORE_MODEL_STATE_H_
#define BANDIT_ROUTER_CORE_MODEL_STATE_H_

// Learned state as plain data: what a checkpoint stores and what GetModel shows. Exporting a model
// and importing it into a fresh one gives a model that predicts and updates bit-identically, so
// recovery from a checkpoint plus the later events equals a full replay of the log.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace router {

// One RidgeModel. Symmetric matrices are stored as their lower triangle, column by column
// (a(0,0), a(1,0), ..., a(d-1,0), a(1,1), ...): d(d+1)/2 values.
struct RidgeState {
  std::vector<double> prior_mean;
  double lambda = 0;
  // A⁻¹ = inv_scale · (this matrix); forgetting moves only the scale between prior restores.
  std::vector<double> a_inv_lower;
  double inv_scale = 1.0;
  std::vector<double> b;
  std::vector<double> theta;
  // Forgetting bookkeeping; a_lower is empty until the first update with γ < 1.
  std::vector<double> a_lower;  // A = a_scale · (this matrix)
  double a_scale = 1.0;
  double prior_weight = 1.0;
  int updates_since_restore = 0;
  uint64_t observations = 0;
};

struct ArmState {
  std::string arm;
  // Prices the arm was learned with (tokens without a cost are priced with them).
  double input_price_per_mtok = 0;
  double output_price_per_mtok = 0;
  uint64_t decisions = 0;
  uint64_t quality_observations = 0;
  double quality_sum = 0;
  uint64_t cost_observations = 0;
  double cost_sum_usd = 0;
  uint64_t latency_observations = 0;
  double latency_sum_ms = 0;
  uint64_t energy_observations = 0;
  double energy_sum_j = 0;
  RidgeState quality;
  RidgeState cost;
  RidgeState latency;
  RidgeState energy;
};

struct RouterState {
  std::string router;
  double gamma = 1.0;  // forgetting factor the state was learned with
  // Quality source weights and spend settings the state was learned with, and the spend
  // controller's state (core/spend_controller.h).
  double thumbs_weight = 1.0;
  double judge_weight = 1.0;
  double spend_target_usd = 0;
  double spend_learning_rate = 0;
  double spend_multiplier = 0;
  uint64_t spend_observations = 0;
  double spend_cost_sum_usd = 0;
  uint64_t decisions = 0;
  uint64_t feedback_events = 0;
  std::vector<ArmState> arms;
  // The quality model pooled over every arm (PolicySpec::shared_prior); absent without it.
  std::optional<RidgeState> shared_quality;
};

// A router's state as of a point in the logs: every feedback event with sequence <=
// last_event_sequence and every decision with sequence <= last_decision_sequence is in it, and
// nothing later.
// The engine's per-router accounting of regret and joins (core/regret_tracker.h).
struct AccountingState {
  double realised_quality = 0;
  uint64_t rewarded_events = 0;
  std::vector<std::pair<std::string, double>> ips_value;
  double exact_regret = 0;
  uint64_t exact_regret_events = 0;
  uint64_t joined_decisions = 0;
  uint64_t expired_unanswered = 0;
};

// One escalation model of a cascade policy (core/cascade.h): for the answer of `from_arm`, the
// action `action` (empty: accept, else the arm escalated to). Ridge sufficient statistics
// A = λI + Σ zzᵀ (lower triangle, column by column) and b = λθ₀ + Σ z·y, for the final quality
// and (escalations only) for the cost still to come.
struct CascadeModelState {
  std::string from_arm;
  std::string action;
  std::vector<double> quality_a_lower;
  std::vector<double> quality_b;
  uint64_t quality_observations = 0;
  std::vector<double> cost_a_lower;
  std::vector<double> cost_b;
  uint64_t cost_observations = 0;
};

// What a router's cascades did, summed over the log (read by the metrics at scrape time).
struct CascadeCounters {
  // Per arm: attempts reported through Escalate, and how many of them were accepted.
  std::vector<std::pair<std::string, uint64_t>> answered;
  std::vector<std::pair<std::string, uint64_t>> accepted;
  // (from, to) -> escalations.
  std::vector<std::pair<std::pair<std::string, std::string>, uint64_t>> escalations;
  // Cascades closed by feedback, the arms they tried in all, their total cost and the part of
  // it spent on answers that were not accepted.
  uint64_t closed = 0;
  uint64_t arms_tried = 0;
  double cost_usd = 0;
  double escalation_cost_usd = 0;
  // Σ over closed cascades whose feedback carries arm_qualities of (best arm's quality −
  // accepted quality) + w_cost · (cost of the rejected attempts) / cost_scale, and how many.
  double regret = 0;
  uint64_t regret_events = 0;
};

struct CascadeState {
  std::vector<CascadeModelState> models;
  CascadeCounters counters;
};

struct RouterCheckpoint {
  uint64_t last_event_sequence = 0;
  uint64_t last_decision_sequence = 0;
  RouterState state;
  AccountingState accounting;
  CascadeState cascade;
};

struct EngineCheckpoint {
  uint64_t last_event_sequence = 0;
  uint64_t last_decision_sequence = 0;
  uint64_t decision_counter = 0;  // seeds decisions; see Engine::Route
  absl::Time created;
  std::vector<RouterCheckpoint> routers;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_MODEL_STATE_H_
