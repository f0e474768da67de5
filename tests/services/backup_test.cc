// Backups restore the model and the decisions exactly; sync mode (group commit) serves and
// recovers like the default mode.

#include <thread>

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

// Route + feedback; returns the decision id.
std::string RouteAndRate(TestServer& server, const std::string& text, const std::string& fid) {
  v1::RouteRequest request;
  request.set_router("toy");
  request.set_text(text);
  v1::RouteResponse routed;
  EXPECT_TRUE(server.Route(request, &routed).ok());
  v1::FeedbackRequest f;
  f.set_decision_id(routed.decision_id());
  f.set_feedback_id(fid);
  f.set_judge_score(text.size() % 2 ? 0.9 : 0.3);
  f.set_cost_usd(0.001);
  v1::FeedbackResponse r;
  EXPECT_TRUE(server.Feedback(f, &r).ok());
  return routed.decision_id();
}

void ExpectSameModel(const v1::GetModelResponse& a, const v1::GetModelResponse& b) {
  EXPECT_EQ(a.last_event_sequence(), b.last_event_sequence());
  EXPECT_EQ(a.decisions(), b.decisions());
  ASSERT_EQ(a.arms_size(), b.arms_size());
  for (int i = 0; i < a.arms_size(); ++i) {
    EXPECT_EQ(a.arms(i).decisions(), b.arms(i).decisions());
    ASSERT_EQ(a.arms(i).objectives_size(), b.arms(i).objectives_size());
    for (int o = 0; o < a.arms(i).objectives_size(); ++o) {
      const v1::ObjectiveModel& x = a.arms(i).objectives(o);
      const v1::ObjectiveModel& y = b.arms(i).objectives(o);
      EXPECT_EQ(x.observations(), y.observations());
      ASSERT_EQ(x.theta_size(), y.theta_size());
      for (int k = 0; k < x.theta_size(); ++k) EXPECT_EQ(x.theta(k), y.theta(k));
      ASSERT_EQ(x.a_inv_lower_size(), y.a_inv_lower_size());
      for (int k = 0; k < x.a_inv_lower_size(); ++k) EXPECT_EQ(x.a_inv_lower(k), y.a_inv_lower(k));
    }
  }
}

grpc::Status Backup(TestServer& server, const std::string& dir) {
  grpc::ClientContext ctx;
  v1::BackupRequest request;
  request.set_dir(dir);
  v1::BackupResponse response;
  return server.admin().Backup(&ctx, request, &response);
}

TEST(BackupTest, RestoreReproducesModelAndDecisions) {
  TempDir dir;
  std::vector<std::string> decisions;
  v1::GetModelResponse at_backup;
  {
    auto server = TestServer::Start(Config(), dir.Sub("data"));
    ASSERT_NE(server, nullptr);
    for (int i = 0; i < 40; ++i) {
      decisions.push_back(RouteAndRate(*server, absl::StrCat("q", i, "?"), absl::StrCat("f", i)));
    }
    at_backup = server->Model("toy");
    ASSERT_TRUE(Backup(*server, dir.Sub("backup")).ok());
    EXPECT_EQ(Backup(*server, dir.Sub("backup")).error_code(), grpc::StatusCode::ALREADY_EXISTS);
    EXPECT_EQ(Backup(*server, "relative/dir").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(Backup(*server, dir.Sub("no/such/parent")).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
    RouteAndRate(*server, "after the backup", "f-after");  // must not be in the backup
  }
  auto restored = TestServer::Start(Config(), dir.Sub("backup"));
  ASSERT_NE(restored, nullptr);
  EXPECT_EQ(restored->server().recovery().feedback_events, 0u) << "the backup has a checkpoint";
  ExpectSameModel(at_backup, restored->Model("toy"));
  for (size_t i = 0; i < decisions.size(); ++i) {
    v1::FeedbackRequest f;
    f.set_decision_id(decisions[i]);
    f.set_feedback_id(absl::StrCat("f", i));
    f.set_judge_score(0.5);
    v1::FeedbackResponse r;
    ASSERT_TRUE(restored->Feedback(f, &r).ok()) << decisions[i];
    EXPECT_TRUE(r.duplicate());
  }
}

TEST(SyncModeTest, ConcurrentClientsAreAcknowledgedAndRecovered) {
  TempDir dir;
  services::ServerOptions options;
  options.config = Config();
  options.data_dir = dir.path();
  options.store.sync = true;
  v1::GetModelResponse before;
  {
    auto server = TestServer::StartOrStatus(options);
    ASSERT_TRUE(server.ok()) << server.status();
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; i < 25; ++i) {
          RouteAndRate(**server, absl::StrCat("client ", c, " query ", i),
                       absl::StrCat("c", c, "-", i));
        }
      });
    }
    for (auto& t : clients) t.join();
    before = (*server)->Model("toy");
    EXPECT_EQ(before.last_event_sequence(), 100u);
  }
  options.rebuild_state = true;  // replay every event, not the shutdown checkpoint
  auto server = TestServer::StartOrStatus(options);
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->server().recovery().feedback_events, 100u);
  ExpectSameModel(before, (*server)->Model("toy"));
}

}  // namespace
}  // namespace router
