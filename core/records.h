#ifndef BANDIT_ROUTER_CORE_RECORDS_H_
#define BANDIT_ROUTER_CORE_RECORDS_H_

// What core logs and learns from: decisions, feedback events, runtime arm changes.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace router {

// One answered attempt of a cascade (Engine::Escalate): what the backend observed of the arm's
// answer, and what the escalation policy made of it.
struct Attempt {
  std::string arm;  // the arm that answered
  std::optional<double> verifier_score;  // [0, 1]
  std::optional<double> confidence;      // [0, 1]
  std::optional<uint64_t> output_tokens;
  std::optional<double> latency_ms;
  std::optional<double> cost_usd;
  // The policy's answer: the next arm to try, empty for accept.
  std::string next_arm;
  double propensity = 1.0;
  bool forced = false;    // accept without a choice (max_attempts reached, no untried arm)
  bool explored = false;  // a uniformly random action (epsilon)
  // Escalation features of the chosen action (CascadePolicy): what it learns from at feedback.
  std::vector<double> context;

  // Same arm and observed signals (what makes a repeated report a retry).
  bool SameReport(const Attempt& o) const {
    return arm == o.arm && verifier_score == o.verifier_score && confidence == o.confidence &&
           output_tokens == o.output_tokens && latency_ms == o.latency_ms &&
           cost_usd == o.cost_usd;
  }
};

struct Decision {
  std::string decision_id;
  std::string router;
  std::string arm;
  double propensity = 1.0;
  std::vector<double> features;
  absl::Time timestamp;
  std::string request_id;
  double predicted_quality = 0;
  double predicted_cost_usd = 0;
  bool explored = false;
  // An offline outcome brought in by Engine::Import: learned from, never counted as a decision.
  bool imported = false;
  // Set by the store: position in the decision log (PutDecision order), and what feedback has
  // arrived so far (updated in the same batch as each feedback event).
  uint64_t sequence = 0;
  uint32_t feedback_events = 0;  // feedback only; attempts are counted apart
  uint32_t quality_signals = 0;
  // The cascade so far (Engine::Escalate), in order; appended by the store in the same batch as
  // each attempt's event. Empty for a route-only decision.
  std::vector<Attempt> attempts;
};

enum class ThumbsSignal { kNone = 0, kUp = 1, kDown = 2 };

struct Signals {
  ThumbsSignal thumbs = ThumbsSignal::kNone;
  std::optional<double> judge_score;
  std::optional<double> latency_ms;
  std::optional<double> energy_j;
  std::optional<double> cost_usd;
  std::optional<uint64_t> input_tokens;
  std::optional<uint64_t> output_tokens;
  // Shadow evaluation: the quality every listed arm got (or would have got) on this query,
  // sorted by arm. Feeds exact regret; not learned from.
  std::vector<std::pair<std::string, double>> arm_qualities;

  bool empty() const {
    return thumbs == ThumbsSignal::kNone && !judge_score && !latency_ms && !energy_j &&
           !cost_usd && !input_tokens && !output_tokens && arm_qualities.empty();
  }
  // Signals that update the quality model (judge score, thumbs).
  int quality_signals() const {
    return (judge_score ? 1 : 0) + (thumbs != ThumbsSignal::kNone ? 1 : 0);
  }
};

struct FeedbackEvent {
  uint64_t sequence = 0;  // assigned by the store when appended
  // Set by the store when appended: no earlier event was logged for this decision.
  bool first_for_decision = false;
  std::string decision_id;
  std::string feedback_id;
  std::string source;
  Signals signals;
  absl::Time received;
  // Copied from the decision by the store when the event is appended, so the log alone replays
  // the model even after the decision has expired.
  std::string router;
  std::string arm;
  std::vector<double> features;
  double propensity = 1.0;  // for the regret accounting
  bool imported = false;    // a warm-start outcome, not a decision's feedback
  // Set for a cascade attempt logged by Engine::Escalate (signals then empty): the store appends
  // it to the decision's attempts instead of counting feedback.
  std::optional<Attempt> attempt;
  // Copied from the decision by the store for feedback (not attempts): the cascade this feedback
  // closes, so the log alone replays the escalation policy.
  std::vector<Attempt> attempts;
};

struct ArmChange {
  enum class Kind { kAdd, kSetDisabled };
  Kind kind = Kind::kAdd;
  std::string router;
  std::string arm;
  double input_price_per_mtok = 0;
  double output_price_per_mtok = 0;
  std::optional<double> quality_prior;
  bool disabled = false;
};

// What makes a router's stored feature vectors meaningful; must not change under stored state.
struct RouterLayout {
  std::string router;
  int feature_dim = 0;
  int embedding_dim = 0;
  int embedding_proj_dim = 0;
  uint64_t seed = 0;
  int text_features = 0;  // FeatureSpec::TextFeatures

  bool operator==(const RouterLayout& o) const {
    return router == o.router && feature_dim == o.feature_dim &&
           embedding_dim == o.embedding_dim && embedding_proj_dim == o.embedding_proj_dim &&
           seed == o.seed && text_features == o.text_features;
  }
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_RECORDS_H_
