// Acceptance 6: per-request preference weights re-rank the arms from the same learned models, with
// nothing relearned.

#include "gtest/gtest.h"
#include "tests/core/synthetic_env.h"

namespace router::testing {
namespace {

TEST(PreferencesTest, CostWeightFlipsTheRankingWithoutRelearning) {
  // A cheap, weaker arm and an expensive, better one, learned from feedback.
  RouterSpec spec = LinearSpec(PolicyKind::kLinUcb, 4, 2, 0.3, /*epsilon=*/0);
  spec.policy.min_tries = 200;
  spec.scales.cost_usd = 0.01;
  Router router(spec);
  const double quality[] = {0.6, 0.8};
  const double cost[] = {0.001, 0.01};
  Eigen::VectorXd x = Eigen::VectorXd::Zero(4);
  x(0) = 1;
  x(1) = 1;
  Rng rng(3);
  for (int t = 0; t < 400; ++t) {
    const RouteResult r = DecideOrDie(router, x, RouteQuery(), t);
    const int arm = ArmIndex(r.decision.arm);
    Signals s = Thumbs(rng.Uniform() < quality[arm]);
    s.cost_usd = cost[arm];
    LearnOrDie(router, r.decision, s);
  }
  const RouterStats before = router.Stats();

  RouteQuery free;
  free.preferences.cost = 0.0;
  RouteQuery frugal;
  frugal.preferences.cost = 1.0;  // 1 quality point per cost_scale (0.01 USD)
  const RouteResult r_free = DecideOrDie(router, x, free, 1);
  const RouteResult r_frugal = DecideOrDie(router, x, frugal, 1);

  EXPECT_EQ(r_free.decision.arm, ArmId(1));    // quality only: the better arm
  EXPECT_EQ(r_frugal.decision.arm, ArmId(0));  // cost counts: the cheap arm
  EXPECT_FALSE(r_free.decision.explored);
  EXPECT_FALSE(r_frugal.decision.explored);
  // Same predictions under both weightings: the weights only enter the utility.
  auto find = [](const RouteResult& r, const std::string& id) {
    for (const ArmScore& s : r.ranking) {
      if (s.arm == id) return s;
    }
    return ArmScore{};
  };
  for (int a = 0; a < 2; ++a) {
    const ArmScore f = find(r_free, ArmId(a)), g = find(r_frugal, ArmId(a));
    EXPECT_EQ(f.predicted_quality, g.predicted_quality);
    EXPECT_EQ(f.predicted_cost_usd, g.predicted_cost_usd);
    EXPECT_NEAR(f.score - g.score, f.predicted_cost_usd / spec.scales.cost_usd, 1e-12);
  }
  // Nothing was learned by deciding.
  const RouterStats after = router.Stats();
  for (int a = 0; a < 2; ++a) {
    EXPECT_EQ(after.arms[a].prior_quality, before.arms[a].prior_quality);
    EXPECT_EQ(after.arms[a].quality_observations, before.arms[a].quality_observations);
  }

  RouteQuery negative;
  negative.preferences.latency = -1;
  EXPECT_EQ(router.DecideFeatures(x, negative, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace router::testing
