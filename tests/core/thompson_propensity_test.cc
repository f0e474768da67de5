// The Thompson-sampling propensity is a quadrature; these tests hold it against closed forms and
// against a fine reference integration, and measure the error documented in docs/policy.md.

#include "core/thompson_propensity.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "core/random.h"
#include "gtest/gtest.h"

namespace router {
namespace {

double Phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// P(k wins) by composite Simpson over z_k in [-9, 9] with 18,000 intervals and exact erfc: a
// reference far finer than the quadrature under test (the steepest factor below is 0.05 wide).
double Reference(const std::vector<double>& mean, const std::vector<double>& sd, size_t k) {
  const int intervals = 18000;
  const double lo = -9, hi = 9, h = (hi - lo) / intervals;
  double sum = 0;
  for (int j = 0; j <= intervals; ++j) {
    const double z = lo + j * h;
    double f = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
    for (size_t i = 0; i < mean.size(); ++i) {
      if (i != k) f *= Phi((mean[k] - mean[i] + sd[k] * z) / sd[i]);
    }
    sum += f * (j == 0 || j == intervals ? 1 : (j % 2 == 1 ? 4 : 2));
  }
  return sum * h / 3;
}

TEST(ThompsonPropensityTest, FastNormalCdfMatchesErfc) {
  double worst = 0;
  for (double z = -9; z <= 9; z += 0.0007) worst = std::max(worst, std::abs(FastNormalCdf(z) - Phi(z)));
  EXPECT_LT(worst, 1e-8);
}

TEST(ThompsonPropensityTest, TwoArmsMatchTheClosedForm) {
  // Two independent Gaussians: P(u_0 + s_0 z_0 > u_1 + s_1 z_1) = Φ((u_0 − u_1) / √(s_0² + s_1²)).
  Rng rng(5);
  double worst = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const std::vector<double> mean = {rng.Uniform(), rng.Uniform()};
    // sd ratios up to 1000 either way: the hard case for a fixed grid.
    const std::vector<double> sd = {0.001 + 0.3 * rng.Uniform() * rng.Uniform(),
                                    0.001 + 0.3 * rng.Uniform() * rng.Uniform()};
    const double exact = Phi((mean[0] - mean[1]) / std::hypot(sd[0], sd[1]));
    worst = std::max(worst, std::abs(ThompsonWinProbability(mean, sd, 0) - exact));
  }
  std::printf("two arms: max |error| %.2e over 2000 random instances\n", worst);
  EXPECT_LT(worst, 1.0 / kThompsonQuadratureNodes);  // the documented worst-case bound
  EXPECT_LT(worst, 4e-3);  // what it achieves even with sd ratios of several hundred
}

TEST(ThompsonPropensityTest, ManyArmsMatchAFineReference) {
  Rng rng(11);
  double worst = 0, worst_sum = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const size_t n = trial % 2 == 0 ? 5 : 16;
    std::vector<double> mean(n), sd(n);
    for (size_t i = 0; i < n; ++i) {
      mean[i] = 0.4 + 0.2 * rng.Uniform();
      sd[i] = 0.005 + 0.1 * rng.Uniform() * rng.Uniform();
    }
    double total = 0;
    for (size_t k = 0; k < n; ++k) {
      const double p = ThompsonWinProbability(mean, sd, k);
      worst = std::max(worst, std::abs(p - Reference(mean, sd, k)));
      total += p;
    }
    worst_sum = std::max(worst_sum, std::abs(total - 1));
  }
  std::printf("5 and 16 arms: max |error| %.2e, max |sum - 1| %.2e\n", worst, worst_sum);
  EXPECT_LT(worst, 2e-3);
  EXPECT_LT(worst_sum, 5e-3);
}

// Posterior sds within a factor 2 of each other (the usual case once arms have similar amounts of
// data) take the Gauss–Hermite path, which is much more accurate than the general bound.
TEST(ThompsonPropensityTest, SimilarPosteriorsAreNearlyExact) {
  Rng rng(12);
  double worst = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const size_t n = trial % 2 == 0 ? 4 : 16;
    std::vector<double> mean(n), sd(n);
    for (size_t i = 0; i < n; ++i) {
      mean[i] = 0.4 + 0.2 * rng.Uniform();
      sd[i] = 0.05 + 0.05 * rng.Uniform();
    }
    for (size_t k = 0; k < n; ++k) {
      worst = std::max(worst, std::abs(ThompsonWinProbability(mean, sd, k) - Reference(mean, sd, k)));
    }
  }
  std::printf("sd ratios <= 2, 4 and 16 arms: max |error| %.2e\n", worst);
  EXPECT_LT(worst, 5e-4);
}

TEST(ThompsonPropensityTest, DeterministicArmsAndTies) {
  // Without posterior spread the argmax is deterministic; ties go to the lowest index.
  EXPECT_EQ(ThompsonWinProbability({0.5, 0.7, 0.6}, {0, 0, 0}, 1), 1.0);
  EXPECT_EQ(ThompsonWinProbability({0.5, 0.7, 0.6}, {0, 0, 0}, 2), 0.0);
  EXPECT_EQ(ThompsonWinProbability({0.7, 0.7}, {0, 0}, 0), 1.0);
  EXPECT_EQ(ThompsonWinProbability({0.7, 0.7}, {0, 0}, 1), 0.0);
  // A constant arm against a random one: P(0.5 > 0.4 + 0.1 z) = Φ(1).
  EXPECT_NEAR(ThompsonWinProbability({0.5, 0.4}, {0, 0.1}, 0), Phi(1.0), 1e-12);
  // A random arm against a constant one: P(0.4 + 0.1 z > 0.5) = 1 − Φ(1).
  EXPECT_NEAR(ThompsonWinProbability({0.5, 0.4}, {0, 0.1}, 1), 1 - Phi(1.0), 1e-8);
  EXPECT_EQ(ThompsonWinProbability({0.3}, {0.2}, 0), 1.0);
}

}  // namespace
}  // namespace router
