#ifndef BANDIT_ROUTER_CORE_OPE_H_
#define BANDIT_ROUTER_CORE_OPE_H_

// Off-policy evaluation: what a candidate router configuration would have earned on the decisions
// the live router logged, estimated from the log alone (docs/evaluation.md, "Off-policy
// evaluation"). Two layers:
//   - OpeAccumulator: the estimators on a stream of (weight, reward, predictions) samples;
//   - EvaluateCandidate: replays a log snapshot through a candidate Router and feeds them.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "core/event_store.h"
#include "core/specs.h"

namespace router {

// A value estimate with its normal-approximation confidence interval value ± z·std_error.
struct Estimate {
  double value = 0;
  double std_error = 0;
  double ci_low = 0;
  double ci_high = 0;
};

// The estimators of a target policy π's value from samples logged under a policy μ, in O(1)
// memory (running sums). Each sample is one logged decision: the importance weight
// w = π(a|x) / μ(a|x) of the logged action a, its observed reward r, the reward model's prediction
// r̂(x, a) for it, and the model's value of the target, Σ_a' π(a'|x) r̂(x, a').
//   IPS:  mean of w·r                                   (unbiased when μ > 0 wherever π > 0)
//   SNIPS: Σ w·r / Σ w                                  (biased, lower variance, in reward range)
//   DR:   mean of Σ_a' π r̂ + w·(r − r̂(x, a))          (unbiased if either μ or r̂ is right)
// Standard errors: the sample standard deviation of the summed terms over √n; for SNIPS by the
// delta method, sqrt(Σ w²(r − V)²) / Σ w.
class OpeAccumulator {
 public:
  void Add(double weight, double reward, double predicted_logged, double predicted_target);

  uint64_t samples() const { return n_; }
  // The logging policy's realised value: the mean reward.
  Estimate Logged(double z) const;
  Estimate Ips(double z) const;
  Estimate Snips(double z) const;
  Estimate DoublyRobust(double z) const;
  // (Σ w)² / Σ w²: how many samples the weighted estimate is worth; n when π = μ.
  double EffectiveSampleSize() const;
  double MeanWeight() const { return n_ ? sum_w_ / n_ : 0; }
  double MaxWeight() const { return max_w_; }

 private:
  uint64_t n_ = 0;
  double sum_r_ = 0, sum_r2_ = 0;
  double sum_w_ = 0, sum_w2_ = 0, max_w_ = 0;
  double sum_wr_ = 0, sum_wr2_ = 0;  // Σ w·r, Σ (w·r)²
  double sum_w2r_ = 0;               // Σ w²·r (for the SNIPS variance)
  double sum_dr_ = 0, sum_dr2_ = 0;
};

// What a router's value is measured in: its objective, and each component alone.
enum class ValueComponent { kObjective = 0, kQuality, kCostUsd, kLatencyMs, kEnergyJ };
inline constexpr int kValueComponents = 5;
const char* ValueComponentName(ValueComponent c);

struct ComponentReport {
  ValueComponent component = ValueComponent::kObjective;
  uint64_t samples = 0;  // evaluated decisions whose feedback carries this component
  Estimate logged;       // the logging policy's realised value
  Estimate ips;
  Estimate snips;
  Estimate doubly_robust;
};

struct EvaluationOptions {
  // Decisions whose first feedback event was received at or after this are evaluated; the log
  // before it only teaches the candidate (its models start from the same prefix as the live ones).
  absl::Time window_start = absl::InfinitePast();
  double z = 1.959963984540054;  // interval half-width in standard errors (95%)
  // Progress is reported after every this many feedback events scanned (0: never).
  uint64_t progress_every = 100000;
  // Warnings: an effective sample size below both of these...
  double min_effective_samples = 30;
  double min_effective_fraction = 0.01;
  // ...or more of the candidate's probability than this on unsupported choices.
  double max_unsupported_mass = 0.01;
};

struct EvaluationProgress {
  uint64_t events_scanned = 0;
  uint64_t events_total = 0;  // the snapshot's last feedback sequence (every router's events)
  uint64_t decisions_evaluated = 0;
};

struct EvaluationReport {
  std::string router;
  uint64_t last_feedback_sequence = 0;  // the snapshot evaluated
  uint64_t events_scanned = 0;          // feedback events read, every router's
  uint64_t events_learned = 0;          // events of this router the candidate learned from
  uint64_t decisions_evaluated = 0;
  // This router's events not learned from because the candidate has no such arm.
  uint64_t events_unknown_arm = 0;
  // Components, objective first (index = ValueComponent).
  std::vector<ComponentReport> components;
  double effective_sample_size = 0;
  double mean_weight = 0;  // ≈ 1 when the logging propensities cover the candidate
  double max_weight = 0;
  // How often the candidate's own draw picked the logged arm.
  double match_rate = 0;
  // Mean probability the candidate puts on choices the logging policy could not have made: arms
  // it lacks or has disabled, and other arms than the logged one where the logged propensity is 1.
  double unsupported_mass = 0;
  uint64_t unsupported_decisions = 0;  // decisions where that probability is > 0
  std::vector<std::string> warnings;
  double seconds = 0;
};

// Replays `snapshot`'s feedback events of router `candidate.name`, in sequence order, through a
// fresh Router built from `candidate`. Every event teaches it (Router::Learn with the logged arm
// and features, as the live router learned). For each decision's first feedback event in the
// window, before learning from it, the candidate's action distribution π(·|x) on the logged
// features (Policy::Probabilities) and its per-arm predictions (its own models, fitted on the log
// so far: the reward model of DR) give one sample per component, weighted by π(a|x) / propensity.
// The logged decisions made before the window are counted for the candidate (min_tries). Never
// touches live state; memory is the candidate's models plus O(arms).
//
// `logging` is the live router's spec with its current arms (runtime additions, disabled flags):
// its objective weights and scales define the value, its arm prices price token counts, its arms
// define support. `candidate` must be validated (services ToRouterSpecs) and use the same
// feature layout (the log holds feature vectors, not queries): InvalidArgument names the field
// otherwise.
// FailedPrecondition when the window holds no decision with feedback; the store's error if a
// read fails. Per-request preferences, allowed arms and budgets are not in the log: the candidate
// decides with its own weights over all its arms.
[[nodiscard]] absl::StatusOr<EvaluationReport> EvaluateCandidate(
    const RouterSpec& logging, const RouterSpec& candidate, LogSnapshot& snapshot,
    const EvaluationOptions& options,
    const std::function<void(const EvaluationProgress&)>& progress = nullptr);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_OPE_H_
