// RouterService.Escalate through a real gRPC server on loopback with a real RocksDB in a temp
// dir: chains of attempts, max_attempts, bad input, feedback closing the cascade, restarts.

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_server.h"

namespace router {
namespace {

using testing::TempDir;
using testing::TestServer;

// Arms with distinct priors and no randomness, so the cold escalation policy is predictable:
// from "weak" (prior 0.2) it escalates to "strong" (0.9), whose answer it accepts.
v1::RouterConfig CascadeRouter(const std::string& name, int max_attempts) {
  v1::RouterConfig rc;
  const std::string text = absl::StrCat(R"pb(
    name: ")pb", name, R"pb("
    features { dim: 16 }
    policy { epsilon: 0 alpha: 0 }
    weights { cost: 0.1 cost_scale_usd: 0.01 }
    arms { id: "weak" input_price_per_mtok: 0.1 output_price_per_mtok: 0.2 quality_prior: 0.2 }
    arms { id: "mid" input_price_per_mtok: 1 output_price_per_mtok: 2 quality_prior: 0.5 }
    arms { id: "strong" input_price_per_mtok: 5 output_price_per_mtok: 10 quality_prior: 0.9 }
    cascade { max_attempts: )pb", max_attempts, R"pb( epsilon: 0 alpha: 0 }
  )pb");
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &rc));
  return rc;
}

class EscalateTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }

  void Start() {
    server_.reset();
    v1::ServerConfig config;
    *config.add_routers() = CascadeRouter("c3", 3);
    *config.add_routers() = CascadeRouter("c2", 2);
    *config.add_routers() = testing::ToyRouter("plain");
    server_ = TestServer::Start(config, dir_.path());
    ASSERT_NE(server_, nullptr);
  }

  // Routes to `first` (allowed_arms), so the chain starts where the test wants.
  std::string RouteTo(const std::string& router, const std::string& first) {
    v1::RouteRequest request;
    request.set_router(router);
    request.set_text("prove that the square root of two is irrational");
    request.add_allowed_arms(first);
    v1::RouteResponse response;
    const grpc::Status status = server_->Route(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.arm(), first);
    return response.decision_id();
  }

  grpc::Status Escalate(const v1::EscalateRequest& request, v1::EscalateResponse* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return server_->router().Escalate(&ctx, request, response);
  }

  static v1::EscalateRequest Report(const std::string& id, const std::string& arm,
                                    double verifier, double cost) {
    v1::EscalateRequest r;
    r.set_decision_id(id);
    r.set_arm(arm);
    r.set_verifier_score(verifier);
    r.set_cost_usd(cost);
    r.set_latency_ms(100);
    return r;
  }

  grpc::Status Judge(const std::string& id, double score, std::optional<double> cost = {}) {
    v1::FeedbackRequest f;
    f.set_decision_id(id);
    f.set_feedback_id(absl::StrCat("fb-", id));
    f.set_judge_score(score);
    if (cost) f.set_cost_usd(*cost);
    v1::FeedbackResponse response;
    return server_->Feedback(f, &response);
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(EscalateTest, AChainEscalatesFromTheWeakArmAndAcceptsTheStrongOne) {
  const std::string id = RouteTo("c3", "weak");
  v1::EscalateResponse first;
  ASSERT_TRUE(Escalate(Report(id, "weak", 0.1, 0.001), &first).ok());
  EXPECT_EQ(first.action(), v1::EscalateResponse::ESCALATE);
  EXPECT_EQ(first.next_arm(), "strong");
  EXPECT_EQ(first.attempts(), 1u);
  EXPECT_DOUBLE_EQ(first.propensity(), 1.0);  // epsilon 0: the greedy choice, surely
  EXPECT_FALSE(first.forced());

  v1::EscalateResponse second;
  ASSERT_TRUE(Escalate(Report(id, "strong", 0.9, 0.02), &second).ok());
  EXPECT_EQ(second.action(), v1::EscalateResponse::ACCEPT);
  EXPECT_EQ(second.attempts(), 2u);
  EXPECT_FALSE(second.forced());  // 2 < max_attempts 3: "mid" was still possible

  // The cascade is over: another report is refused, saying why.
  v1::EscalateResponse third;
  const grpc::Status status = Escalate(Report(id, "mid", 0.5, 0.01), &third);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(status.error_message().find("already accepted"), std::string::npos)
      << status.error_message();
}

TEST_F(EscalateTest, MaxAttemptsForcesAcceptance) {
  const std::string id = RouteTo("c2", "weak");
  v1::EscalateResponse first, second;
  ASSERT_TRUE(Escalate(Report(id, "weak", 0.0, 0.001), &first).ok());
  ASSERT_EQ(first.next_arm(), "strong");
  // The strong answer looks bad too, but two arms is all c2 may try.
  ASSERT_TRUE(Escalate(Report(id, "strong", 0.0, 0.02), &second).ok());
  EXPECT_EQ(second.action(), v1::EscalateResponse::ACCEPT);
  EXPECT_TRUE(second.forced());
  EXPECT_EQ(second.attempts(), 2u);
}

TEST_F(EscalateTest, ARetriedReportGetsTheSameAnswer) {
  const std::string id = RouteTo("c3", "weak");
  v1::EscalateResponse first, again;
  ASSERT_TRUE(Escalate(Report(id, "weak", 0.1, 0.001), &first).ok());
  ASSERT_TRUE(Escalate(Report(id, "weak", 0.1, 0.001), &again).ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_FALSE(first.duplicate());
  EXPECT_EQ(again.next_arm(), first.next_arm());
  EXPECT_EQ(again.attempts(), first.attempts());
}

TEST_F(EscalateTest, BadInputGetsClearStatuses) {
  v1::EscalateResponse response;
  // Unknown decision.
  grpc::Status s = Escalate(Report("0123456789abcdef0123456789abcdef", "weak", 0.5, 0), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_NE(s.error_message().find("not found"), std::string::npos);
  // Missing ids.
  s = Escalate(Report("", "weak", 0.5, 0), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("decision_id"), std::string::npos) << s.error_message();

  const std::string id = RouteTo("c3", "weak");
  s = Escalate(Report(id, "", 0.5, 0), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("arm is required"), std::string::npos) << s.error_message();
  // Signals out of range, each named.
  s = Escalate(Report(id, "weak", 1.5, 0), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("verifier_score must be in [0, 1], got 1.5"),
            std::string::npos)
      << s.error_message();
  v1::EscalateRequest bad = Report(id, "weak", 0.5, 0);
  bad.set_confidence(-0.25);
  s = Escalate(bad, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("confidence"), std::string::npos) << s.error_message();
  s = Escalate(Report(id, "weak", 0.5, -1), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("cost_usd"), std::string::npos) << s.error_message();
  // Not the arm the cascade waits for (never tried).
  s = Escalate(Report(id, "mid", 0.5, 0), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("report the answer of 'weak'"), std::string::npos)
      << s.error_message();

  // An arm already tried, reported again with other signals.
  ASSERT_TRUE(Escalate(Report(id, "weak", 0.1, 0.001), &response).ok());
  ASSERT_EQ(response.next_arm(), "strong");
  s = Escalate(Report(id, "weak", 0.3, 0.001), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("'weak' was already tried"), std::string::npos)
      << s.error_message();
  EXPECT_NE(s.error_message().find("the arm to report now is 'strong'"), std::string::npos)
      << s.error_message();

  // A router that does not cascade.
  v1::RouteRequest plain;
  plain.set_router("plain");
  plain.set_text("hello");
  v1::RouteResponse routed;
  ASSERT_TRUE(server_->Route(plain, &routed).ok());
  s = Escalate(Report(routed.decision_id(), routed.arm(), 0.5, 0), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("max_attempts"), std::string::npos) << s.error_message();
}

TEST_F(EscalateTest, FeedbackClosesTheCascade) {
  const std::string id = RouteTo("c3", "weak");
  v1::EscalateResponse response;
  ASSERT_TRUE(Escalate(Report(id, "weak", 0.1, 0.001), &response).ok());
  ASSERT_EQ(response.next_arm(), "strong");
  // Feedback rates the strong answer (which was never reported through Escalate).
  ASSERT_TRUE(Judge(id, 1.0, 0.02).ok());
  const grpc::Status s = Escalate(Report(id, "strong", 0.9, 0.02), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("already received feedback"), std::string::npos)
      << s.error_message();
}

TEST_F(EscalateTest, TheRoutedArmIsChargedForEveryAttempt) {
  const std::string id = RouteTo("c3", "weak");
  v1::EscalateResponse response;
  ASSERT_TRUE(Escalate(Report(id, "weak", 0.1, 0.001), &response).ok());
  ASSERT_EQ(response.next_arm(), "strong");
  ASSERT_TRUE(Escalate(Report(id, "strong", 0.9, 0.02), &response).ok());
  ASSERT_EQ(response.action(), v1::EscalateResponse::ACCEPT);
  ASSERT_TRUE(Judge(id, 1.0).ok());
  const v1::RouterInfo info = server_->Info("c3");
  for (const v1::ArmInfo& arm : info.arms()) {
    if (arm.id() == "weak") {
      // The first choice learns what starting there cost: both attempts.
      EXPECT_DOUBLE_EQ(arm.total_cost_usd(), 0.021);
      EXPECT_EQ(arm.quality_observations(), 1u);
      EXPECT_DOUBLE_EQ(arm.mean_quality(), 1.0);
    } else {
      EXPECT_EQ(arm.cost_observations(), 0u) << arm.id();
    }
  }
}

TEST_F(EscalateTest, AcknowledgedAttemptsSurviveARestart) {
  const std::string open_id = RouteTo("c3", "weak");
  v1::EscalateResponse before;
  ASSERT_TRUE(Escalate(Report(open_id, "weak", 0.1, 0.001), &before).ok());
  ASSERT_EQ(before.next_arm(), "strong");
  const std::string closed_id = RouteTo("c3", "weak");
  v1::EscalateResponse r;
  ASSERT_TRUE(Escalate(Report(closed_id, "weak", 0.2, 0.001), &r).ok());
  ASSERT_TRUE(Judge(closed_id, 0.0, 0.02).ok());
  const v1::GetModelResponse model_before = server_->Model("c3");

  Start();  // same data dir
  // The learned models (routers and escalation policy) came back exactly.
  const v1::GetModelResponse model_after = server_->Model("c3");
  EXPECT_GT(model_after.cascade_models_size(), 0);
  EXPECT_TRUE(model_after.SerializeAsString() == model_before.SerializeAsString());
  // The open cascade continues where it was: the first report is known, the next is due.
  v1::EscalateResponse again;
  ASSERT_TRUE(Escalate(Report(open_id, "weak", 0.1, 0.001), &again).ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.next_arm(), before.next_arm());
  v1::EscalateResponse next;
  ASSERT_TRUE(Escalate(Report(open_id, "strong", 0.9, 0.02), &next).ok());
  EXPECT_EQ(next.attempts(), 2u);
  // The closed one stays closed.
  const grpc::Status s = Escalate(Report(closed_id, "strong", 0.9, 0.02), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace router
