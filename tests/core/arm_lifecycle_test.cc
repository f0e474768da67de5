// Acceptance 4 and the arm lifecycle: an arm added at run time starts from its priors and, when it
// is better, takes over; a disabled arm is never chosen and keeps what it learned.

#include <cstdio>

#include "gtest/gtest.h"
#include "tests/core/synthetic_env.h"

namespace router::testing {
namespace {

constexpr int kDim = 16;
constexpr int kSteps = 15000;

class ArmLifecycleTest : public ::testing::TestWithParam<PolicyKind> {};

TEST_P(ArmLifecycleTest, BetterArmAddedAtOneThirdTakesOver) {
  LinearEnv env(kDim, {0.5, 0.6, 0.55}, 0.2, /*seed=*/31);
  RouterSpec spec = LinearSpec(GetParam(), kDim, env.arms(),
                               GetParam() == PolicyKind::kThompson ? 0.2 : 0.3, 0.02);
  spec.policy.min_tries = 10;
  Router router(spec);
  Rng rng(12);
  int new_arm_last_2000 = 0;
  int new_arm_after_add = 0;
  for (int t = 0; t < kSteps; ++t) {
    if (t == kSteps / 3) {
      Eigen::VectorXd theta = env.theta(1);
      theta(0) = 0.75;  // better than every old arm in every context
      env.AddArm(theta);
      ArmSpec arm;
      arm.id = ArmId(3);
      arm.quality_prior = 0.5;  // the router does not know it is better
      ASSERT_TRUE(router.AddArm(arm).ok());
    }
    const Eigen::VectorXd x = env.Context(rng);
    const RouteResult r = DecideOrDie(router, x, RouteQuery(), Mix64(4000 + t));
    const int arm = ArmIndex(r.decision.arm);
    LearnOrDie(router, r.decision, Thumbs(rng.Uniform() < env.Mean(arm, x)));
    new_arm_after_add += arm == 3;
    if (t >= kSteps - 2000) new_arm_last_2000 += arm == 3;
  }
  const double last = new_arm_last_2000 / 2000.0;
  const double overall = new_arm_after_add / (kSteps - kSteps / 3.0);
  std::printf("added arm: %.3f of the last 2000 decisions, %.3f of all decisions since added\n",
              last, overall);
  EXPECT_GT(last, 0.5);
  EXPECT_GT(overall, 0.5);
}

TEST_P(ArmLifecycleTest, DisabledArmIsNeverChosenAndKeepsItsState) {
  LinearEnv env(kDim, {0.5, 0.7, 0.55}, 0.1, /*seed=*/32);
  Router router(LinearSpec(GetParam(), kDim, env.arms(), 0.3, 0.1));
  Rng rng(13);
  auto play = [&](int steps, int base) {
    std::vector<int> counts(env.arms(), 0);
    for (int t = 0; t < steps; ++t) {
      const Eigen::VectorXd x = env.Context(rng);
      const RouteResult r = DecideOrDie(router, x, RouteQuery(), Mix64(base + t));
      const int arm = ArmIndex(r.decision.arm);
      ++counts[arm];
      LearnOrDie(router, r.decision, Thumbs(rng.Uniform() < env.Mean(arm, x)));
    }
    return counts;
  };
  play(2000, 0);
  const ArmStats before = router.Stats().arms[1];
  ASSERT_TRUE(router.SetArmDisabled(ArmId(1), true).ok());
  const std::vector<int> while_disabled = play(2000, 10000);
  EXPECT_EQ(while_disabled[1], 0);
  const ArmStats during = router.Stats().arms[1];
  EXPECT_TRUE(during.spec.disabled);
  EXPECT_EQ(during.decisions, before.decisions);
  EXPECT_EQ(during.quality_observations, before.quality_observations);
  EXPECT_EQ(during.prior_quality, before.prior_quality);  // the model is untouched

  // Allowing only the disabled arm is a precondition failure, not a silent fallback.
  RouteQuery only_disabled;
  only_disabled.allowed_arms = {ArmId(1)};
  EXPECT_EQ(router.DecideFeatures(env.Context(rng), only_disabled, 1).status().code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(router.SetArmDisabled(ArmId(1), false).ok());
  const std::vector<int> re_enabled = play(1000, 20000);
  // It comes back with what it knew: the best arm again, without relearning from scratch.
  EXPECT_GT(re_enabled[1], 800);
}

TEST(ArmLifecycleErrorsTest, AddAndDisableReportErrors) {
  Router router(LinearSpec(PolicyKind::kLinUcb, 4, 2, 0.3, 0.02));
  ArmSpec dup;
  dup.id = ArmId(0);
  EXPECT_EQ(router.AddArm(dup).status().code(), absl::StatusCode::kAlreadyExists);
  ArmSpec bad;
  bad.id = "new";
  bad.quality_prior = 1.5;
  EXPECT_EQ(router.AddArm(bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(router.SetArmDisabled("nope", true).status().code(), absl::StatusCode::kNotFound);
  // Prices become the prior cost of an added arm.
  ArmSpec priced;
  priced.id = "priced";
  priced.input_price_per_mtok = 2;
  priced.output_price_per_mtok = 10;
  ASSERT_TRUE(router.AddArm(priced).ok());
  Eigen::VectorXd x = Eigen::VectorXd::Zero(4);
  x(0) = 1;
  RouteQuery query;
  query.allowed_arms = {"priced"};
  const RouteResult r = DecideOrDie(router, x, query, 1);
  EXPECT_NEAR(r.decision.predicted_cost_usd, (2.0 * 500 + 10.0 * 300) / 1e6, 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Policies, ArmLifecycleTest,
                         ::testing::Values(PolicyKind::kLinUcb, PolicyKind::kThompson));

}  // namespace
}  // namespace router::testing
