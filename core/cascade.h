#ifndef BANDIT_ROUTER_CORE_CASCADE_H_
#define BANDIT_ROUTER_CORE_CASCADE_H_

// Learned escalation (cascades): after an arm has answered, decide from the answer's signals
// whether to accept it or to try another arm (docs/policy.md "Cascades").
//
// A contextual bandit over {accept, each untried active arm}. For the answer of arm i and an
// action a, the context z (kCascadeFeatures values) is
//   [1, verifier score, has verifier, confidence, has confidence, position / max_attempts,
//    q̂_i(x), q̂_a(x), ĉ_a(x) / cost_scale]
// with q̂ and ĉ the router's own quality and cost forecasts on the query's features x
// (q̂_a = q̂_i and ĉ_a = 0 for accept): the query enters through what the router has learned of
// it. Per (i, a) two ridge models predict the final quality (the quality Feedback reports for
// the accepted answer) and, for escalations, the cost still to come (every later attempt,
// accepted or not) in units of cost_scale. Priors: quality = q̂_a, cost = ĉ_a. The score of an
// action is the router's own utility,
//   w_q · (θ_qᵀz + α·√(zᵀA_q⁻¹z)) − (w_c + μ) · θ_cᵀz
// (μ the spend multiplier, so a spend target prices escalations exactly like first choices);
// accept costs nothing more. The best action is taken, or with probability ε a uniformly random
// one. Everything is learned at the feedback that closes the cascade, from the attempts logged
// with it, in log order: a replay of the log rebuilds the models exactly.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "Eigen/Dense"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "core/model_state.h"
#include "core/records.h"
#include "core/specs.h"

namespace router {

inline constexpr int kCascadeFeatures = 9;

// An arm the cascade could escalate to, with the router's forecasts for this query.
struct CascadeArm {
  std::string id;
  double quality = 0;
  double cost_usd = 0;
};

struct EscalationInput {
  Attempt attempt;          // the answer just reported: arm and signals
  int position = 1;         // arms tried so far, this one included (1: the routed arm)
  double current_quality = 0;     // the router's forecast for attempt.arm
  std::vector<CascadeArm> untried;  // active arms not tried yet
  bool forced = false;      // accept without choosing (max_attempts reached, nothing untried)
  double quality_weight = 1;
  double cost_weight = 0;   // w_c + spend multiplier
};

struct EscalationChoice {
  std::string next_arm;  // empty: accept
  double propensity = 1;
  bool explored = false;
  bool forced = false;
  std::vector<double> context;  // z of the chosen action
};

// The arms a cascade tried, in order, with what each cost: attempt k's reported cost, and for
// the last arm when it was escalated to but not reported (or Feedback gave a cost for the
// accepted answer) the Feedback's cost_usd. Unknown costs are nullopt.
struct CascadeChain {
  std::vector<std::string> arms;
  std::vector<std::optional<double>> costs;
  // Sum of the costs, if all are known.
  std::optional<double> total_cost_usd() const;
};
CascadeChain ChainOf(const std::vector<Attempt>& attempts,
                     std::optional<double> feedback_cost_usd);

// What closed a cascade: the feedback's folded quality (nullopt: no quality signal), cost and
// shadow qualities, and the router's cost weight (with the multiplier) at that point.
struct CascadeClose {
  std::vector<Attempt> attempts;
  std::optional<double> quality;
  std::optional<double> feedback_cost_usd;
  std::vector<std::pair<std::string, double>> arm_qualities;
  double cost_weight = 0;
};

// Thread-safe.
class CascadePolicy {
 public:
  // `spec` validated (max_attempts <= 16, alpha >= 0, epsilon in [0, 1), lambda > 0);
  // cost_scale_usd > 0 is the router's cost unit.
  CascadePolicy(const CascadeSpec& spec, double cost_scale_usd);

  const CascadeSpec& spec() const { return spec_; }

  // The action for one answered attempt; deterministic in (state, input, seed).
  EscalationChoice Choose(const EscalationInput& input, uint64_t seed) const;

  // Counts an attempt logged by Escalate (live and in replay).
  void CountAttempt(const Attempt& attempt);

  // Learns from the feedback that closed a cascade (attempts non-empty): every logged choice's
  // model gets the final quality and, for escalations, the cost that followed it.
  void Learn(const CascadeClose& close);

  CascadeState Export() const;
  // Replaces the state. DataLoss for models of the wrong size or with non-finite numbers.
  [[nodiscard]] absl::Status Import(const CascadeState& state);

  CascadeCounters counters() const;

 private:
  struct Ridge {
    Eigen::MatrixXd a;      // λI + Σ zzᵀ
    Eigen::VectorXd b;      // λθ₀ + Σ z·y
    Eigen::MatrixXd a_inv;  // derived from a
    Eigen::VectorXd theta;  // derived
    uint64_t observations = 0;
    void Refresh();
    void Update(const Eigen::VectorXd& z, double y);
  };
  struct Model {
    Ridge quality;
    Ridge cost;
  };
  using Key = std::pair<std::string, std::string>;  // (from arm, "") or ("", escalated-to arm)
  static Key KeyOf(const std::string& from, const std::string& action);

  // The model for a key, or the prior one if never learned. REQUIRES: mu_ held.
  const Model& Find(const Key& key) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  Model& FindOrAdd(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Model Prior() const;

  const CascadeSpec spec_;
  const double cost_scale_usd_;
  const Model prior_;
  mutable absl::Mutex mu_;
  std::map<Key, Model> models_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> answered_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> accepted_ ABSL_GUARDED_BY(mu_);
  std::map<Key, uint64_t> escalations_ ABSL_GUARDED_BY(mu_);
  CascadeCounters totals_ ABSL_GUARDED_BY(mu_);  // the scalar fields only
};

// z for an action (empty `action_arm`: accept) after `attempt`, the position-th arm tried.
std::vector<double> CascadeContext(const Attempt& attempt, int position, int max_attempts,
                                   double current_quality, const CascadeArm* action,
                                   double cost_scale_usd);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_CASCADE_H_
