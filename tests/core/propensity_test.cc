// Acceptance 5: logged propensities are the true probabilities of the choices, so logged data
// supports off-policy evaluation (IPS); and a decision replays exactly from its seed.

#include <cstdio>
#include <vector>

#include "gtest/gtest.h"
#include "tests/core/synthetic_env.h"

namespace router::testing {
namespace {

constexpr int kDim = 4;
constexpr int kDecisions = 50000;
const std::vector<double> kTrueQuality = {0.45, 0.5, 0.55, 0.6};

Eigen::VectorXd FixedContext() {
  Eigen::VectorXd x(kDim);
  x << 1.0, 0.6, 0.8, 0.0;
  return x;
}

RouterSpec Spec(PolicyKind kind, double alpha = 0.4) {
  RouterSpec spec = LinearSpec(kind, kDim, kTrueQuality.size(), alpha, /*epsilon=*/0.05);
  spec.policy.min_tries = 3;
  return spec;
}

// What was logged about each arm over many decisions.
struct Log {
  std::vector<int> chosen = std::vector<int>(kTrueQuality.size(), 0);
  std::vector<double> propensity_sum = std::vector<double>(kTrueQuality.size(), 0);
  // IPS: Σ 1[a_t = a]·r_t / p_t and Σ 1[a_t = a] / p_t (the latter has expectation T exactly
  // when every logged p_t is the true probability of the arm at step t).
  std::vector<double> ips_value = std::vector<double>(kTrueQuality.size(), 0);
  std::vector<double> ips_one = std::vector<double>(kTrueQuality.size(), 0);
};

// Decides kDecisions times at the fixed context, drawing a Bernoulli reward for the chosen arm,
// and learning from it when `learn`.
Log Collect(Router& router, bool learn, uint64_t seed) {
  Rng rng(seed);
  Log log;
  const Eigen::VectorXd x = FixedContext();
  for (int t = 0; t < kDecisions; ++t) {
    const RouteResult r = DecideOrDie(router, x, RouteQuery(), Mix64(seed + t));
    const int a = ArmIndex(r.decision.arm);
    const double p = r.decision.propensity;
    const bool up = rng.Uniform() < kTrueQuality[a];
    ++log.chosen[a];
    log.propensity_sum[a] += p;
    log.ips_value[a] += (up ? 1.0 : 0.0) / p;
    log.ips_one[a] += 1.0 / p;
    if (learn) LearnOrDie(router, r.decision, Thumbs(up));
  }
  return log;
}

// Trains briefly so that the arms' posteriors differ but still overlap (every arm keeps a real
// chance under Thompson sampling).
Decision Logged(size_t arm) {
  const Eigen::VectorXd x = FixedContext();
  Decision d;
  d.arm = ArmId(arm);
  d.features.assign(x.data(), x.data() + x.size());
  return d;
}

void Pretrain(Router& router) {
  Rng rng(99);
  for (int round = 0; round < 10; ++round) {
    for (size_t a = 0; a < kTrueQuality.size(); ++a) {
      LearnOrDie(router, Logged(a), Thumbs(rng.Uniform() < kTrueQuality[a]));
    }
  }
  // Count the pretraining rounds as tries, so that min_tries is met.
  for (size_t a = 0; a < kTrueQuality.size(); ++a) {
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(router.CountDecision(Logged(a)).ok());
  }
}

// With the state frozen each arm has one fixed probability, so its choice frequency must match the
// propensity logged with it, and IPS must recover every arm's value.
TEST(PropensityTest, ThompsonFrequenciesMatchLoggedPropensities) {
  Router router(Spec(PolicyKind::kThompson, /*alpha=*/1.0));
  Pretrain(router);
  const Log log = Collect(router, /*learn=*/false, 1);
  double worst = 0;
  for (size_t a = 0; a < kTrueQuality.size(); ++a) {
    ASSERT_GT(log.chosen[a], 0);
    const double frequency = static_cast<double>(log.chosen[a]) / kDecisions;
    const double mean_propensity = log.propensity_sum[a] / log.chosen[a];
    const double ips = log.ips_value[a] / kDecisions;
    std::printf("thompson arm %zu: frequency %.4f, mean logged propensity %.4f, IPS value %.4f "
                "(true %.2f)\n",
                a, frequency, mean_propensity, ips, kTrueQuality[a]);
    worst = std::max(worst, std::abs(frequency - mean_propensity));
    EXPECT_NEAR(frequency, mean_propensity, 0.01) << "arm " << a;
    EXPECT_NEAR(ips, kTrueQuality[a], 0.05 * kTrueQuality[a]) << "arm " << a;
  }
  std::printf("max |frequency - propensity| %.4f\n", worst);
}

class LearningPropensityTest : public ::testing::TestWithParam<PolicyKind> {};

// While learning, each step's probabilities change; Σ 1[a_t = a]/p_t still has expectation T for
// every arm, and IPS still recovers the value of the arm the policy settles on.
TEST_P(LearningPropensityTest, IpsIsUnbiasedWhileLearning) {
  Router router(Spec(GetParam()));
  const Log log = Collect(router, /*learn=*/true, 2);
  for (size_t a = 0; a < kTrueQuality.size(); ++a) {
    std::printf("arm %zu: chosen %d, sum 1/p over T %.3f, IPS value %.4f (true %.2f)\n", a,
                log.chosen[a], log.ips_one[a] / kDecisions, log.ips_value[a] / kDecisions,
                kTrueQuality[a]);
    // The rarest arm is chosen at probability about ε/K = 0.0125, so this ratio has a standard
    // error near 0.04: 0.15 is more than three of them.
    EXPECT_NEAR(log.ips_one[a] / kDecisions, 1.0, 0.15) << "arm " << a;
  }
  const size_t best = kTrueQuality.size() - 1;
  EXPECT_NEAR(log.ips_value[best] / kDecisions, kTrueQuality[best], 0.05 * kTrueQuality[best]);
}

INSTANTIATE_TEST_SUITE_P(Policies, LearningPropensityTest,
                         ::testing::Values(PolicyKind::kLinUcb, PolicyKind::kThompson));

// Two routers with the same history make the same decision from the same seed, to the bit.
TEST(PropensityTest, DecisionsReplayFromTheirSeed) {
  for (PolicyKind kind : {PolicyKind::kLinUcb, PolicyKind::kThompson,
                          PolicyKind::kEpsilonGreedy, PolicyKind::kUniform}) {
    Router a(Spec(kind)), b(Spec(kind));
    Pretrain(a);
    Pretrain(b);
    const LinearEnv env(kDim, {0.5, 0.5, 0.5, 0.5}, 0.3, 4);
    Rng rng(6);
    int differing_seeds = 0;
    for (int t = 0; t < 200; ++t) {
      const Eigen::VectorXd x = env.Context(rng);
      const RouteResult ra = DecideOrDie(a, x, RouteQuery(), 1000 + t);
      const RouteResult rb = DecideOrDie(b, x, RouteQuery(), 1000 + t);
      ASSERT_EQ(ra.decision.arm, rb.decision.arm);
      ASSERT_EQ(ra.decision.propensity, rb.decision.propensity);
      ASSERT_EQ(ra.decision.explored, rb.decision.explored);
      ASSERT_EQ(ra.ranking.size(), rb.ranking.size());
      for (size_t i = 0; i < ra.ranking.size(); ++i) {
        ASSERT_EQ(ra.ranking[i].score, rb.ranking[i].score);
      }
      // Keep the two in step, and check that the seed matters at all for random policies.
      const Signals s = Thumbs(t % 3 == 0);
      LearnOrDie(a, ra.decision, s);
      LearnOrDie(b, rb.decision, s);
      const RouteResult other = DecideOrDie(a, x, RouteQuery(), 5000 + t);
      const RouteResult other_b = DecideOrDie(b, x, RouteQuery(), 5000 + t);
      ASSERT_EQ(other.decision.arm, other_b.decision.arm);
      if (other.decision.arm != ra.decision.arm) ++differing_seeds;
    }
    if (kind == PolicyKind::kUniform || kind == PolicyKind::kThompson) {
      EXPECT_GT(differing_seeds, 10);
    }
  }
}

}  // namespace
}  // namespace router::testing
