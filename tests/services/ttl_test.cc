// Decision expiry on an injected clock: feedback for an expired decision is refused with a clear
// status and counted, the background sweep deletes it, and decisions that never got a quality
// signal learn the router's default reward.

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/net.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace router {
namespace {

using testing::FakeClock;
using testing::TempDir;
using testing::TestServer;

constexpr int kTtlSeconds = 3600;

services::ServerOptions Options(const std::string& dir, FakeClock* clock) {
  services::ServerOptions options;
  v1::RouterConfig* router = options.config.add_routers();
  *router = testing::ToyRouter("toy");
  router->set_default_reward(0.25);
  // Without a default reward: a decision nobody answers just expires.
  *options.config.add_routers() = testing::ToyRouter("plain");
  options.config.mutable_storage()->set_decision_ttl_seconds(kTtlSeconds);
  options.config.mutable_storage()->set_sweep_every_seconds(60);
  options.data_dir = dir;
  options.clock = clock;
  options.maintenance_tick = absl::Milliseconds(10);
  return options;
}

std::string RouteOne(TestServer& server, const std::string& text) {
  v1::RouteRequest request;
  request.set_router("toy");
  request.set_text(text);
  v1::RouteResponse response;
  EXPECT_TRUE(server.Route(request, &response).ok());
  return response.decision_id();
}

grpc::Status SendFeedback(TestServer& server, const std::string& decision, const std::string& id,
                          bool judge, v1::FeedbackResponse* response) {
  v1::FeedbackRequest f;
  f.set_decision_id(decision);
  f.set_feedback_id(id);
  if (judge) {
    f.set_judge_score(0.8);
  } else {
    f.set_cost_usd(0.002);
  }
  return server.Feedback(f, response);
}

uint64_t QualityObservations(TestServer& server) {
  uint64_t total = 0;
  const v1::RouterInfo info = server.Info("toy");
  for (const v1::ArmInfo& arm : info.arms()) total += arm.quality_observations();
  return total;
}

TEST(TtlTest, ExpiredDecisionsAreRefusedSweptAndDefaultRewarded) {
  TempDir dir;
  FakeClock clock;
  auto started = TestServer::StartOrStatus(Options(dir.path(), &clock), /*with_metrics=*/true);
  ASSERT_TRUE(started.ok()) << started.status();
  TestServer& server = **started;

  const std::string rated = RouteOne(server, "rated");
  const std::string cost_only = RouteOne(server, "cost only");
  const std::string silent = RouteOne(server, "silent");
  v1::RouteRequest unanswered;
  unanswered.set_router("plain");
  unanswered.set_text("nobody answers this one");
  v1::RouteResponse unanswered_response;
  ASSERT_TRUE(server.Route(unanswered, &unanswered_response).ok());
  v1::FeedbackResponse r;
  ASSERT_TRUE(SendFeedback(server, rated, "rated-1", true, &r).ok());
  ASSERT_TRUE(SendFeedback(server, cost_only, "cost-1", false, &r).ok());
  clock.Advance(absl::Seconds(kTtlSeconds - 1));
  ASSERT_TRUE(SendFeedback(server, rated, "rated-2", true, &r).ok()) << "not expired yet";
  const uint64_t decisions = server.Info("toy").decisions();
  ASSERT_EQ(QualityObservations(server), 2u);

  clock.Advance(absl::Seconds(2));  // now past the TTL; the sweep runs within a tick or so
  // Refused whether or not the sweep has deleted the decision yet.
  grpc::Status expired = SendFeedback(server, silent, "silent-1", true, &r);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(expired.error_message().find("has expired"), std::string::npos)
      << expired.error_message();
  EXPECT_NE(expired.error_message().find("decision_ttl_seconds = 3600"), std::string::npos)
      << expired.error_message();

  // The background sweep learns the default reward for the two decisions without a quality
  // signal (one had only a cost), then deletes all three. The loop may have swept just before the
  // TTL passed (the first Advance made a sweep due); one more sweep interval makes the next one
  // due whenever the last one ran.
  clock.Advance(absl::Seconds(60));
  for (int i = 0; i < 1000 && QualityObservations(server) < 4; ++i) {
    absl::SleepFor(absl::Milliseconds(10));  // bounded wait for the background thread
  }
  EXPECT_EQ(QualityObservations(server), 4u);
  auto swept_again = server.server().engine().SweepExpired();
  ASSERT_TRUE(swept_again.ok());
  EXPECT_EQ(swept_again->expired, 0u) << "the background sweep deleted them already";

  // After deletion: still "expired" (the id dates the decision), a retry of applied feedback is
  // still a duplicate, and an unknown id is NOT_FOUND.
  expired = SendFeedback(server, rated, "rated-3", true, &r);
  EXPECT_EQ(expired.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(expired.error_message().find("has expired"), std::string::npos);
  ASSERT_TRUE(SendFeedback(server, rated, "rated-1", true, &r).ok());
  EXPECT_TRUE(r.duplicate());
  EXPECT_EQ(SendFeedback(server, "0123456789abcdef0123456789abcdef", "x", true, &r).error_code(),
            grpc::StatusCode::NOT_FOUND)
      << "an id dated before the store existed was never issued here";
  EXPECT_EQ(SendFeedback(server, "no-such-decision", "x", true, &r).error_code(),
            grpc::StatusCode::NOT_FOUND);

  auto metrics = testing::HttpGet(server.metrics_port(), "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(testing::SumMetric(*metrics, "router_feedback_events_total", "outcome=\"expired\""),
            2);  // silent-1 and rated-3; the retried rated-1 is a duplicate
  // The sweep closed every decision: "toy"'s three are joined (two by feedback, "silent" by its
  // default reward), "plain"'s one expired unanswered; none is pending any more.
  EXPECT_EQ(testing::SumMetric(*metrics, "router_decisions_joined_total", "router=\"toy\""), 3);
  EXPECT_EQ(testing::SumMetric(*metrics, "router_decisions_joined_total", "router=\"plain\""), 0);
  EXPECT_EQ(testing::SumMetric(*metrics, "router_pending_decisions"), 0);
  EXPECT_EQ(testing::SumMetric(*metrics, "router_rewarded_events", "router=\"toy\""), 4);

  // Deleted decisions stay counted and the default rewards replay: same model after a restart.
  const v1::GetModelResponse before = server.Model("toy");
  started->reset();
  auto restarted = TestServer::StartOrStatus(Options(dir.path(), &clock));
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  EXPECT_EQ((*restarted)->Info("toy").decisions(), decisions);
  const v1::GetModelResponse after = (*restarted)->Model("toy");
  ASSERT_EQ(before.arms_size(), after.arms_size());
  for (int a = 0; a < before.arms_size(); ++a) {
    for (int o = 0; o < 4; ++o) {
      const auto& x = before.arms(a).objectives(o);
      const auto& y = after.arms(a).objectives(o);
      EXPECT_EQ(x.observations(), y.observations());
      for (int k = 0; k < x.theta_size(); ++k) EXPECT_EQ(x.theta(k), y.theta(k));
    }
  }
}

}  // namespace
}  // namespace router
