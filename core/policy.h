#ifndef BANDIT_ROUTER_CORE_POLICY_H_
#define BANDIT_ROUTER_CORE_POLICY_H_

#include <cstddef>
#include <cstdint>

#include "absl/container/inlined_vector.h"
#include "absl/types/span.h"
#include "core/specs.h"

namespace router {

// One allowed arm as the policy sees it for the current context.
struct PolicyArm {
  double quality = 0;     // predicted quality θ_qᵀx
  double quality_sd = 0;  // sqrt(xᵀA_q⁻¹x): posterior sd of the quality, in noise units
  double penalty = 0;     // (w_c + μ)·ĉ/scale_c + w_l·l̂/scale_l + w_e·ê/scale_e
  uint64_t decisions = 0;  // decisions so far, for the minimum number of tries
  bool eligible = true;    // false when over the request's max_cost_usd
};

// What the policy wrote for one arm: its exploration bonus and the utility it was ranked by.
struct PolicyScore {
  double bonus = 0;
  double score = 0;
};

struct Choice {
  size_t index = 0;        // into the arms given to Choose
  double propensity = 1;   // the true probability of this choice under the policy
  bool explored = false;   // not the best-scoring eligible arm (or a forced try)
};

// Scores arms and picks one (DESIGN §4). With probability 1 − ε the policy's own pick, with
// probability ε a uniformly random eligible arm (the exploration floor); while some eligible arm
// has fewer than min_tries decisions, the policy's own pick is replaced by a uniformly random one
// of those arms. The policy's own pick is
//   LinUCB:          argmax w_q·(q + α·sd) − penalty
//   Thompson:        argmax w_q·(q + α·sd·z) − penalty, z ~ N(0, 1) per arm (exact for disjoint
//                    per-arm models, so no θ̃ and no Cholesky factor is ever drawn)
//   ε-greedy:        argmax w_q·q − penalty
//   uniform:         a uniformly random eligible arm
// Ties go to the lowest index. Every random draw comes from `seed`, so a decision replays exactly.
// Stateless: Score and Choose are const and safe to call concurrently.
class Policy {
 public:
  explicit Policy(const PolicySpec& spec) : spec_(spec) {}

  // Writes every arm's bonus and score (`arms` and `scores` have the same length).
  void Score(absl::Span<const PolicyArm> arms, double quality_weight, uint64_t seed,
             absl::Span<PolicyScore> scores) const;

  // Picks among the eligible arms (at least one) given the scores Score wrote for the same seed.
  Choice Choose(absl::Span<const PolicyArm> arms, absl::Span<const PolicyScore> scores,
                double quality_weight, uint64_t seed) const;

  // The probability that Choose picks each arm (written to `out`, same length as `arms`; 0 for
  // an ineligible arm), for off-policy evaluation. Choose's propensity for arm i equals out[i]
  // exactly. Under Thompson sampling the probabilities do not depend on the seed of the scores;
  // under the others they depend on the scores only through the best-scoring eligible arm.
  // Costs one Thompson quadrature per eligible arm under Thompson sampling, O(arms) otherwise.
  void Probabilities(absl::Span<const PolicyArm> arms, absl::Span<const PolicyScore> scores,
                     double quality_weight, absl::Span<double> out) const;

 private:
  // The eligible arms, those below min_tries, the best-scoring eligible one, and ε.
  struct ArmSets {
    absl::InlinedVector<size_t, 32> eligible;
    absl::InlinedVector<size_t, 32> untried;
    size_t greedy = 0;
    double epsilon = 0;
  };
  ArmSets Classify(absl::Span<const PolicyArm> arms, absl::Span<const PolicyScore> scores) const;
  // The probability that Choose picks eligible arm i.
  double Propensity(absl::Span<const PolicyArm> arms, const ArmSets& sets, size_t i,
                    double quality_weight) const;
  // Probability that the policy's own pick (not the floor) is `chosen`.
  double PolicyProbability(absl::Span<const PolicyArm> arms, absl::Span<const size_t> eligible,
                           size_t chosen, size_t greedy, double quality_weight) const;

  const PolicySpec spec_;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_POLICY_H_
