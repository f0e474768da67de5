// Acceptance 2: a change point. Two arms swap quality at T/2; with forgetting (γ < 1) the policy
// moves to the new best arm within 2,000 steps, without forgetting (γ = 1) it does not.

#include <cstdio>
#include <deque>

#include "gtest/gtest.h"
#include "tests/core/synthetic_env.h"

namespace router::testing {
namespace {

constexpr int kDim = 16;
constexpr int kSteps = 20000;
constexpr int kWindow = 200;   // the share is measured over the last kWindow decisions
constexpr int kDeadline = 2000;
constexpr int kOldBest = 1;
constexpr int kNewBest = 3;

struct AfterChange {
  int steps_to_80_percent = -1;  // first step after T/2 where the window share reaches 80%; -1: never
  double share_at_deadline = 0;  // share over the window ending kDeadline steps after T/2
};

AfterChange RunChangePoint(PolicyKind kind, double gamma, uint64_t seed) {
  // Arm 1 is best everywhere until T/2, then arm 3 (the two swap their parameters).
  LinearEnv env(kDim, {0.3, 0.75, 0.4, 0.55, 0.35}, 0.05, /*seed=*/77);
  RouterSpec spec = LinearSpec(kind, kDim, env.arms(), kind == PolicyKind::kThompson ? 0.2 : 0.3,
                               /*epsilon=*/0.02);
  spec.policy.gamma = gamma;
  Router router(spec);
  Rng rng(seed);
  std::deque<int> window;
  int in_window = 0;
  AfterChange out;
  for (int t = 0; t < kSteps; ++t) {
    if (t == kSteps / 2) {
      const Eigen::VectorXd old_best = env.theta(kOldBest);
      env.set_theta(kOldBest, env.theta(kNewBest));
      env.set_theta(kNewBest, old_best);
      window.clear();
      in_window = 0;
    }
    const Eigen::VectorXd x = env.Context(rng);
    const RouteResult r = DecideOrDie(router, x, RouteQuery(), Mix64(seed * 7919 + t));
    const int arm = ArmIndex(r.decision.arm);
    LearnOrDie(router, r.decision, Thumbs(rng.Uniform() < env.Mean(arm, x)));
    if (t < kSteps / 2) continue;
    const int since = t - kSteps / 2 + 1;
    window.push_back(arm == kNewBest);
    in_window += arm == kNewBest;
    if (static_cast<int>(window.size()) > kWindow) {
      in_window -= window.front();
      window.pop_front();
    }
    const double share = static_cast<double>(in_window) / kWindow;
    if (out.steps_to_80_percent < 0 && since >= kWindow && share >= 0.8) {
      out.steps_to_80_percent = since;
    }
    if (since == kDeadline) out.share_at_deadline = share;
  }
  return out;
}

class DriftTest : public ::testing::TestWithParam<PolicyKind> {};

TEST_P(DriftTest, ForgettingFollowsAChangePointAndNoForgettingIsSlower) {
  const AfterChange forgetting = RunChangePoint(GetParam(), 0.99, 5);
  const AfterChange remembering = RunChangePoint(GetParam(), 1.0, 5);
  std::printf("gamma 0.99: 80%% share after %d steps, share %.3f at +%d; gamma 1: after %d steps, "
              "share %.3f at +%d\n",
              forgetting.steps_to_80_percent, forgetting.share_at_deadline, kDeadline,
              remembering.steps_to_80_percent, remembering.share_at_deadline, kDeadline);
  ASSERT_GT(forgetting.steps_to_80_percent, 0);
  EXPECT_LE(forgetting.steps_to_80_percent, kDeadline);
  EXPECT_GT(forgetting.share_at_deadline, 0.8);
  // γ = 1 has not switched by the deadline (and is slower, if it switches at all).
  EXPECT_LT(remembering.share_at_deadline, 0.5);
  EXPECT_TRUE(remembering.steps_to_80_percent < 0 ||
              remembering.steps_to_80_percent > forgetting.steps_to_80_percent);
}

INSTANTIATE_TEST_SUITE_P(Policies, DriftTest,
                         ::testing::Values(PolicyKind::kLinUcb, PolicyKind::kThompson));

}  // namespace
}  // namespace router::testing
