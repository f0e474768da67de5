// Learning shared across arms (docs/policy.md "Shared prior" and "Full information"): the pooled
// quality model carries what every arm's feedback teaches to every arm, including one added
// later; arm_qualities train every listed arm; the state round-trips through a checkpoint.

#include <cmath>
#include <cstdio>

#include "gtest/gtest.h"
#include "tests/core/synthetic_env.h"

namespace router::testing {
namespace {

constexpr int kDim = 6;

// Every arm shares one difficulty direction v (quality base_a + 0.3·vᵀu): what a query's
// difficulty is, is common to all arms; only the offsets differ.
LinearEnv SharedDifficultyEnv(const std::vector<double>& bases) {
  LinearEnv env(kDim, bases, 0.0, /*seed=*/5);
  Rng rng(6);
  Eigen::VectorXd v = Eigen::VectorXd::Zero(kDim);
  v.tail(kDim - 1) = 0.3 * LinearEnv::UnitVector(kDim - 1, rng);
  for (int a = 0; a < env.arms(); ++a) {
    Eigen::VectorXd theta = v;
    theta(0) = bases[a];
    env.set_theta(a, theta);
  }
  return env;
}

double PredictedQuality(Router& router, const std::string& arm, const Eigen::VectorXd& x) {
  RouteQuery q;
  q.allowed_arms = {arm};
  return DecideOrDie(router, x, q, 1).ranking[0].predicted_quality;
}

// Mean absolute error of a new arm's predicted quality against the truth, after the router
// learned from the other arms' feedback only.
double NewArmError(bool shared_prior) {
  const LinearEnv env = SharedDifficultyEnv({0.5, 0.55});
  RouterSpec spec = LinearSpec(PolicyKind::kLinUcb, kDim, 2, 0.1, 0.0);
  spec.policy.shared_prior = shared_prior;
  Router router(spec);
  Rng rng(3);
  for (int t = 0; t < 2000; ++t) {
    const Eigen::VectorXd x = env.Context(rng);
    const RouteResult r = DecideOrDie(router, x, RouteQuery(), Mix64(t));
    const int arm = ArmIndex(r.decision.arm);
    Signals s;
    s.judge_score = env.Mean(arm, x) + 0.1 * rng.Gaussian();
    LearnOrDie(router, r.decision, s);
  }
  ArmSpec added;
  added.id = "a2";
  added.quality_prior = 0.5;
  EXPECT_TRUE(router.AddArm(added).ok());
  // The new arm's truth: base 0.5 and the shared difficulty.
  Eigen::VectorXd truth = env.theta(0);
  double error = 0;
  for (int i = 0; i < 200; ++i) {
    const Eigen::VectorXd x = env.Context(rng);
    error += std::abs(PredictedQuality(router, "a2", x) - std::clamp(truth.dot(x), 0.0, 1.0));
  }
  return error / 200;
}

TEST(SharedPriorTest, ANewArmStartsFromWhatTheOtherArmsTaught) {
  const double pooled = NewArmError(true);
  const double disjoint = NewArmError(false);
  std::printf("new arm's mean abs. error: shared prior %.4f, disjoint %.4f\n", pooled, disjoint);
  // Disjoint models know nothing of the new arm (flat 0.5: error ≈ E|0.3·vᵀu| ≈ 0.1); the shared
  // prior carries the difficulty direction learned from the other two arms (measured 0.051 vs
  // 0.115).
  EXPECT_LT(pooled, 0.5 * disjoint);
  EXPECT_LT(pooled, 0.07);  // the pool mixes both arms' offsets (0.5, 0.55)
}

TEST(FullInformationTest, ArmQualitiesTrainEveryListedArmOnce) {
  const LinearEnv env(kDim, {0.3, 0.5, 0.7}, 0.2, /*seed=*/9);
  Router router(LinearSpec(PolicyKind::kLinUcb, kDim, 3, 0.1, 0.0));
  Rng rng(4);
  constexpr int kSteps = 3000;
  for (int t = 0; t < kSteps; ++t) {
    const Eigen::VectorXd x = env.Context(rng);
    const RouteResult r = DecideOrDie(router, x, RouteQuery(), Mix64(t));
    const int arm = ArmIndex(r.decision.arm);
    Signals s;
    s.judge_score = env.Mean(arm, x);
    // Every arm's quality, the decided one included: it must not count twice.
    for (int a = 0; a < 3; ++a) s.arm_qualities.emplace_back(ArmId(a), env.Mean(a, x));
    s.arm_qualities.emplace_back("unknown-arm", 0.5);  // ignored
    LearnOrDie(router, r.decision, s);
  }
  const RouterStats stats = router.Stats();
  for (const ArmStats& a : stats.arms) {
    EXPECT_EQ(a.quality_observations, static_cast<uint64_t>(kSteps)) << a.spec.id;
  }
  // Noise-free full information: every arm's model is its truth, whether chosen or not.
  for (int i = 0; i < 50; ++i) {
    const Eigen::VectorXd x = env.Context(rng);
    for (int a = 0; a < 3; ++a) {
      EXPECT_NEAR(PredictedQuality(router, ArmId(a), x), env.Mean(a, x), 0.02) << "arm " << a;
    }
  }
}

TEST(SharedPriorTest, CheckpointRestoresTheSharedModelBitForBit) {
  const LinearEnv env = SharedDifficultyEnv({0.4, 0.6, 0.5});
  const RouterSpec spec = LinearSpec(PolicyKind::kThompson, kDim, 3, 0.2, 0.02);
  Router a(spec);
  Rng rng(12);
  for (int t = 0; t < 300; ++t) {
    const Eigen::VectorXd x = env.Context(rng);
    const RouteResult r = DecideOrDie(a, x, RouteQuery(), Mix64(t));
    LearnOrDie(a, r.decision, Thumbs(rng.Uniform() < env.Mean(ArmIndex(r.decision.arm), x)));
  }
  const RouterState state = a.ExportState();
  ASSERT_TRUE(state.shared_quality.has_value());
  Router b(spec);
  ASSERT_TRUE(b.ImportState(state, Router::ImportScope::kEverything).ok());
  for (int t = 0; t < 50; ++t) {
    const Eigen::VectorXd x = env.Context(rng);
    const RouteResult ra = DecideOrDie(a, x, RouteQuery(), Mix64(1000 + t));
    const RouteResult rb = DecideOrDie(b, x, RouteQuery(), Mix64(1000 + t));
    ASSERT_EQ(ra.decision.arm, rb.decision.arm);
    ASSERT_EQ(ra.decision.propensity, rb.decision.propensity);
    ASSERT_EQ(ra.decision.predicted_quality, rb.decision.predicted_quality);
    const Signals s = Thumbs(rng.Uniform() < 0.5);
    LearnOrDie(a, ra.decision, s);
    LearnOrDie(b, rb.decision, s);
  }
  RouterSpec without = spec;
  without.policy.shared_prior = false;
  Router c(without);
  const absl::Status refused = c.ImportState(state, Router::ImportScope::kEverything);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition) << refused;
}

}  // namespace
}  // namespace router::testing
