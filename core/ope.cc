#include "core/ope.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "core/policy.h"
#include "core/router.h"
#include "core/stable_hash.h"
#include "core/status_macros.h"

namespace router {
namespace {

Estimate MakeEstimate(double value, double std_error, double z) {
  return Estimate{value, std_error, value - z * std_error, value + z * std_error};
}

// Standard error of a mean from Σx and Σx² over n samples (sample variance, n − 1).
double MeanStdError(double sum, double sum_sq, uint64_t n) {
  if (n < 2) return 0;
  const double mean = sum / n;
  const double var = std::max(0.0, (sum_sq - n * mean * mean) / (n - 1));
  return std::sqrt(var / n);
}

// Inline capacity of the per-decision arrays (more arms still work, they allocate).
constexpr size_t kInlineArms = 32;

absl::Status CheckSameLayout(const FeatureSpec& live, const FeatureSpec& candidate) {
  auto field = [](const char* name, double live_value, double candidate_value) -> absl::Status {
    if (live_value == candidate_value) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrFormat(
        "candidate.features.%s: must equal the live router's %g, got %g (the decision log holds "
        "feature vectors, not queries, so a candidate cannot change the featurizer)",
        name, live_value, candidate_value));
  };
  RETURN_IF_ERROR(field("dim", live.dim, candidate.dim));
  RETURN_IF_ERROR(field("embedding_dim", live.embedding_dim, candidate.embedding_dim));
  RETURN_IF_ERROR(
      field("embedding_proj_dim", live.embedding_proj_dim, candidate.embedding_proj_dim));
  RETURN_IF_ERROR(field("seed", static_cast<double>(live.seed), static_cast<double>(candidate.seed)));
  return field("text_features", static_cast<int>(live.text_features),
               static_cast<int>(candidate.text_features));
}

// An arm's predicted component c (1..4, ValueComponent order).
double PredictedComponent(const ArmScore& s, int c) {
  switch (c) {
    case 1: return s.predicted_quality;
    case 2: return s.predicted_cost_usd;
    case 3: return s.predicted_latency_ms;
    default: return s.predicted_energy_j;
  }
}

}  // namespace

const char* ValueComponentName(ValueComponent c) {
  switch (c) {
    case ValueComponent::kObjective: return "objective";
    case ValueComponent::kQuality: return "quality";
    case ValueComponent::kCostUsd: return "cost_usd";
    case ValueComponent::kLatencyMs: return "latency_ms";
    case ValueComponent::kEnergyJ: return "energy_j";
  }
  return "?";
}

void OpeAccumulator::Add(double w, double r, double predicted_logged, double predicted_target) {
  ++n_;
  sum_r_ += r;
  sum_r2_ += r * r;
  sum_w_ += w;
  sum_w2_ += w * w;
  max_w_ = std::max(max_w_, w);
  sum_wr_ += w * r;
  sum_wr2_ += w * w * r * r;
  sum_w2r_ += w * w * r;
  const double dr = predicted_target + w * (r - predicted_logged);
  sum_dr_ += dr;
  sum_dr2_ += dr * dr;
}

Estimate OpeAccumulator::Logged(double z) const {
  if (n_ == 0) return {};
  return MakeEstimate(sum_r_ / n_, MeanStdError(sum_r_, sum_r2_, n_), z);
}

Estimate OpeAccumulator::Ips(double z) const {
  if (n_ == 0) return {};
  return MakeEstimate(sum_wr_ / n_, MeanStdError(sum_wr_, sum_wr2_, n_), z);
}

Estimate OpeAccumulator::Snips(double z) const {
  if (n_ == 0 || sum_w_ <= 0) return {};
  const double v = sum_wr_ / sum_w_;
  // Σ w²(r − v)² expanded into the running sums.
  const double spread = std::max(0.0, sum_wr2_ - 2 * v * sum_w2r_ + v * v * sum_w2_);
  return MakeEstimate(v, std::sqrt(spread) / sum_w_, z);
}

Estimate OpeAccumulator::DoublyRobust(double z) const {
  if (n_ == 0) return {};
  return MakeEstimate(sum_dr_ / n_, MeanStdError(sum_dr_, sum_dr2_, n_), z);
}

double OpeAccumulator::EffectiveSampleSize() const {
  return sum_w2_ > 0 ? sum_w_ * sum_w_ / sum_w2_ : 0;
}

absl::StatusOr<EvaluationReport> EvaluateCandidate(
    const RouterSpec& logging, const RouterSpec& candidate_spec, LogSnapshot& snapshot,
    const EvaluationOptions& options,
    const std::function<void(const EvaluationProgress&)>& progress) {
  const absl::Time started = absl::Now();
  RETURN_IF_ERROR(CheckSameLayout(logging.features, candidate_spec.features));
  const std::string& name = candidate_spec.name;

  Router candidate(candidate_spec);
  const Policy policy(candidate_spec.policy);
  const double candidate_quality_weight = candidate_spec.weights.quality;

  // The value is the live router's objective: what the operator is trying to improve.
  const ObjectiveWeights& w = logging.weights;
  const ObjectiveScales& scale = logging.scales;
  absl::flat_hash_map<std::string, const ArmSpec*> logging_arms;
  for (const ArmSpec& arm : logging.arms) logging_arms[arm.id] = &arm;
  auto supported = [&](const std::string& arm) {
    auto it = logging_arms.find(arm);
    return it != logging_arms.end() && !it->second->disabled;
  };

  EvaluationReport report;
  report.router = name;
  report.last_feedback_sequence = snapshot.last_feedback_sequence();
  std::vector<std::string> new_arms;
  for (const ArmSpec& arm : candidate_spec.arms) {
    if (!arm.disabled && !supported(arm.id)) new_arms.push_back(arm.id);
  }

  // Decisions made before the window count for the candidate as they did for the live router.
  absl::flat_hash_map<std::string, uint64_t> decisions_per_arm;
  {
    std::unique_ptr<LogCursor<Decision>> cursor = snapshot.Decisions(0);
    Decision d;
    while (true) {
      ASSIGN_OR_RETURN(bool more, cursor->Next(&d));
      if (!more || d.timestamp >= options.window_start) break;
      if (d.router != name || !candidate.HasArm(d.arm)) continue;
      RETURN_IF_ERROR(candidate.CountDecision(d));
      ++decisions_per_arm[d.arm];
    }
  }

  std::array<OpeAccumulator, kValueComponents> acc;
  uint64_t matches = 0;
  double unsupported_sum = 0;
  absl::InlinedVector<PolicyArm, kInlineArms> arms;
  absl::InlinedVector<PolicyScore, kInlineArms> scores;
  absl::InlinedVector<double, kInlineArms> probability;
  RouteQuery query;
  query.router = name;

  // One sample per component for an evaluated event, from the candidate's state before it learns
  // from the event.
  auto evaluate = [&](const FeedbackEvent& e) -> absl::Status {
    const Eigen::Map<const Eigen::VectorXd> x(e.features.data(), e.features.size());
    const uint64_t seed = Mix64(candidate_spec.policy.seed ^ Mix64(e.sequence));
    ASSIGN_OR_RETURN(RouteResult result, candidate.DecideFeatures(x, query, seed));
    const size_t n = result.ranking.size();
    arms.resize(n);
    scores.resize(n);
    probability.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const ArmScore& s = result.ranking[i];
      arms[i].quality = s.predicted_quality;
      arms[i].quality_sd = s.posterior_sd;
      // Score = w_q·(q + bonus) − penalty (Policy::Score), so the penalty the router priced in,
      // spend multiplier included, comes back exactly enough to rank the same way.
      arms[i].penalty = candidate_quality_weight * (s.predicted_quality + s.exploration_bonus) -
                        s.score;
      auto count = decisions_per_arm.find(s.arm);
      arms[i].decisions = count == decisions_per_arm.end() ? 0 : count->second;
      arms[i].eligible = s.within_budget;
      scores[i] = PolicyScore{s.exploration_bonus, s.score};
    }
    policy.Probabilities(arms, scores, candidate_quality_weight, absl::MakeSpan(probability));
    ++decisions_per_arm[result.decision.arm];
    if (result.decision.arm == e.arm) ++matches;

    const bool deterministic_log = e.propensity >= 1.0 - 1e-12;
    double unsupported = 0;
    size_t logged = n;
    for (size_t i = 0; i < n; ++i) {
      if (result.ranking[i].arm == e.arm) {
        logged = i;
      } else if (deterministic_log || !supported(result.ranking[i].arm)) {
        unsupported += probability[i];
      }
    }
    unsupported_sum += unsupported;
    if (unsupported > 0) ++report.unsupported_decisions;
    const double weight = logged < n ? probability[logged] / e.propensity : 0.0;

    // Observed components of the logged arm.
    std::array<std::optional<double>, kValueComponents> r;
    const Signals& sig = e.signals;
    if (sig.judge_score) {
      r[1] = *sig.judge_score;
    } else if (sig.thumbs != ThumbsSignal::kNone) {
      r[1] = sig.thumbs == ThumbsSignal::kUp ? 1.0 : 0.0;
    }
    if (sig.cost_usd) {
      r[2] = *sig.cost_usd;
    } else if (sig.input_tokens && sig.output_tokens) {
      auto it = logging_arms.find(e.arm);
      if (it != logging_arms.end()) {
        r[2] = PriorCostUsd(*it->second, static_cast<uint32_t>(*sig.input_tokens),
                            static_cast<uint32_t>(*sig.output_tokens));
      }
    }
    if (sig.latency_ms) r[3] = *sig.latency_ms;
    if (sig.energy_j) r[4] = *sig.energy_j;
    const std::array<double, kValueComponents> objective_weight = {
        0, w.quality, -w.cost / scale.cost_usd, -w.latency / scale.latency_ms,
        -w.energy / scale.energy_j};
    bool objective_known = true;
    double objective = 0;
    for (int c = 1; c < kValueComponents; ++c) {
      if (objective_weight[c] == 0) continue;
      if (!r[c]) objective_known = false;
      else objective += objective_weight[c] * *r[c];
    }
    if (objective_known) r[0] = objective;

    // The reward model: the candidate's per-arm predictions, learned from the log so far.
    auto predicted = [&](size_t i, int c) {
      if (c != 0) return PredictedComponent(result.ranking[i], c);
      double v = 0;
      for (int k = 1; k < kValueComponents; ++k) {
        if (objective_weight[k] != 0) v += objective_weight[k] * PredictedComponent(result.ranking[i], k);
      }
      return v;
    };
    // An arm the candidate does not have (or has disabled) was logged: the model has no
    // prediction for it, but its weight is 0, so DR needs none.
    for (int c = 0; c < kValueComponents; ++c) {
      if (!r[c]) continue;
      double target = 0;
      for (size_t i = 0; i < n; ++i) target += probability[i] * predicted(i, c);
      acc[c].Add(weight, *r[c], logged < n ? predicted(logged, c) : 0.0, target);
    }
    ++report.decisions_evaluated;
    return absl::OkStatus();
  };

  std::unique_ptr<LogCursor<FeedbackEvent>> cursor = snapshot.Feedback(0);
  FeedbackEvent e;
  EvaluationProgress tick;
  tick.events_total = report.last_feedback_sequence;
  while (true) {
    ASSIGN_OR_RETURN(bool more, cursor->Next(&e));
    if (!more) break;
    ++report.events_scanned;
    if (progress && options.progress_every > 0 &&
        report.events_scanned % options.progress_every == 0) {
      tick.events_scanned = report.events_scanned;
      tick.decisions_evaluated = report.decisions_evaluated;
      progress(tick);
    }
    if (e.router != name) continue;
    if (!e.imported && e.first_for_decision && e.received >= options.window_start &&
        e.propensity > 0 && static_cast<int>(e.features.size()) == candidate_spec.features.dim) {
      RETURN_IF_ERROR(evaluate(e));
    }
    if (!candidate.HasArm(e.arm)) {
      ++report.events_unknown_arm;
      continue;
    }
    Decision d;
    d.decision_id = e.decision_id;
    d.router = e.router;
    d.arm = e.arm;
    d.propensity = e.propensity;
    d.features = std::move(e.features);
    d.imported = e.imported;
    ASSIGN_OR_RETURN(LearnOutcome learned, candidate.Learn(d, e.signals));
    (void)learned;
    ++report.events_learned;
  }

  if (report.decisions_evaluated == 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "router '%s' has no decision with feedback in the window (%d feedback events scanned, %d "
        "of them learned from); widen the window or wait for feedback",
        name, report.events_scanned, report.events_learned));
  }

  for (int c = 0; c < kValueComponents; ++c) {
    ComponentReport cr;
    cr.component = static_cast<ValueComponent>(c);
    cr.samples = acc[c].samples();
    cr.logged = acc[c].Logged(options.z);
    cr.ips = acc[c].Ips(options.z);
    cr.snips = acc[c].Snips(options.z);
    cr.doubly_robust = acc[c].DoublyRobust(options.z);
    report.components.push_back(cr);
  }
  // Quality is in every evaluated sample that has a quality signal; the weights are the same
  // for every component, so take them from the component with the most samples.
  const OpeAccumulator* widest = &acc[0];
  for (const OpeAccumulator& a : acc) {
    if (a.samples() > widest->samples()) widest = &a;
  }
  report.effective_sample_size = widest->EffectiveSampleSize();
  report.mean_weight = widest->MeanWeight();
  report.max_weight = widest->MaxWeight();
  const double evaluated = static_cast<double>(report.decisions_evaluated);
  report.match_rate = matches / evaluated;
  report.unsupported_mass = unsupported_sum / evaluated;

  if (acc[0].samples() == 0) {
    report.warnings.push_back(
        "no evaluated decision has every component the objective weighs; see the components");
  }
  if (report.effective_sample_size <
      std::max(options.min_effective_samples, options.min_effective_fraction * evaluated)) {
    report.warnings.push_back(absl::StrFormat(
        "tiny effective sample size: %.1f of %d decisions (the candidate rarely makes the "
        "logged choices where they were unlikely); the intervals are wide and IPS / SNIPS rest "
        "on a few decisions",
        report.effective_sample_size, report.decisions_evaluated));
  }
  if (report.unsupported_mass > options.max_unsupported_mass) {
    report.warnings.push_back(absl::StrFormat(
        "support violation: %.1f%% of the candidate's probability (in %d decisions) is on "
        "choices the logging policy could not make%s; IPS and SNIPS count them as zero reward "
        "and DR fills them in from its reward model alone. Log with exploration (policy.epsilon "
        "> 0) to evaluate such candidates",
        100 * report.unsupported_mass, report.unsupported_decisions,
        new_arms.empty()
            ? " (decisions logged with propensity 1)"
            : absl::StrFormat(" (arms the live router lacks: %s)", absl::StrJoin(new_arms, ", "))));
  }
  if (report.events_unknown_arm > 0) {
    report.warnings.push_back(absl::StrFormat(
        "%d feedback events name arms the candidate lacks; they teach it nothing and their "
        "decisions count with weight 0",
        report.events_unknown_arm));
  }
  report.seconds = absl::ToDoubleSeconds(absl::Now() - started);
  return report;
}

}  // namespace router
