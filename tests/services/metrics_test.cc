// A real HTTP scrape of /metrics after real gRPC traffic.

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/net.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace router {
namespace {

using testing::SumMetric;

TEST(MetricsTest, ScrapeCountsDecisionsFeedbackCostAndErrors) {
  testing::TempDir dir;
  v1::ServerConfig config;
  *config.add_routers() = testing::ToyRouter("toy");
  auto server = testing::TestServer::Start(config, dir.path(), /*with_metrics=*/true);
  ASSERT_NE(server, nullptr);

  std::map<std::string, int> per_arm;
  double cost = 0;
  for (int i = 0; i < 25; ++i) {
    v1::RouteRequest request;
    request.set_router("toy");
    request.set_text(absl::StrCat("query ", i));
    v1::RouteResponse r;
    ASSERT_TRUE(server->Route(request, &r).ok());
    ++per_arm[r.arm()];
    if (i % 5 == 0) {
      v1::FeedbackRequest f;
      f.set_decision_id(r.decision_id());
      f.set_feedback_id(absl::StrCat("f", i));
      f.set_judge_score(0.5);
      f.set_cost_usd(0.01 * (i + 1));
      cost += 0.01 * (i + 1);
      v1::FeedbackResponse fr;
      ASSERT_TRUE(server->Feedback(f, &fr).ok());
      ASSERT_TRUE(server->Feedback(f, &fr).ok());  // a duplicate
    }
  }
  v1::RouteRequest bad;
  bad.set_router("missing");
  bad.set_text("x");
  v1::RouteResponse ignored;
  ASSERT_FALSE(server->Route(bad, &ignored).ok());

  auto body = testing::HttpGet(server->metrics_port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  for (const auto& [arm, n] : per_arm) {
    EXPECT_EQ(SumMetric(*body, "router_decisions_total", absl::StrCat("arm=\"", arm, "\"")), n)
        << arm;
  }
  EXPECT_EQ(SumMetric(*body, "router_decisions_total"), 25);
  EXPECT_NEAR(SumMetric(*body, "router_cost_usd_total"), cost, 1e-9);
  EXPECT_EQ(SumMetric(*body, "router_feedback_events_total", "outcome=\"applied\""), 5);
  EXPECT_EQ(SumMetric(*body, "router_feedback_events_total", "outcome=\"duplicate\""), 5);
  EXPECT_EQ(SumMetric(*body, "router_feedback_signals_total", "signal=\"judge_score\""), 5);
  EXPECT_EQ(SumMetric(*body, "router_rpc_duration_seconds_count", "rpc=\"Route\""), 26);
  EXPECT_EQ(SumMetric(*body, "router_rpc_errors_total", "code=\"not_found\""), 1);
  EXPECT_EQ(SumMetric(*body, "router_build_info"), 1);
}

}  // namespace
}  // namespace router
