#ifndef BANDIT_ROUTER_TOOLS_REPLAY_BASELINES_H_
#define BANDIT_ROUTER_TOOLS_REPLAY_BASELINES_H_

// Baselines of a replay, computed from the same queries the router sees: each single model,
// uniform random, the oracles, and the hindsight frontier of random mixtures of single models.

#include <string>
#include <vector>

#include "tools/replay/dataset.h"

namespace router::replay {

// Mean cost (USD) and mean quality per query.
struct CostQuality {
  double cost = 0;
  double quality = 0;
};

struct Baselines {
  int queries = 0;
  std::vector<CostQuality> single;  // indexed like Dataset::arms
  // The best single model: highest mean quality, the cheaper one among ties.
  int best_single = 0;
  // Uniform random arm per query, exact expectation (the mean over arms of every query).
  CostQuality random;
  // Per query the best quality, the cheapest arm among ties.
  CostQuality oracle;
  // Per query the cheapest arm with quality >= threshold; if none, the cheapest arm.
  CostQuality cheapest_correct;
  double correct_threshold = 0.5;
  // Vertices of the upper-left convex hull of the single models' points, by increasing cost,
  // ending at the best single model: what any random mixture of single models reaches.
  std::vector<CostQuality> frontier;
};

// Needs a complete dataset on `indices` (every arm has an outcome on every query).
Baselines ComputeBaselines(const Dataset& data, const std::vector<int>& indices,
                           double correct_threshold);

// The best quality a random mixture of single models gets at mean cost <= `cost`: linear between
// hull vertices, flat beyond the last one. NaN below the cheapest model's cost (unreachable).
double FrontierQualityAt(const std::vector<CostQuality>& frontier, double cost);

// The least mean cost at which a mixture reaches `quality`: +inf above the best single model,
// the cheapest vertex's cost below it.
double FrontierCostFor(const std::vector<CostQuality>& frontier, double quality);

// Per-query oracle choice: the best quality, the cheapest among ties.
int OracleArm(const Query& query);

}  // namespace router::replay

#endif  // BANDIT_ROUTER_TOOLS_REPLAY_BASELINES_H_
