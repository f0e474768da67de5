// Route and Feedback through a real gRPC server on loopback, with a real RocksDB in a temp dir.

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace router {
namespace {

using testing::TempDir;
using testing::TestServer;

class RouteFeedbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig config;
    *config.add_routers() = testing::ToyRouter("toy");
    *config.add_routers() = testing::ToyRouter("emb", /*embedding_dim=*/8);
    server_ = TestServer::Start(config, dir_.path());
    ASSERT_NE(server_, nullptr);
  }

  v1::RouteResponse RouteText(const std::string& text, const std::string& router = "toy") {
    v1::RouteRequest request;
    request.set_router(router);
    request.set_text(text);
    v1::RouteResponse response;
    const grpc::Status status = server_->Route(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  v1::FeedbackRequest Judge(const std::string& decision_id, const std::string& feedback_id,
                            double score) {
    v1::FeedbackRequest request;
    request.set_decision_id(decision_id);
    request.set_feedback_id(feedback_id);
    request.set_source("test");
    request.set_judge_score(score);
    return request;
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(RouteFeedbackTest, RouteByTextReturnsADecisionAndAFullRanking) {
  const v1::RouteResponse r = RouteText("How do I sort a list in Python?");
  EXPECT_EQ(r.decision_id().size(), 32u);
  EXPECT_TRUE(r.arm() == "a" || r.arm() == "b" || r.arm() == "c") << r.arm();
  EXPECT_GT(r.propensity(), 0.0);
  EXPECT_LE(r.propensity(), 1.0);
  ASSERT_EQ(r.ranking_size(), 3);
  EXPECT_EQ(r.ranking(0).arm(), r.arm());
  std::set<std::string> arms;
  for (const auto& s : r.ranking()) arms.insert(s.arm());
  EXPECT_EQ(arms.size(), 3u);
  EXPECT_EQ(r.policy().kind(), "linucb");
  EXPECT_FALSE(r.policy().version().empty());
}

TEST_F(RouteFeedbackTest, RouteByEmbedding) {
  v1::RouteRequest request;
  request.set_router("emb");
  for (int i = 0; i < 8; ++i) request.add_embedding(0.1f * i);
  v1::RouteResponse response;
  ASSERT_TRUE(server_->Route(request, &response).ok());
  EXPECT_FALSE(response.decision_id().empty());
  EXPECT_EQ(response.ranking_size(), 3);
}

TEST_F(RouteFeedbackTest, DecisionIdsAreUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.insert(RouteText("same text").decision_id());
  EXPECT_EQ(ids.size(), 50u);
}

TEST_F(RouteFeedbackTest, UnaryFeedbackIsAppliedOnceAndDuplicatesAreReported) {
  const v1::RouteResponse r = RouteText("hello");
  v1::FeedbackResponse response;
  ASSERT_TRUE(server_->Feedback(Judge(r.decision_id(), "f-1", 0.8), &response).ok());
  EXPECT_FALSE(response.duplicate());
  ASSERT_TRUE(server_->Feedback(Judge(r.decision_id(), "f-1", 0.8), &response).ok());
  EXPECT_TRUE(response.duplicate());

  const v1::RouterInfo info = server_->Info("toy");
  EXPECT_EQ(info.feedback_events(), 1u);
  for (const auto& arm : info.arms()) {
    if (arm.id() == r.arm()) {
      EXPECT_EQ(arm.quality_observations(), 1u);
      EXPECT_DOUBLE_EQ(arm.mean_quality(), 0.8);
    } else {
      EXPECT_EQ(arm.quality_observations(), 0u);
    }
  }
}

TEST_F(RouteFeedbackTest, SeveralSignalsFromSeveralSourcesJoinOneDecision) {
  const v1::RouteResponse r = RouteText("summarise this article");
  v1::FeedbackRequest thumbs;
  thumbs.set_decision_id(r.decision_id());
  thumbs.set_feedback_id("user-1");
  thumbs.set_thumbs(v1::THUMBS_UP);
  v1::FeedbackRequest billing;
  billing.set_decision_id(r.decision_id());
  billing.set_feedback_id("bill-1");
  billing.set_input_tokens(1000);
  billing.set_output_tokens(500);
  billing.set_latency_ms(850);
  v1::FeedbackResponse response;
  ASSERT_TRUE(server_->Feedback(thumbs, &response).ok());
  ASSERT_TRUE(server_->Feedback(billing, &response).ok());
  ASSERT_TRUE(server_->Feedback(Judge(r.decision_id(), "judge-1", 0.5), &response).ok());

  const v1::RouterInfo info = server_->Info("toy");
  for (const auto& arm : info.arms()) {
    if (arm.id() != r.arm()) continue;
    EXPECT_EQ(arm.quality_observations(), 2u);
    EXPECT_DOUBLE_EQ(arm.mean_quality(), 0.75);
    // Priced from tokens: 1000 × $1/M + 500 × $2/M.
    EXPECT_NEAR(arm.total_cost_usd(), 0.002, 1e-12);
  }
}

TEST_F(RouteFeedbackTest, StreamingFeedbackCountsAcceptedDuplicateAndRejected) {
  const std::string d1 = RouteText("first").decision_id();
  const std::string d2 = RouteText("second").decision_id();
  grpc::ClientContext ctx;
  v1::FeedbackSummary summary;
  auto writer = server_->feedback().StreamFeedback(&ctx, &summary);
  ASSERT_TRUE(writer->Write(Judge(d1, "s-1", 1.0)));
  ASSERT_TRUE(writer->Write(Judge(d2, "s-2", 0.0)));
  ASSERT_TRUE(writer->Write(Judge(d1, "s-1", 1.0)));         // duplicate
  ASSERT_TRUE(writer->Write(Judge(d1, "s-3", 1.5)));         // out of range
  ASSERT_TRUE(writer->Write(Judge("no-such-id", "s-4", 1)));  // unknown decision
  ASSERT_TRUE(writer->Write(Judge(d2, "s-5", 0.25)));
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.accepted(), 3u);
  EXPECT_EQ(summary.duplicate(), 1u);
  EXPECT_EQ(summary.rejected(), 2u);
  ASSERT_EQ(summary.errors_size(), 2);
  EXPECT_NE(summary.errors(0).find("3: judge_score must be in [0, 1]"), std::string::npos)
      << summary.errors(0);
  EXPECT_NE(summary.errors(1).find("4: decision 'no-such-id' not found"), std::string::npos)
      << summary.errors(1);
  EXPECT_EQ(server_->Info("toy").feedback_events(), 3u);
}

// One arm is always best; after a few hundred rounds the router must have found it.
TEST_F(RouteFeedbackTest, LearnsToPickTheArmThatIsAlwaysBest) {
  const char* topics[] = {"python", "poetry", "algebra", "travel", "law", "cooking"};
  for (int round = 0; round < 300; ++round) {
    const v1::RouteResponse r =
        RouteText(absl::StrCat("question ", round, " about ", topics[round % 6]));
    const double quality = r.arm() == "b" ? 0.9 : 0.3;
    v1::FeedbackResponse response;
    ASSERT_TRUE(
        server_->Feedback(Judge(r.decision_id(), absl::StrCat("learn-", round), quality), &response)
            .ok());
  }
  int best = 0;
  for (int i = 0; i < 100; ++i) {
    if (RouteText(absl::StrCat("new question ", i, " about ", topics[i % 6])).arm() == "b") ++best;
  }
  EXPECT_GE(best, 90);
}

}  // namespace
}  // namespace router
