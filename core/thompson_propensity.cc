#include "core/thompson_propensity.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "Eigen/Dense"
#include "absl/container/inlined_vector.h"

namespace router {
namespace {

// Beyond ±kCdfRange the CDF is within 1e-17 of 0 or 1.
constexpr double kCdfRange = 8.5;
constexpr double kCdfStep = 1.0 / 32;
constexpr int kCdfPoints = static_cast<int>(2 * kCdfRange / kCdfStep) + 1;
// A factor Φ(t) with t above this is 1 to double precision for our purposes (1 − Φ < 1e-16).
constexpr double kCertainArg = 8.3;
// Gauss–Hermite is used when no competitor's factor is steeper than this in z_k (sd_k/sd_i); it
// is then within 3e-4 of the exact value with kHermiteNodes nodes (measured on random instances,
// tests/core/thompson_propensity_test.cc). Steeper factors go to the midpoint rule, whose error
// is bounded whatever the integrand.
constexpr double kSmoothSlope = 2.0;
// Integrand values below this are dropped: the integrand is monotone, so everything further down
// is smaller still and all of it together stays below nodes·kNegligible.
constexpr double kNegligible = 1e-15;

double ExactNormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

struct CdfTable {
  std::array<double, kCdfPoints> cdf;
  std::array<double, kCdfPoints> pdf_times_step;  // Hermite tangents
  CdfTable() {
    for (int i = 0; i < kCdfPoints; ++i) {
      const double z = -kCdfRange + i * kCdfStep;
      cdf[i] = ExactNormalCdf(z);
      pdf_times_step[i] = kCdfStep * std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
    }
  }
};

const CdfTable& Table() {
  static const CdfTable* const table = new CdfTable();
  return *table;
}

// z_j = Φ⁻¹((j + 0.5) / nodes): the cell midpoints in probability space, found once by bisection.
struct Nodes {
  std::array<double, kThompsonQuadratureNodes> z;
  Nodes() {
    for (int j = 0; j < kThompsonQuadratureNodes; ++j) {
      const double u = (j + 0.5) / kThompsonQuadratureNodes;
      double lo = -kCdfRange, hi = kCdfRange;
      for (int it = 0; it < 100; ++it) {
        const double mid = 0.5 * (lo + hi);
        (ExactNormalCdf(mid) < u ? lo : hi) = mid;
      }
      z[j] = 0.5 * (lo + hi);
    }
  }
};

const Nodes& QuadratureNodes() {
  static const Nodes* const nodes = new Nodes();
  return *nodes;
}

// Probabilists' Gauss–Hermite rule, E[g(Z)] ≈ Σ w_j g(z_j), by Golub–Welsch: the nodes are the
// eigenvalues of the Jacobi matrix of the Hermite polynomials, the weights the squared first
// components of its eigenvectors. Sorted by increasing z.
struct HermiteRule {
  std::array<double, kHermiteNodes> z;
  std::array<double, kHermiteNodes> w;
  HermiteRule() {
    Eigen::MatrixXd jacobi = Eigen::MatrixXd::Zero(kHermiteNodes, kHermiteNodes);
    for (int i = 0; i + 1 < kHermiteNodes; ++i) {
      jacobi(i, i + 1) = jacobi(i + 1, i) = std::sqrt(i + 1.0);
    }
    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(jacobi);
    for (int i = 0; i < kHermiteNodes; ++i) {
      z[i] = eigen.eigenvalues()(i);
      w[i] = eigen.eigenvectors()(0, i) * eigen.eigenvectors()(0, i);
    }
  }
};

const HermiteRule& Hermite() {
  static const HermiteRule* const rule = new HermiteRule();
  return *rule;
}

// A competitor whose factor in the integrand is Φ(offset + slope·z).
struct Factor {
  double offset;
  double slope;
};

// Π factors at z, stopping early once negligible.
double Integrand(absl::Span<const Factor> factors, double z) {
  double value = 1.0;
  for (const Factor& f : factors) {
    value *= FastNormalCdf(f.offset + f.slope * z);
    if (value < kNegligible) break;
  }
  return value;
}

}  // namespace

double FastNormalCdf(double z) {
  if (!(z > -kCdfRange)) return 0.0;
  if (z >= kCdfRange) return 1.0;
  const CdfTable& t = Table();
  const double pos = (z + kCdfRange) / kCdfStep;
  const int i = static_cast<int>(pos);
  const double f = pos - i;
  const double f2 = f * f, f3 = f2 * f;
  return (2 * f3 - 3 * f2 + 1) * t.cdf[i] + (f3 - 2 * f2 + f) * t.pdf_times_step[i] +
         (3 * f2 - 2 * f3) * t.cdf[i + 1] + (f3 - f2) * t.pdf_times_step[i + 1];
}

double ThompsonWinProbability(absl::Span<const double> mean, absl::Span<const double> sd,
                              size_t k) {
  const size_t n = mean.size();
  if (n == 1) return 1.0;
  const double mk = mean[k], sk = sd[k];

  if (sk == 0) {  // arm k's utility is a constant: independent competitors, closed form
    double p = 1.0;
    for (size_t i = 0; i < n; ++i) {
      if (i == k) continue;
      if (sd[i] > 0) {
        p *= ExactNormalCdf((mk - mean[i]) / sd[i]);
      } else if (i < k ? !(mk > mean[i]) : !(mk >= mean[i])) {
        return 0.0;
      }
    }
    return p;
  }

  const Nodes& nodes = QuadratureNodes();
  const HermiteRule& hermite = Hermite();
  // Pruning must hold at the lowest node of either rule.
  const double z_lowest = std::min(nodes.z[0], hermite.z[0]);
  // Competitors with sd = 0 beat k exactly when z_k <= (mean[i] − mk) / sk: a hard floor on z_k.
  double z_floor = -kCdfRange;
  absl::InlinedVector<Factor, 32> factors;
  double max_slope = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i == k) continue;
    if (sd[i] == 0) {
      z_floor = std::max(z_floor, (mean[i] - mk) / sk);
      continue;
    }
    const Factor f{(mk - mean[i]) / sd[i], sk / sd[i]};
    // Factor ≈ 1 at every node (it is smallest at the lowest one): it cannot change the sum.
    if (f.offset + f.slope * z_lowest > kCertainArg) continue;
    factors.push_back(f);
    max_slope = std::max(max_slope, f.slope);
  }

  if (z_floor == -kCdfRange && max_slope <= kSmoothSlope) {
    // Every factor is smooth on the scale of z_k: Gauss–Hermite converges fast.
    double sum = 0;
    for (int j = kHermiteNodes - 1; j >= 0; --j) {
      const double value = Integrand(factors, hermite.z[j]);
      if (value < kNegligible) break;  // monotone in z: every lower node is smaller still
      sum += hermite.w[j] * value;
    }
    return sum;
  }

  // The cell holding the hard floor counts only above it, so constant competitors are exact.
  const double u_floor = FastNormalCdf(z_floor);
  double sum = 0;
  for (int j = kThompsonQuadratureNodes - 1; j >= 0; --j) {
    const double above_floor = j + 1 - u_floor * kThompsonQuadratureNodes;
    if (above_floor <= 0) break;
    const double value = Integrand(factors, nodes.z[j]);
    if (value < kNegligible) break;  // monotone in z: every lower node is smaller still
    sum += std::min(1.0, above_floor) * value;
  }
  return sum / kThompsonQuadratureNodes;
}

}  // namespace router
