#include "tools/replay/cascade.h"

#include <algorithm>
#include <cmath>

#include "core/random.h"
#include "core/stable_hash.h"

namespace router::replay {
namespace {

double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

double SeparationForAuroc(double auroc) {
  // Φ⁻¹ by bisection: exact enough (1e-12) and called once per run.
  const double p = std::clamp(auroc, 1e-9, 1 - 1e-9);
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (Phi(mid) < p ? lo : hi) = mid;
  }
  return std::sqrt(2.0) * 0.5 * (lo + hi);
}

double VerifierScore(const Query& query, int arm, const std::string& arm_id, double auroc,
                     uint64_t seed) {
  const Outcome& o = *query.outcomes[arm];
  if (o.verifier_score) return *o.verifier_score;
  const double separation = SeparationForAuroc(auroc);
  Rng rng(Mix64(StableHash(query.id, seed) ^ StableHash(arm_id, 0x766572ULL)));
  const double latent = separation * o.quality + rng.Gaussian();
  return Phi(latent - separation / 2);
}

VerifierTable DrawVerifier(const Dataset& data, const std::vector<int>& indices, double auroc,
                           uint64_t seed) {
  VerifierTable table(indices.size(), std::vector<double>(data.arms.size(), 0.0));
  for (size_t q = 0; q < indices.size(); ++q) {
    const Query& query = data.queries[indices[q]];
    for (size_t a = 0; a < data.arms.size(); ++a) {
      if (query.outcomes[a]) table[q][a] = VerifierScore(query, a, data.arms[a], auroc, seed);
    }
  }
  return table;
}

std::vector<FixedCascade> AllFixedCascades(const Dataset& data, const std::vector<int>& indices,
                                           const VerifierTable& verifier) {
  const int arms = static_cast<int>(data.arms.size());
  const double n = static_cast<double>(indices.size());
  std::vector<FixedCascade> out;
  constexpr int kThresholds = 100;
  for (int f = 0; f < arms; ++f) {
    for (int s = 0; s < arms; ++s) {
      if (s == f) continue;
      // Per threshold step t: cost and quality sums, by sorting nothing: bucket each query by
      // the first threshold index that escalates it (v < t/100 for t > floor(100 v)).
      std::vector<double> d_cost(kThresholds + 2, 0.0), d_quality(kThresholds + 2, 0.0);
      double base_cost = 0, base_quality = 0;
      for (size_t q = 0; q < indices.size(); ++q) {
        const Query& query = data.queries[indices[q]];
        const Outcome& of = *query.outcomes[f];
        const Outcome& os = *query.outcomes[s];
        base_cost += of.cost_usd;
        base_quality += of.quality;
        const int from = std::min(kThresholds + 1, static_cast<int>(std::floor(verifier[q][f] * kThresholds)) + 1);
        d_cost[from] += os.cost_usd;
        d_quality[from] += os.quality - of.quality;
      }
      double cost = base_cost, quality = base_quality;
      for (int t = 0; t <= kThresholds; ++t) {
        cost += d_cost[t];
        quality += d_quality[t];
        FixedCascade c;
        c.first = f;
        c.second = s;
        c.threshold = static_cast<double>(t) / kThresholds;
        c.point = {cost / n, quality / n};
        out.push_back(c);
      }
    }
  }
  return out;
}

FixedCascade BestFixedAt(const std::vector<FixedCascade>& cascades,
                         const std::vector<CostQuality>& single, double cost) {
  FixedCascade best;
  best.first = -1;
  best.point.quality = -1;
  for (const FixedCascade& c : cascades) {
    if (c.point.cost <= cost && c.point.quality > best.point.quality) best = c;
  }
  for (size_t a = 0; a < single.size(); ++a) {
    if (single[a].cost <= cost && single[a].quality > best.point.quality) {
      best.first = best.second = static_cast<int>(a);
      best.threshold = 0;
      best.point = single[a];
    }
  }
  return best;
}

CascadeMetrics AnalyzeCascade(const Dataset& data, const Baselines& baselines,
                              const std::vector<int>& order,
                              const std::vector<std::vector<int>>& tried,
                              const std::vector<FixedCascade>& fixed) {
  CascadeMetrics m;
  const size_t n = std::min(order.size(), tried.size());
  if (n == 0) return m;
  for (size_t i = 0; i < n; ++i) {
    const Query& q = data.queries[order[i]];
    for (int arm : tried[i]) m.cost += q.outcomes[arm]->cost_usd;
    m.quality += q.outcomes[tried[i].back()]->quality;
    m.attempts += tried[i].size();
    m.escalated += tried[i].size() > 1 ? 1 : 0;
  }
  m.quality /= n;
  m.cost /= n;
  m.attempts /= n;
  m.escalated /= n;
  const CostQuality& best = baselines.single[baselines.best_single];
  m.rel_quality = best.quality > 0 ? m.quality / best.quality : 0;
  m.rel_cost = best.cost > 0 ? m.cost / best.cost : 0;
  m.fixed = BestFixedAt(fixed, baselines.single, m.cost);
  m.fixed_rel_quality = best.quality > 0 ? m.fixed.point.quality / best.quality : 0;
  const double mixture = FrontierQualityAt(baselines.frontier, m.cost);
  m.mixture_rel_quality = best.quality > 0 ? mixture / best.quality : 0;
  return m;
}

}  // namespace router::replay
