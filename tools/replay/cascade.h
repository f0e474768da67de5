#ifndef BANDIT_ROUTER_TOOLS_REPLAY_CASCADE_H_
#define BANDIT_ROUTER_TOOLS_REPLAY_CASCADE_H_

// Cascades in replay: the verifier signal revealed with each tried arm's recorded outcome, the
// hindsight-tuned fixed-threshold cascades (the non-learned anchor), and what a cascade run
// achieved.

#include <cstdint>
#include <string>
#include <vector>

#include "tools/replay/baselines.h"
#include "tools/replay/dataset.h"

namespace router::replay {

// The verifier score of `arm`'s answer on `query`: the dataset's `verifier_score` when it has
// one, otherwise simulated. Noise model: a latent s = d'·quality + N(0, 1) with
// d' = √2·Φ⁻¹(auroc), reported as v = Φ(s − d'/2) in (0, 1). For 0/1 qualities the scores of
// right and wrong answers are then separated with exactly this AUROC (binormal, equal
// variances); graded qualities fall in between. The draw is fixed by (seed, query id, arm) with
// the portable generator of core/random.h, so every run and baseline sees the same scores.
double VerifierScore(const Query& query, int arm, const std::string& arm_id, double auroc,
                     uint64_t seed);

// d' for an AUROC in (0, 1): √2·Φ⁻¹(auroc).
double SeparationForAuroc(double auroc);

// verifier[q][a]: the score of arm a on the q-th query of `indices`.
using VerifierTable = std::vector<std::vector<double>>;
VerifierTable DrawVerifier(const Dataset& data, const std::vector<int>& indices, double auroc,
                           uint64_t seed);

// Every two-step fixed cascade on `indices`: arm `first`, then arm `second` when the verifier
// scores the first answer below `threshold` (thresholds 0, 0.01, ..., 1). Costs add up.
struct FixedCascade {
  int first = 0;
  int second = 0;
  double threshold = 0;
  CostQuality point;
};
std::vector<FixedCascade> AllFixedCascades(const Dataset& data, const std::vector<int>& indices,
                                           const VerifierTable& verifier);

// The best quality one fixed cascade (or single model) reaches at mean cost <= `cost`, and
// which; first = -1 when none is that cheap.
FixedCascade BestFixedAt(const std::vector<FixedCascade>& cascades,
                         const std::vector<CostQuality>& single, double cost);

// What a cascade run did: per streamed query the arms tried in order (the last was accepted).
struct CascadeMetrics {
  double quality = 0;  // mean accepted quality
  double cost = 0;     // mean cost of every attempt
  double attempts = 0;  // mean arms tried per query
  double rel_quality = 0;
  double rel_cost = 0;
  double escalated = 0;  // share of queries with more than one attempt
  // The hindsight-tuned fixed cascade at this run's cost, and the mixture frontier there.
  FixedCascade fixed;
  double fixed_rel_quality = 0;
  double mixture_rel_quality = 0;
};
CascadeMetrics AnalyzeCascade(const Dataset& data, const Baselines& baselines,
                              const std::vector<int>& order,
                              const std::vector<std::vector<int>>& tried,
                              const std::vector<FixedCascade>& fixed);

}  // namespace router::replay

#endif  // BANDIT_ROUTER_TOOLS_REPLAY_CASCADE_H_
