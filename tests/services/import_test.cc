// Warm start through AdminService.ImportOutcomes: every arm learns its own outcome, a bad item is
// rejected without ending the stream, a repeated import applies nothing, and imported knowledge
// survives a restart without being counted as decisions.

#include <string>
#include <vector>

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
  v1::RouterConfig* r = config.add_routers();
  *r = testing::ToyRouter("toy");
  r->mutable_policy()->set_epsilon(0);
  return config;
}

// Arm "a" is right on maths, "b" on history; "c" is never imported.
std::vector<v1::ImportOutcomesRequest> Items(int n) {
  std::vector<v1::ImportOutcomesRequest> items;
  for (int i = 0; i < n; ++i) {
    const bool maths = i % 2 == 0;
    v1::ImportOutcomesRequest item;
    item.set_router("toy");
    item.set_id(absl::StrCat("q", i));
    item.set_text(maths ? absl::StrCat("solve the equation x + ", i, " = 7")
                        : absl::StrCat("in which year did the treaty number ", i, " end the war"));
    v1::ArmOutcome* a = item.add_outcomes();
    a->set_arm("a");
    a->set_quality(maths ? 1.0 : 0.0);
    a->set_cost_usd(0.002);
    v1::ArmOutcome* b = item.add_outcomes();
    b->set_arm("b");
    b->set_quality(maths ? 0.0 : 1.0);
    b->set_cost_usd(0.001);
    items.push_back(item);
  }
  return items;
}

v1::ImportOutcomesSummary Import(TestServer& server,
                                 const std::vector<v1::ImportOutcomesRequest>& items) {
  grpc::ClientContext ctx;
  v1::ImportOutcomesSummary summary;
  auto writer = server.admin().ImportOutcomes(&ctx, &summary);
  for (const auto& item : items) EXPECT_TRUE(writer->Write(item));
  EXPECT_TRUE(writer->WritesDone());
  const grpc::Status status = writer->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  return summary;
}

v1::RouteResponse RouteText(TestServer& server, const std::string& text) {
  v1::RouteRequest request;
  request.set_router("toy");
  request.set_text(text);
  request.add_allowed_arms("a");
  request.add_allowed_arms("b");
  v1::RouteResponse response;
  const grpc::Status status = server.Route(request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

const v1::ArmInfo& Arm(const v1::RouterInfo& info, const std::string& id) {
  for (const v1::ArmInfo& a : info.arms()) {
    if (a.id() == id) return a;
  }
  ADD_FAILURE() << "no arm " << id;
  return info.arms(0);
}

TEST(ImportTest, SeedsEveryArmFromOfflineOutcomesAndRoutesByThem) {
  TempDir dir;
  auto server = TestServer::Start(Config(), dir.path());
  ASSERT_NE(server, nullptr);
  std::vector<v1::ImportOutcomesRequest> items = Items(40);
  // Bad items in the middle: an unknown arm, a score out of range, no id. Nothing of them lands.
  v1::ImportOutcomesRequest unknown = items[0];
  unknown.set_id("bad-arm");
  unknown.mutable_outcomes(1)->set_arm("zzz");
  v1::ImportOutcomesRequest out_of_range = items[0];
  out_of_range.set_id("bad-score");
  out_of_range.mutable_outcomes(0)->set_quality(1.5);
  v1::ImportOutcomesRequest no_id = items[0];
  no_id.clear_id();
  items.insert(items.begin() + 10, {unknown, out_of_range, no_id});

  const v1::ImportOutcomesSummary summary = Import(*server, items);
  EXPECT_EQ(summary.items(), 43u);
  EXPECT_EQ(summary.observations(), 80u);
  EXPECT_EQ(summary.duplicate(), 0u);
  EXPECT_EQ(summary.rejected(), 3u);
  ASSERT_EQ(summary.errors_size(), 3);
  EXPECT_NE(summary.errors(0).find("zzz"), std::string::npos) << summary.errors(0);
  EXPECT_NE(summary.errors(1).find("judge_score"), std::string::npos) << summary.errors(1);
  EXPECT_NE(summary.errors(2).find("id"), std::string::npos) << summary.errors(2);

  const v1::RouterInfo info = server->Info("toy");
  EXPECT_EQ(info.decisions(), 0u);  // imports are not decisions
  EXPECT_EQ(Arm(info, "a").quality_observations(), 40u);
  EXPECT_EQ(Arm(info, "b").quality_observations(), 40u);
  EXPECT_EQ(Arm(info, "c").quality_observations(), 0u);
  EXPECT_DOUBLE_EQ(Arm(info, "a").mean_quality(), 0.5);
  EXPECT_NEAR(Arm(info, "b").total_cost_usd(), 0.04, 1e-12);

  // Full information on both kinds of query: the very first decisions are already right.
  EXPECT_EQ(RouteText(*server, "solve the equation x + 100 = 7").arm(), "a");
  EXPECT_EQ(RouteText(*server, "in which year did the treaty number 100 end the war").arm(), "b");
}

TEST(ImportTest, RepeatedImportAppliesNothingAndAReusedIdWithOtherTextIsRefused) {
  TempDir dir;
  auto server = TestServer::Start(Config(), dir.path());
  ASSERT_NE(server, nullptr);
  const std::vector<v1::ImportOutcomesRequest> items = Items(6);
  EXPECT_EQ(Import(*server, items).observations(), 12u);
  const v1::RouteResponse before = RouteText(*server, "solve the equation x + 3 = 7");

  const v1::ImportOutcomesSummary again = Import(*server, items);
  EXPECT_EQ(again.observations(), 0u);
  EXPECT_EQ(again.duplicate(), 12u);
  EXPECT_EQ(again.rejected(), 0u);

  v1::ImportOutcomesRequest changed = items[0];
  changed.set_text("a different question under the same id");
  const v1::ImportOutcomesSummary refused = Import(*server, {changed});
  EXPECT_EQ(refused.rejected(), 1u);
  ASSERT_EQ(refused.errors_size(), 1);
  EXPECT_NE(refused.errors(0).find("different query"), std::string::npos) << refused.errors(0);

  EXPECT_EQ(Arm(server->Info("toy"), "a").quality_observations(), 6u);
  const v1::RouteResponse after = RouteText(*server, "solve the equation x + 3 = 7");
  ASSERT_EQ(after.ranking_size(), before.ranking_size());
  for (int i = 0; i < after.ranking_size(); ++i) {
    EXPECT_EQ(after.ranking(i).arm(), before.ranking(i).arm());
    EXPECT_DOUBLE_EQ(after.ranking(i).predicted_quality(), before.ranking(i).predicted_quality());
  }
}

// Imported outcomes were never spent: with a spend target below their mean cost they must not
// drive the spend multiplier up before the first real request (it would start the online pass
// pricing cost at whatever 2 x n imports had accumulated, e.g. always the cheapest arm).
TEST(ImportTest, ImportedCostsDoNotMoveTheSpendMultiplier) {
  TempDir dir;
  v1::ServerConfig config = Config();
  config.mutable_routers(0)->mutable_budget()->set_target_cost_per_request_usd(0.0005);
  auto server = TestServer::Start(config, dir.path());
  ASSERT_NE(server, nullptr);
  ASSERT_EQ(Import(*server, Items(30)).observations(), 60u);  // mean cost 0.0015, 3x the target
  const v1::RouterInfo info = server->Info("toy");
  EXPECT_DOUBLE_EQ(info.target_cost_per_request_usd(), 0.0005);
  EXPECT_DOUBLE_EQ(info.spend_multiplier(), 0.0);
}

TEST(ImportTest, ImportedKnowledgeSurvivesARestartAndIsNotCountedAsDecisions) {
  TempDir dir;
  v1::RouteResponse before;
  v1::RouterInfo info_before;
  {
    auto server = TestServer::Start(Config(), dir.path());
    ASSERT_NE(server, nullptr);
    ASSERT_EQ(Import(*server, Items(30)).observations(), 60u);
    before = RouteText(*server, "solve the equation x + 3 = 7");
    info_before = server->Info("toy");
    server->server().Shutdown();
  }
  auto server = TestServer::Start(Config(), dir.path());
  ASSERT_NE(server, nullptr);
  // Shutdown wrote a checkpoint holding the imports; recovery loads it.
  EXPECT_EQ(server->server().recovery().routers_from_checkpoint, 1u);
  const v1::RouterInfo info_after = server->Info("toy");
  EXPECT_EQ(info_after.decisions(), 1u);
  // Imports are not decisions: no joins, no rewarded events, no regret, before or after.
  const v1::RouterInfo* infos[] = {&info_before, &info_after};
  for (const v1::RouterInfo* info : infos) {
    EXPECT_EQ(info->joined_decisions(), 0u);
    EXPECT_EQ(info->rewarded_events(), 0u);
    EXPECT_DOUBLE_EQ(info->estimated_regret(), 0.0);
  }
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_EQ(Arm(info_after, id).quality_observations(),
              Arm(info_before, id).quality_observations());
    EXPECT_DOUBLE_EQ(Arm(info_after, id).prior_quality(), Arm(info_before, id).prior_quality());
  }
  const v1::RouteResponse after = RouteText(*server, "solve the equation x + 3 = 7");
  EXPECT_EQ(after.arm(), before.arm());
  ASSERT_EQ(after.ranking_size(), before.ranking_size());
  for (int i = 0; i < after.ranking_size(); ++i) {
    EXPECT_DOUBLE_EQ(after.ranking(i).predicted_quality(), before.ranking(i).predicted_quality());
    EXPECT_DOUBLE_EQ(after.ranking(i).exploration_bonus(), before.ranking(i).exploration_bonus());
  }
}

// With fsync per write, the import summary is sent only after the group commit; the imported
// knowledge is then all there after a restart.
TEST(ImportTest, SyncModeImportIsSummarisedAndSurvivesARestart) {
  TempDir dir;
  services::ServerOptions options;
  options.config = Config();
  options.data_dir = dir.path();
  options.store.sync = true;
  {
    auto server = TestServer::StartOrStatus(options);
    ASSERT_TRUE(server.ok()) << server.status();
    const v1::ImportOutcomesSummary summary = Import(**server, Items(10));
    EXPECT_EQ(summary.items(), 10u);
    EXPECT_EQ(summary.observations(), 20u);
    EXPECT_EQ(summary.rejected(), 0u);
  }
  auto server = TestServer::StartOrStatus(options);
  ASSERT_TRUE(server.ok()) << server.status();
  uint64_t observations = 0;
  const v1::RouterInfo info = (*server)->Info("toy");
  for (const v1::ArmInfo& arm : info.arms()) observations += arm.quality_observations();
  EXPECT_EQ(observations, 20u);
}

}  // namespace
}  // namespace router
