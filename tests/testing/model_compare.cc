#include "tests/testing/model_compare.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace router::testing {
namespace {

void ExpectNear(const std::vector<double>& e, const std::vector<double>& a, double tolerance,
                const std::string& what) {
  ASSERT_EQ(e.size(), a.size()) << what;
  for (size_t i = 0; i < e.size(); ++i) {
    if (tolerance == 0) {
      EXPECT_EQ(e[i], a[i]) << what << "[" << i << "]";
    } else {
      EXPECT_NEAR(e[i], a[i], tolerance) << what << "[" << i << "]";
    }
  }
}

void ExpectSameRidge(const RidgeState& e, const RidgeState& a, double tolerance,
                     const std::string& what) {
  ExpectNear(e.theta, a.theta, tolerance, what + ".theta");
  ExpectNear(e.a_inv_lower, a.a_inv_lower, tolerance, what + ".a_inv");
  ExpectNear(e.b, a.b, tolerance, what + ".b");
  ExpectNear(e.a_lower, a.a_lower, tolerance, what + ".a");
  EXPECT_EQ(e.observations, a.observations) << what;
  EXPECT_EQ(e.updates_since_restore, a.updates_since_restore) << what;
  EXPECT_NEAR(e.prior_weight, a.prior_weight, tolerance) << what;
  EXPECT_NEAR(e.inv_scale, a.inv_scale, tolerance) << what;
  EXPECT_NEAR(e.a_scale, a.a_scale, tolerance) << what;
}

}  // namespace

void ExpectSameState(const RouterState& expected, const RouterState& actual, double tolerance) {
  EXPECT_EQ(expected.router, actual.router);
  EXPECT_EQ(expected.decisions, actual.decisions) << expected.router;
  EXPECT_EQ(expected.feedback_events, actual.feedback_events) << expected.router;
  EXPECT_NEAR(expected.spend_multiplier, actual.spend_multiplier, tolerance) << expected.router;
  EXPECT_EQ(expected.spend_observations, actual.spend_observations) << expected.router;
  EXPECT_NEAR(expected.spend_cost_sum_usd, actual.spend_cost_sum_usd, tolerance)
      << expected.router;
  ASSERT_EQ(expected.arms.size(), actual.arms.size()) << expected.router;
  for (size_t i = 0; i < expected.arms.size(); ++i) {
    const ArmState& e = expected.arms[i];
    const ArmState& a = actual.arms[i];
    const std::string at = absl::StrCat(expected.router, "/", e.arm);
    EXPECT_EQ(e.arm, a.arm);
    EXPECT_EQ(e.decisions, a.decisions) << at;
    EXPECT_EQ(e.quality_observations, a.quality_observations) << at;
    EXPECT_EQ(e.cost_observations, a.cost_observations) << at;
    EXPECT_NEAR(e.quality_sum, a.quality_sum, tolerance) << at;
    EXPECT_NEAR(e.cost_sum_usd, a.cost_sum_usd, tolerance) << at;
    ExpectSameRidge(e.quality, a.quality, tolerance, at + "/quality");
    ExpectSameRidge(e.cost, a.cost, tolerance, at + "/cost");
    ExpectSameRidge(e.latency, a.latency, tolerance, at + "/latency");
    ExpectSameRidge(e.energy, a.energy, tolerance, at + "/energy");
  }
}

}  // namespace router::testing
