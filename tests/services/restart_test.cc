// Learned state, runtime arm changes and the decision log come back after a clean restart.

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace router {
namespace {

using testing::TempDir;
using testing::TestServer;

v1::ServerConfig Config() {
  v1::ServerConfig config;
  *config.add_routers() = testing::ToyRouter("toy");
  return config;
}

v1::RouteRequest Probe(const std::string& text) {
  v1::RouteRequest request;
  request.set_router("toy");
  request.set_text(text);
  request.add_allowed_arms("a");
  request.add_allowed_arms("b");
  request.add_allowed_arms("c");
  request.add_allowed_arms("d");
  return request;
}

TEST(RestartTest, LearnedStateAndDecisionLogSurviveACleanRestart) {
  TempDir dir;
  std::vector<std::string> decision_ids;
  v1::RouterInfo before;
  v1::RouteResponse probe_before;
  {
    auto server = TestServer::Start(Config(), dir.path());
    ASSERT_NE(server, nullptr);
    grpc::ClientContext add_ctx;
    v1::AddArmRequest add;
    add.set_router("toy");
    add.set_arm("d");
    add.set_quality_prior(0.6);
    v1::AddArmResponse add_response;
    ASSERT_TRUE(server->admin().AddArm(&add_ctx, add, &add_response).ok());

    for (int i = 0; i < 120; ++i) {
      v1::RouteRequest request = Probe(absl::StrCat("question number ", i));
      v1::RouteResponse r;
      ASSERT_TRUE(server->Route(request, &r).ok());
      decision_ids.push_back(r.decision_id());
      v1::FeedbackRequest f;
      f.set_decision_id(r.decision_id());
      f.set_feedback_id(absl::StrCat("f", i));
      f.set_judge_score(r.arm() == "c" ? 0.95 : 0.2);
      f.set_cost_usd(0.001 * (i % 3));
      v1::FeedbackResponse fr;
      ASSERT_TRUE(server->Feedback(f, &fr).ok());
    }
    grpc::ClientContext disable_ctx;
    v1::SetArmStateRequest disable;
    disable.set_router("toy");
    disable.set_arm("a");
    disable.set_disabled(true);
    v1::SetArmStateResponse disable_response;
    ASSERT_TRUE(server->admin().SetArmState(&disable_ctx, disable, &disable_response).ok());

    before = server->Info("toy");
    // A probe for comparing the model itself: exploration off by pinning to ε-free scores.
    ASSERT_TRUE(server->Route(Probe("a probe after learning"), &probe_before).ok());
    server->server().Shutdown();
  }

  auto server = TestServer::Start(Config(), dir.path());
  ASSERT_NE(server, nullptr);
  // The shutdown wrote a checkpoint holding every event, so nothing is replayed.
  EXPECT_EQ(server->server().recovery().checkpoint_event_sequence, 120u);
  EXPECT_EQ(server->server().recovery().feedback_events, 0u);
  EXPECT_EQ(server->server().recovery().arm_changes, 2u);
  const v1::RouterInfo after = server->Info("toy");
  // The probe decision above was counted before the restart too.
  EXPECT_EQ(after.decisions(), before.decisions() + 1);
  EXPECT_EQ(after.feedback_events(), before.feedback_events());
  ASSERT_EQ(after.arms_size(), 4);
  for (int i = 0; i < 4; ++i) {
    const v1::ArmInfo& a = before.arms(i);
    const v1::ArmInfo& b = after.arms(i);
    EXPECT_EQ(a.id(), b.id());
    EXPECT_EQ(a.disabled(), b.disabled()) << a.id();
    EXPECT_EQ(a.quality_observations(), b.quality_observations()) << a.id();
    EXPECT_DOUBLE_EQ(a.mean_quality(), b.mean_quality()) << a.id();
    EXPECT_DOUBLE_EQ(a.total_cost_usd(), b.total_cost_usd()) << a.id();
    EXPECT_DOUBLE_EQ(a.prior_quality(), b.prior_quality()) << a.id();
  }
  EXPECT_TRUE(after.arms(0).disabled());

  // Same context, same model: identical predictions for every arm.
  v1::RouteResponse probe_after;
  ASSERT_TRUE(server->Route(Probe("a probe after learning"), &probe_after).ok());
  ASSERT_EQ(probe_after.ranking_size(), probe_before.ranking_size());
  for (const auto& s_after : probe_after.ranking()) {
    for (const auto& s_before : probe_before.ranking()) {
      if (s_before.arm() != s_after.arm()) continue;
      EXPECT_DOUBLE_EQ(s_before.predicted_quality(), s_after.predicted_quality()) << s_after.arm();
      EXPECT_DOUBLE_EQ(s_before.exploration_bonus(), s_after.exploration_bonus()) << s_after.arm();
      EXPECT_DOUBLE_EQ(s_before.predicted_cost_usd(), s_after.predicted_cost_usd());
    }
  }

  // Every logged decision is still joinable, and old feedback ids are still known.
  for (size_t i = 0; i < decision_ids.size(); ++i) {
    v1::FeedbackRequest f;
    f.set_decision_id(decision_ids[i]);
    f.set_feedback_id(absl::StrCat("f", i));
    f.set_judge_score(0.5);
    v1::FeedbackResponse fr;
    ASSERT_TRUE(server->Feedback(f, &fr).ok()) << decision_ids[i];
    EXPECT_TRUE(fr.duplicate());
  }
}

TEST(RestartTest, ChangedFeatureLayoutRefusesToStart) {
  TempDir dir;
  {
    auto server = TestServer::Start(Config(), dir.path());
    ASSERT_NE(server, nullptr);
  }
  v1::ServerConfig changed = Config();
  changed.mutable_routers(0)->mutable_features()->set_dim(48);
  auto server = TestServer::StartOrStatus(changed, dir.path());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(server.status().message().find("dim=32"), std::string::npos) << server.status();
  EXPECT_NE(server.status().message().find("dim=48"), std::string::npos) << server.status();
}

TEST(RestartTest, ChangedTextFeaturesRefuseToStart) {
  TempDir dir;
  {
    auto server = TestServer::Start(Config(), dir.path());
    ASSERT_NE(server, nullptr);
  }
  v1::ServerConfig changed = Config();
  changed.mutable_routers(0)->mutable_features()->set_text_features(v1::FeatureConfig::RICH);
  auto server = TestServer::StartOrStatus(changed, dir.path());
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(server.status().message().find("text_features=RICH"), std::string::npos)
      << server.status();
}

}  // namespace
}  // namespace router
