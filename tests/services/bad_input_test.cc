// Every malformed request gets a precise gRPC status and a message that says what was wrong.

#include <limits>

#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace router {
namespace {

using testing::TempDir;
using testing::TestServer;

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig config;
    *config.add_routers() = testing::ToyRouter("emb", /*embedding_dim=*/4);
    server_ = TestServer::Start(config, dir_.path());
    ASSERT_NE(server_, nullptr);
    v1::RouteRequest ok;
    ok.set_router("emb");
    ok.set_text("fine");
    v1::RouteResponse response;
    ASSERT_TRUE(server_->Route(ok, &response).ok());
    decision_id_ = response.decision_id();
  }

  void ExpectRouteError(const v1::RouteRequest& request, grpc::StatusCode code,
                        const std::string& fragment) {
    v1::RouteResponse response;
    const grpc::Status status = server_->Route(request, &response);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_NE(status.error_message().find(fragment), std::string::npos)
        << "message '" << status.error_message() << "' lacks '" << fragment << "'";
  }

  void ExpectFeedbackError(const v1::FeedbackRequest& request, grpc::StatusCode code,
                           const std::string& fragment) {
    v1::FeedbackResponse response;
    const grpc::Status status = server_->Feedback(request, &response);
    EXPECT_EQ(status.error_code(), code) << status.error_message();
    EXPECT_NE(status.error_message().find(fragment), std::string::npos)
        << "message '" << status.error_message() << "' lacks '" << fragment << "'";
  }

  v1::RouteRequest Text(const std::string& text) {
    v1::RouteRequest r;
    r.set_router("emb");
    r.set_text(text);
    return r;
  }

  v1::FeedbackRequest Feedback() {
    v1::FeedbackRequest f;
    f.set_decision_id(decision_id_);
    f.set_feedback_id("fb");
    f.set_judge_score(0.5);
    return f;
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  std::string decision_id_;
};

TEST_F(BadInputTest, UnknownRouterIsNotFoundAndNamed) {
  v1::RouteRequest r = Text("hi");
  r.set_router("nope");
  ExpectRouteError(r, grpc::StatusCode::NOT_FOUND, "router 'nope' not found");
}

TEST_F(BadInputTest, MissingRouterName) {
  v1::RouteRequest r = Text("hi");
  r.clear_router();
  ExpectRouteError(r, grpc::StatusCode::INVALID_ARGUMENT, "router name is required");
}

TEST_F(BadInputTest, EmbeddingOfTheWrongDimension) {
  v1::RouteRequest r;
  r.set_router("emb");
  for (int i = 0; i < 5; ++i) r.add_embedding(1.0f);
  ExpectRouteError(r, grpc::StatusCode::INVALID_ARGUMENT, "embedding has 5 values, expected 4");
}

TEST_F(BadInputTest, NonFiniteEmbeddingValues) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    v1::RouteRequest r;
    r.set_router("emb");
    for (int i = 0; i < 4; ++i) r.add_embedding(i == 2 ? bad : 1.0f);
    ExpectRouteError(r, grpc::StatusCode::INVALID_ARGUMENT, "embedding[2] is not a finite number");
  }
}

TEST_F(BadInputTest, EmptyRequest) {
  v1::RouteRequest r;
  r.set_router("emb");
  ExpectRouteError(r, grpc::StatusCode::INVALID_ARGUMENT, "neither an embedding nor text");
}

TEST_F(BadInputTest, NegativeOrNonFiniteBudget) {
  v1::RouteRequest r = Text("hi");
  r.set_max_cost_usd(-0.01);
  ExpectRouteError(r, grpc::StatusCode::INVALID_ARGUMENT, "max_cost_usd must be a finite number >= 0");
  r.set_max_cost_usd(std::numeric_limits<double>::quiet_NaN());
  ExpectRouteError(r, grpc::StatusCode::INVALID_ARGUMENT, "max_cost_usd");
}

TEST_F(BadInputTest, NegativePreferenceWeight) {
  v1::RouteRequest r = Text("hi");
  r.mutable_preferences()->set_cost(-1);
  ExpectRouteError(r, grpc::StatusCode::INVALID_ARGUMENT, "preference weights must be");
}

TEST_F(BadInputTest, UnknownAllowedArmIsNamed) {
  v1::RouteRequest r = Text("hi");
  r.add_allowed_arms("a");
  r.add_allowed_arms("zzz");
  ExpectRouteError(r, grpc::StatusCode::INVALID_ARGUMENT, "unknown arm 'zzz'");
}

TEST_F(BadInputTest, JudgeScoreOutsideUnitInterval) {
  for (double bad : {-0.1, 1.01, std::numeric_limits<double>::quiet_NaN()}) {
    v1::FeedbackRequest f = Feedback();
    f.set_judge_score(bad);
    ExpectFeedbackError(f, grpc::StatusCode::INVALID_ARGUMENT, "judge_score must be in [0, 1]");
  }
}

TEST_F(BadInputTest, NegativeMeasurements) {
  v1::FeedbackRequest f = Feedback();
  f.clear_judge_score();
  f.set_latency_ms(-3);
  ExpectFeedbackError(f, grpc::StatusCode::INVALID_ARGUMENT, "latency_ms must be");
  f.clear_latency_ms();
  f.set_cost_usd(-1);
  ExpectFeedbackError(f, grpc::StatusCode::INVALID_ARGUMENT, "cost_usd must be");
}

TEST_F(BadInputTest, UnknownDecisionIsNotFound) {
  v1::FeedbackRequest f = Feedback();
  f.set_decision_id("0123456789abcdef0123456789abcdef");
  ExpectFeedbackError(f, grpc::StatusCode::NOT_FOUND,
                      "decision '0123456789abcdef0123456789abcdef' not found");
}

TEST_F(BadInputTest, FeedbackWithoutIdsOrSignals) {
  v1::FeedbackRequest f = Feedback();
  f.clear_feedback_id();
  ExpectFeedbackError(f, grpc::StatusCode::INVALID_ARGUMENT, "feedback_id is required");
  f = Feedback();
  f.clear_decision_id();
  ExpectFeedbackError(f, grpc::StatusCode::INVALID_ARGUMENT, "decision_id is required");
  f = Feedback();
  f.clear_judge_score();
  ExpectFeedbackError(f, grpc::StatusCode::INVALID_ARGUMENT, "feedback carries no signal");
}

TEST_F(BadInputTest, RejectedFeedbackChangesNothing) {
  v1::FeedbackRequest f = Feedback();
  f.set_judge_score(7);
  v1::FeedbackResponse response;
  EXPECT_FALSE(server_->Feedback(f, &response).ok());
  EXPECT_EQ(server_->Info("emb").feedback_events(), 0u);
  // The id of a rejected event is not burnt: a corrected retry is applied.
  f.set_judge_score(0.7);
  ASSERT_TRUE(server_->Feedback(f, &response).ok());
  EXPECT_FALSE(response.duplicate());
  EXPECT_EQ(server_->Info("emb").feedback_events(), 1u);
}

}  // namespace
}  // namespace router
