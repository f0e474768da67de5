#include "tools/replay/baselines.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace router::replay {
namespace {

// Cross product of (b - a) and (c - a) in the (cost, quality) plane.
double Cross(const CostQuality& a, const CostQuality& b, const CostQuality& c) {
  return (b.cost - a.cost) * (c.quality - a.quality) - (b.quality - a.quality) * (c.cost - a.cost);
}

// Better quality, then lower cost.
bool Better(const Outcome& a, const Outcome& b) {
  if (a.quality != b.quality) return a.quality > b.quality;
  return a.cost_usd < b.cost_usd;
}

}  // namespace

int OracleArm(const Query& query) {
  int best = -1;
  for (int a = 0; a < static_cast<int>(query.outcomes.size()); ++a) {
    if (!query.outcomes[a]) continue;
    if (best < 0 || Better(*query.outcomes[a], *query.outcomes[best])) best = a;
  }
  return best;
}

Baselines ComputeBaselines(const Dataset& data, const std::vector<int>& indices,
                           double correct_threshold) {
  Baselines b;
  const int arms = static_cast<int>(data.arms.size());
  b.queries = static_cast<int>(indices.size());
  b.correct_threshold = correct_threshold;
  b.single.assign(arms, CostQuality{});
  const double n = std::max<double>(1, indices.size());
  for (int i : indices) {
    const Query& q = data.queries[i];
    int cheapest = 0;
    int cheapest_correct = -1;
    for (int a = 0; a < arms; ++a) {
      const Outcome& o = *q.outcomes[a];
      b.single[a].cost += o.cost_usd / n;
      b.single[a].quality += o.quality / n;
      b.random.cost += o.cost_usd / n / arms;
      b.random.quality += o.quality / n / arms;
      if (o.cost_usd < q.outcomes[cheapest]->cost_usd) cheapest = a;
      if (o.quality >= correct_threshold &&
          (cheapest_correct < 0 || o.cost_usd < q.outcomes[cheapest_correct]->cost_usd)) {
        cheapest_correct = a;
      }
    }
    const Outcome& oracle = *q.outcomes[OracleArm(q)];
    b.oracle.cost += oracle.cost_usd / n;
    b.oracle.quality += oracle.quality / n;
    const Outcome& cc = *q.outcomes[cheapest_correct >= 0 ? cheapest_correct : cheapest];
    b.cheapest_correct.cost += cc.cost_usd / n;
    b.cheapest_correct.quality += cc.quality / n;
  }
  for (int a = 1; a < arms; ++a) {
    const CostQuality& s = b.single[a];
    const CostQuality& best = b.single[b.best_single];
    if (s.quality > best.quality || (s.quality == best.quality && s.cost < best.cost)) {
      b.best_single = a;
    }
  }

  // Upper hull by Andrew's monotone chain over points sorted by cost (higher quality first
  // among equal costs), kept only while quality still rises.
  std::vector<CostQuality> points = b.single;
  std::sort(points.begin(), points.end(), [](const CostQuality& x, const CostQuality& y) {
    return x.cost != y.cost ? x.cost < y.cost : x.quality > y.quality;
  });
  std::vector<CostQuality> hull;
  for (const CostQuality& p : points) {
    if (!hull.empty() && p.cost == hull.back().cost) continue;  // dominated by same-cost point
    if (!hull.empty() && p.quality <= hull.back().quality) continue;  // costs more, no better
    while (hull.size() >= 2 && Cross(hull[hull.size() - 2], hull.back(), p) >= 0) {
      hull.pop_back();
    }
    hull.push_back(p);
  }
  b.frontier = hull;
  return b;
}

double FrontierQualityAt(const std::vector<CostQuality>& frontier, double cost) {
  if (frontier.empty() || cost < frontier.front().cost) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  for (size_t i = 1; i < frontier.size(); ++i) {
    const CostQuality& lo = frontier[i - 1];
    const CostQuality& hi = frontier[i];
    if (cost <= hi.cost) {
      return lo.quality + (hi.quality - lo.quality) * (cost - lo.cost) / (hi.cost - lo.cost);
    }
  }
  return frontier.back().quality;
}

double FrontierCostFor(const std::vector<CostQuality>& frontier, double quality) {
  if (frontier.empty() || quality > frontier.back().quality) {
    return std::numeric_limits<double>::infinity();
  }
  if (quality <= frontier.front().quality) return frontier.front().cost;
  for (size_t i = 1; i < frontier.size(); ++i) {
    const CostQuality& lo = frontier[i - 1];
    const CostQuality& hi = frontier[i];
    if (quality <= hi.quality) {
      return lo.cost + (hi.cost - lo.cost) * (quality - lo.quality) / (hi.quality - lo.quality);
    }
  }
  return frontier.back().cost;
}

}  // namespace router::replay
