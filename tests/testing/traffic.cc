#include "tests/testing/traffic.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace router::testing {

TrafficTotals DriveKnownTraffic(TestServer& server, const std::string& router, int n) {
  TrafficTotals t;
  std::map<std::string, double> ips;
  double realised = 0;
  const std::map<std::string, double> arm_quality = {{"a", 0.3}, {"b", 0.8}, {"c", 0.55}};
  for (int i = 0; i < n; ++i) {
    v1::RouteRequest request;
    request.set_router(router);
    request.set_text(absl::StrCat("known traffic ", i));
    v1::RouteResponse r;
    const grpc::Status status = server.Route(request, &r);
    EXPECT_TRUE(status.ok()) << status.error_message();
    ++t.decisions;
    ++t.decisions_per_arm[r.arm()];

    v1::FeedbackRequest f;
    f.set_decision_id(r.decision_id());
    f.set_feedback_id(absl::StrCat("known-", i));
    const double quality = arm_quality.at(r.arm()) + 0.01 * (i % 7);
    f.set_judge_score(quality);
    f.set_cost_usd(0.001 * (1 + i % 4));
    f.set_energy_j(10.0 + i);
    f.set_latency_ms(100.0 + i);
    if (i % 3 == 0) {
      for (const auto& [arm, q] : arm_quality) (*f.mutable_arm_qualities())[arm] = q;
      (*f.mutable_arm_qualities())[r.arm()] = quality;
      double best = 0;
      for (const auto& [arm, q] : f.arm_qualities()) best = std::max(best, q);
      t.exact_regret += best - quality;
      ++t.exact_events;
    }
    v1::FeedbackResponse fr;
    EXPECT_TRUE(server.Feedback(f, &fr).ok());
    ++t.applied;
    t.cost_usd += f.cost_usd();
    t.energy_j += f.energy_j();
    ips[r.arm()] += quality / r.propensity();
    realised += quality;
    if (i % 5 == 0) {
      EXPECT_TRUE(server.Feedback(f, &fr).ok());
      EXPECT_TRUE(fr.duplicate());
      ++t.duplicates;
    }
  }
  double best_ips = 0;
  for (const auto& [arm, v] : ips) best_ips = std::max(best_ips, v);
  t.estimated_regret = best_ips - realised;

  v1::FeedbackRequest unknown;
  unknown.set_decision_id("ffffffffffffffffffffffffffffffff");
  unknown.set_feedback_id("unknown-1");
  unknown.set_judge_score(1);
  v1::FeedbackResponse fr;
  EXPECT_FALSE(server.Feedback(unknown, &fr).ok());
  ++t.rejected;
  v1::RouteRequest bad;
  bad.set_router("no-such-router");
  bad.set_text("x");
  v1::RouteResponse ignored;
  EXPECT_FALSE(server.Route(bad, &ignored).ok());
  return t;
}

}  // namespace router::testing
