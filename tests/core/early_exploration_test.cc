// Early exploration that cannot lock in. With rewards in [0, 1] and a small bonus, LinUCB locks on
// to whichever arm happened to succeed first, so the quality it reaches depends on the seed. A
// minimum number of (random) tries per arm before the policy may ignore it removes that
// seed-to-seed spread. (The prior strength λ barely changes it in this setting; see
// docs/policy.md.)

#include <cmath>
#include <cstdio>
#include <vector>

#include "gtest/gtest.h"
#include "tests/core/synthetic_env.h"

namespace router::testing {
namespace {

constexpr int kSteps = 2000;
constexpr int kSeeds = 24;
const std::vector<double> kQuality = {0.55, 0.7, 0.83};

// Mean expected quality of the chosen arms over a run.
double MeanQuality(uint32_t min_tries, double lambda, uint64_t seed, bool shared_prior = false) {
  RouterSpec spec = LinearSpec(PolicyKind::kLinUcb, 2, kQuality.size(), /*alpha=*/0.05,
                               /*epsilon=*/0);
  spec.policy.min_tries = min_tries;
  spec.policy.lambda = lambda;
  spec.policy.shared_prior = shared_prior;
  Router router(spec);
  Eigen::VectorXd x(2);
  x << 1, 0;
  Rng rng(seed);
  double total = 0;
  for (int t = 0; t < kSteps; ++t) {
    const RouteResult r = DecideOrDie(router, x, RouteQuery(), Mix64(seed * 31 + t));
    const int arm = ArmIndex(r.decision.arm);
    total += kQuality[arm];
    LearnOrDie(router, r.decision, Thumbs(rng.Uniform() < kQuality[arm]));
  }
  return total / kSteps;
}

struct Spread {
  double mean = 0, sd = 0, min = 1, max = 0;
};

Spread AcrossSeeds(uint32_t min_tries, double lambda, bool shared_prior = false) {
  std::vector<double> q;
  for (int s = 0; s < kSeeds; ++s) {
    q.push_back(MeanQuality(min_tries, lambda, 100 + s, shared_prior));
  }
  Spread out;
  for (double v : q) {
    out.mean += v / q.size();
    out.min = std::min(out.min, v);
    out.max = std::max(out.max, v);
  }
  for (double v : q) out.sd += (v - out.mean) * (v - out.mean) / (q.size() - 1);
  out.sd = std::sqrt(out.sd);
  return out;
}

TEST(EarlyExplorationTest, MinTriesShrinkSeedToSeedSpread) {
  const Spread without = AcrossSeeds(/*min_tries=*/0, /*lambda=*/1.0);
  const Spread with = AcrossSeeds(/*min_tries=*/10, /*lambda=*/1.0);
  std::printf("alpha 0.05, %d seeds: min_tries 0: quality mean %.3f sd %.3f range %.3f-%.3f; "
              "min_tries 10: mean %.3f sd %.3f range %.3f-%.3f\n",
              kSeeds, without.mean, without.sd, without.min, without.max, with.mean, with.sd,
              with.min, with.max);
  // Lock-in does happen without forced tries (some seed settles on a worse arm)...
  EXPECT_LT(without.min, 0.75);
  // ...and with them every seed finds the best arm.
  EXPECT_LT(with.sd, 0.25 * without.sd);
  EXPECT_GT(with.min, 0.8);
  EXPECT_GT(with.mean, without.mean);
}

// The shared prior removes the lock-in at its cause: an arm that failed first is no longer
// compared with an untried arm's flat prior 0.5, but with what every arm shows so far, so the
// untried arms stop looking better or worse than they are. No forced tries needed.
TEST(EarlyExplorationTest, SharedPriorRemovesLockInWithoutForcedTries) {
  const Spread disjoint = AcrossSeeds(/*min_tries=*/0, /*lambda=*/1.0, /*shared_prior=*/false);
  const Spread shared = AcrossSeeds(/*min_tries=*/0, /*lambda=*/1.0, /*shared_prior=*/true);
  std::printf("alpha 0.05, min_tries 0, %d seeds: disjoint mean %.3f sd %.3f range %.3f-%.3f; "
              "shared prior mean %.3f sd %.3f range %.3f-%.3f\n",
              kSeeds, disjoint.mean, disjoint.sd, disjoint.min, disjoint.max, shared.mean,
              shared.sd, shared.min, shared.max);
  EXPECT_LT(disjoint.min, 0.75);
  EXPECT_GT(shared.min, 0.8);
  EXPECT_LT(shared.sd, 0.25 * disjoint.sd);
}

}  // namespace
}  // namespace router::testing
