#include "core/regret_tracker.h"

#include <array>
#include <cmath>

#include "core/random.h"
#include "gtest/gtest.h"

namespace router {
namespace {

// A stochastic logging policy over three arms with known mean qualities: the IPS estimate of
// regret vs the best fixed arm must land near the true (expected) regret.
TEST(RegretTrackerTest, IpsEstimateIsWithinTenPercentOfTrueRegret) {
  const std::array<std::string, 3> arms = {"a", "b", "c"};
  const std::array<double, 3> mean = {0.2, 0.9, 0.5};        // "b" is best
  const std::array<double, 3> propensity = {0.5, 0.4, 0.1};  // the policy's fixed choice law
  RegretTracker tracker;
  Rng rng(2024);
  double true_regret = 0;
  for (int t = 0; t < 20000; ++t) {
    const double u = rng.Uniform();
    const int a = u < propensity[0] ? 0 : u < propensity[0] + propensity[1] ? 1 : 2;
    const double reward = rng.Uniform() < mean[a] ? 1.0 : 0.0;
    tracker.Record(arms[a], propensity[a], reward);
    true_regret += mean[1] - mean[a];
  }
  const RegretSnapshot s = tracker.Snapshot();
  EXPECT_EQ(s.rewarded_events, 20000u);
  EXPECT_NEAR(s.estimated_regret, true_regret, 0.10 * true_regret)
      << "estimated " << s.estimated_regret << " true " << true_regret;
  // The best arm's IPS value estimates what always choosing it would have earned.
  double best_ips = 0;
  for (const auto& [arm, v] : s.ips_value) {
    if (arm == "b") best_ips = v;
  }
  EXPECT_NEAR(best_ips, 0.9 * 20000, 0.05 * 0.9 * 20000);
}

TEST(RegretTrackerTest, ExactRegretNeedsTheChosenArmsOutcome) {
  RegretTracker tracker;
  tracker.RecordExact("a", {{"a", 0.25}, {"b", 1.0}, {"c", 0.5}});
  tracker.RecordExact("b", {{"a", 0.25}, {"b", 1.0}});
  tracker.RecordExact("c", {{"a", 0.25}, {"b", 1.0}});  // no outcome for c: ignored
  const RegretSnapshot s = tracker.Snapshot();
  EXPECT_DOUBLE_EQ(s.exact_regret, 0.75);
  EXPECT_EQ(s.exact_regret_events, 2u);
}

}  // namespace
}  // namespace router
