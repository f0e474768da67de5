#ifndef BANDIT_ROUTER_CORE_THOMPSON_PROPENSITY_H_
#define BANDIT_ROUTER_CORE_THOMPSON_PROPENSITY_H_

#include <cstddef>

#include "absl/types/span.h"

namespace router {

// Nodes of the quadrature below; its worst-case absolute error is 1/kThompsonQuadratureNodes.
inline constexpr int kThompsonQuadratureNodes = 128;

// Probability that arm k has the highest sampled utility when arm i's utility is
// mean[i] + sd[i]·z_i with independent z_i ~ N(0, 1) (ties, possible only where sd = 0, go to the
// lowest index, as in the policy's argmax). This is the propensity of linear Thompson sampling
// with disjoint per-arm models.
//
// Computed deterministically, not by Monte Carlo: with u = Φ(z_k),
//   P(k wins) = ∫₀¹ Π_{i≠k} Φ((mean[k] − mean[i] + sd[k]·Φ⁻¹(u)) / sd[i]) du,
// whose integrand is monotone in u, so the midpoint rule on kThompsonQuadratureNodes equal cells
// is off by at most 1/nodes (and by far less for smooth integrands: see
// tests/core/thompson_propensity_test.cc). Arms that cannot matter are pruned and the sum stops
// once the integrand is negligible, so the cost is O(nodes × competitive arms), usually small.
// `mean` and `sd` have the same length > k; sd[i] >= 0.
double ThompsonWinProbability(absl::Span<const double> mean, absl::Span<const double> sd,
                              size_t k);

// Standard normal CDF by cubic Hermite interpolation of a table (absolute error < 1e-8), a few
// times faster than std::erfc; exposed for tests.
double FastNormalCdf(double z);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_THOMPSON_PROPENSITY_H_
