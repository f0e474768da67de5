#include "core/policy.h"

#include "absl/container/inlined_vector.h"
#include "core/random.h"
#include "core/stable_hash.h"
#include "core/thompson_propensity.h"

namespace router {
namespace {

// Thompson draws come from their own stream, apart from the exploration coin and index draws.
constexpr uint64_t kSampleStream = 0x74686f6d70736f6eULL;  // "thompson"

}  // namespace

void Policy::Score(absl::Span<const PolicyArm> arms, double quality_weight, uint64_t seed,
                   absl::Span<PolicyScore> scores) const {
  Rng sample_rng(Mix64(seed ^ kSampleStream));
  const double alpha = spec_.alpha;
  for (size_t i = 0; i < arms.size(); ++i) {
    const PolicyArm& a = arms[i];
    double bonus = 0;
    switch (spec_.kind) {
      case PolicyKind::kLinUcb: bonus = alpha * a.quality_sd; break;
      case PolicyKind::kThompson: bonus = alpha * a.quality_sd * sample_rng.Gaussian(); break;
      case PolicyKind::kEpsilonGreedy:
      case PolicyKind::kUniform: break;
    }
    scores[i] = PolicyScore{bonus, quality_weight * (a.quality + bonus) - a.penalty};
  }
}

Policy::ArmSets Policy::Classify(absl::Span<const PolicyArm> arms,
                                 absl::Span<const PolicyScore> scores) const {
  ArmSets sets;
  sets.greedy = arms.size();
  for (size_t i = 0; i < arms.size(); ++i) {
    if (!arms[i].eligible) continue;
    sets.eligible.push_back(i);
    if (arms[i].decisions < spec_.min_tries) sets.untried.push_back(i);
    if (sets.greedy == arms.size() || scores[i].score > scores[sets.greedy].score) sets.greedy = i;
  }
  // The uniform baseline is the exploration floor at full strength.
  sets.epsilon = spec_.kind == PolicyKind::kUniform ? 1.0 : spec_.epsilon;
  return sets;
}

double Policy::Propensity(absl::Span<const PolicyArm> arms, const ArmSets& sets, size_t i,
                          double quality_weight) const {
  const double eps = sets.epsilon;
  const double n = static_cast<double>(sets.eligible.size());
  if (!sets.untried.empty()) {
    const bool is_untried = arms[i].decisions < spec_.min_tries;
    return (1 - eps) * (is_untried ? 1.0 / sets.untried.size() : 0.0) + eps / n;
  }
  const double p_policy =
      eps >= 1.0 ? 0.0 : PolicyProbability(arms, sets.eligible, i, sets.greedy, quality_weight);
  return (1 - eps) * p_policy + eps / n;
}

Choice Policy::Choose(absl::Span<const PolicyArm> arms, absl::Span<const PolicyScore> scores,
                      double quality_weight, uint64_t seed) const {
  Rng rng(seed);
  const ArmSets sets = Classify(arms, scores);
  const bool floor_draw = rng.Uniform() < sets.epsilon;

  Choice c;
  if (!sets.untried.empty()) {
    // Forced tries are random among the untried arms, not round-robin, so that they too have a
    // propensity usable for off-policy evaluation.
    c.index = floor_draw ? sets.eligible[rng.UniformInt(sets.eligible.size())]
                         : sets.untried[rng.UniformInt(sets.untried.size())];
    c.explored = true;
  } else {
    c.index = floor_draw ? sets.eligible[rng.UniformInt(sets.eligible.size())] : sets.greedy;
    c.explored = c.index != sets.greedy;
  }
  c.propensity = Propensity(arms, sets, c.index, quality_weight);
  return c;
}

void Policy::Probabilities(absl::Span<const PolicyArm> arms,
                           absl::Span<const PolicyScore> scores, double quality_weight,
                           absl::Span<double> out) const {
  const ArmSets sets = Classify(arms, scores);
  for (size_t i = 0; i < arms.size(); ++i) out[i] = 0;
  for (size_t i : sets.eligible) out[i] = Propensity(arms, sets, i, quality_weight);
}

double Policy::PolicyProbability(absl::Span<const PolicyArm> arms,
                                 absl::Span<const size_t> eligible, size_t chosen, size_t greedy,
                                 double quality_weight) const {
  if (spec_.kind != PolicyKind::kThompson) return chosen == greedy ? 1.0 : 0.0;
  // Sampled utility of arm i: (w_q·q_i − penalty_i) + (w_q·α·sd_i)·z_i.
  absl::InlinedVector<double, 32> mean, sd;
  size_t position = 0;
  for (size_t i : eligible) {
    if (i == chosen) position = mean.size();
    mean.push_back(quality_weight * arms[i].quality - arms[i].penalty);
    sd.push_back(quality_weight * spec_.alpha * arms[i].quality_sd);
  }
  return ThompsonWinProbability(mean, sd, position);
}

}  // namespace router
