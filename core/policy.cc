#include "core/policy.h"

#include "absl/container/inlined_vector.h"
#include "core/random.h"
#include "core/stable_hash.h"
#include "core/thompson_propensity.h"

namespace router {
namespace {

// Thompson draws come from their own stream, apart from the exploration coin and index draws.
constexpr uint64_t kSampleStream = 0x74686f6d70736f6eULL;  // "thompson"

using Indices = absl::InlinedVector<size_t, 32>;

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

Choice Policy::Choose(absl::Span<const PolicyArm> arms, absl::Span<const PolicyScore> scores,
                      double quality_weight, uint64_t seed) const {
  Rng rng(seed);

  Indices eligible, untried;
  size_t greedy = arms.size();
  for (size_t i = 0; i < arms.size(); ++i) {
    if (!arms[i].eligible) continue;
    eligible.push_back(i);
    if (arms[i].decisions < spec_.min_tries) untried.push_back(i);
    if (greedy == arms.size() || scores[i].score > scores[greedy].score) greedy = i;
  }
  const double n = static_cast<double>(eligible.size());
  // The uniform baseline is the exploration floor at full strength.
  const double eps = spec_.kind == PolicyKind::kUniform ? 1.0 : spec_.epsilon;
  const bool floor_draw = rng.Uniform() < eps;

  Choice c;
  if (!untried.empty()) {
    // Forced tries are random among the untried arms, not round-robin, so that they too have a
    // propensity usable for off-policy evaluation.
    c.index = floor_draw ? eligible[rng.UniformInt(eligible.size())]
                       : untried[rng.UniformInt(untried.size())];
    const bool is_untried = arms[c.index].decisions < spec_.min_tries;
    c.propensity = (1 - eps) * (is_untried ? 1.0 / untried.size() : 0.0) + eps / n;
    c.explored = true;
    return c;
  }
  c.index = floor_draw ? eligible[rng.UniformInt(eligible.size())] : greedy;
  c.explored = c.index != greedy;
  const double p_policy =
      eps >= 1.0 ? 0.0
                 : PolicyProbability(arms, eligible, c.index, greedy, quality_weight);
  c.propensity = (1 - eps) * p_policy + eps / n;
  return c;
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
