// AdminService.Evaluate through a real in-process server on RocksDB: streamed progress, the
// identical candidate, and candidate validation.

#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace router {
namespace {

using testing::TempDir;
using testing::TestServer;
using testing::ToyRouter;

class EvaluateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::ServerConfig config;
    v1::RouterConfig router = ToyRouter("toy");
    router.mutable_policy()->set_epsilon(0.1);
    *config.add_routers() = router;
    server_ = TestServer::Start(config, dir_.path());
    ASSERT_NE(server_, nullptr);
    // Quality depends on the arm and the text: arm a is good at "math", b at "poems".
    const char* topics[] = {"math", "poems", "history"};
    for (int i = 0; i < 60; ++i) {
      v1::RouteRequest route;
      route.set_router("toy");
      route.set_text(absl::StrCat("question ", i, " about ", topics[i % 3]));
      v1::RouteResponse response;
      ASSERT_TRUE(server_->Route(route, &response).ok());
      v1::FeedbackRequest feedback;
      feedback.set_decision_id(response.decision_id());
      feedback.set_feedback_id(response.decision_id());
      const bool good = (response.arm() == "a" && i % 3 == 0) || (response.arm() == "b" && i % 3 == 1);
      feedback.set_judge_score(good ? 0.9 : 0.3);
      feedback.set_cost_usd(0.001);
      v1::FeedbackResponse ack;
      ASSERT_TRUE(server_->Feedback(feedback, &ack).ok());
    }
  }

  // Runs Evaluate to the end; the messages received, and the final status.
  grpc::Status Evaluate(const v1::EvaluateRequest& request,
                        std::vector<v1::EvaluateResponse>* messages) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto reader = server_->admin().Evaluate(&context, request);
    v1::EvaluateResponse message;
    while (reader->Read(&message)) messages->push_back(message);
    return reader->Finish();
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(EvaluateTest, IdenticalCandidateEstimatesTheRealisedValueWithProgress) {
  v1::EvaluateRequest request;
  request.set_router("toy");
  *request.mutable_candidate() = ToyRouter("ignored");
  request.mutable_candidate()->mutable_policy()->set_epsilon(0.1);
  request.set_progress_every(20);
  std::vector<v1::EvaluateResponse> messages;
  grpc::Status status = Evaluate(request, &messages);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(messages.size(), 4u);  // progress at 20, 40, 60 events, then the result
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(messages[i].has_progress());
    EXPECT_EQ(messages[i].progress().events_scanned(), 20u * (i + 1));
    EXPECT_EQ(messages[i].progress().events_total(), 60u);
  }
  ASSERT_TRUE(messages[3].has_result());
  const v1::EvaluateResult& r = messages[3].result();
  EXPECT_EQ(r.decisions_evaluated(), 60u);
  // Same config, same log prefix: the candidate's propensities are the logged ones.
  EXPECT_DOUBLE_EQ(r.mean_weight(), 1.0);
  EXPECT_DOUBLE_EQ(r.max_weight(), 1.0);
  ASSERT_EQ(r.components_size(), 5);
  EXPECT_EQ(r.components(0).component(), "objective");
  EXPECT_EQ(r.components(1).component(), "quality");
  const v1::ComponentEstimates& q = r.components(1);
  EXPECT_NEAR(q.ips().value(), q.logged().value(), 1e-12);
  EXPECT_LE(q.doubly_robust().ci_low(), q.logged().value());
  EXPECT_GE(q.doubly_robust().ci_high(), q.logged().value());
  EXPECT_EQ(r.components(2).component(), "cost_usd");
  EXPECT_NEAR(r.components(2).logged().value(), 0.001, 1e-12);
  // Serving is untouched: the live router still counts its own 60 decisions.
  EXPECT_EQ(server_->Info("toy").decisions(), 60u);
}

TEST_F(EvaluateTest, BadCandidateIsInvalidArgumentNamingTheField) {
  v1::EvaluateRequest request;
  request.set_router("toy");
  *request.mutable_candidate() = ToyRouter("toy");
  request.mutable_candidate()->mutable_policy()->set_epsilon(2);
  std::vector<v1::EvaluateResponse> messages;
  grpc::Status status = Evaluate(request, &messages);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("candidate.policy.epsilon"), std::string::npos)
      << status.error_message();
  EXPECT_TRUE(messages.empty());

  *request.mutable_candidate() = ToyRouter("toy");
  request.mutable_candidate()->mutable_features()->set_dim(16);
  status = Evaluate(request, &messages);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("candidate.features.dim"), std::string::npos)
      << status.error_message();

  request.set_router("nope");
  *request.mutable_candidate() = ToyRouter("toy");
  status = Evaluate(request, &messages);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
}

}  // namespace
}  // namespace router
