// Cascades are logged like decisions: recovery (from a checkpoint plus the later events, or from
// the whole log) rebuilds the escalation policy and the routers bit-identically, and open
// cascades continue where they were.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/engine.h"
#include "gtest/gtest.h"
#include "storage/rocks_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/model_compare.h"
#include "tests/testing/temp_dir.h"

namespace router {
namespace {

using storage::RocksStore;
using testing::ExpectSameState;

std::vector<RouterSpec> Specs() {
  RouterSpec spec;
  spec.name = "cascade";
  spec.features.dim = 16;
  spec.policy.epsilon = 0.1;
  spec.weights.cost = 0.2;
  spec.scales.cost_usd = 0.01;
  spec.spend.target_cost_per_request_usd = 0.004;  // the multiplier prices escalations too
  spec.cascade.max_attempts = 3;
  spec.cascade.epsilon = 0.2;  // plenty of explored escalations
  const std::pair<const char*, double> arms[] = {{"cheap", 0.3}, {"mid", 3}, {"big", 10}};
  for (const auto& [id, price] : arms) {
    ArmSpec arm;
    arm.id = id;
    arm.input_price_per_mtok = price;
    arm.output_price_per_mtok = 2 * price;
    spec.arms.push_back(arm);
  }
  return {spec};
}

void ExpectSameCascade(const CascadeState& expected, const CascadeState& actual) {
  ASSERT_EQ(expected.models.size(), actual.models.size());
  for (size_t i = 0; i < expected.models.size(); ++i) {
    const CascadeModelState& e = expected.models[i];
    const CascadeModelState& a = actual.models[i];
    const std::string what = absl::StrCat(e.from_arm, " -> ", e.action.empty() ? "accept" : e.action);
    EXPECT_EQ(e.from_arm, a.from_arm);
    EXPECT_EQ(e.action, a.action);
    EXPECT_EQ(e.quality_a_lower, a.quality_a_lower) << what;
    EXPECT_EQ(e.quality_b, a.quality_b) << what;
    EXPECT_EQ(e.cost_a_lower, a.cost_a_lower) << what;
    EXPECT_EQ(e.cost_b, a.cost_b) << what;
    EXPECT_EQ(e.quality_observations, a.quality_observations) << what;
    EXPECT_EQ(e.cost_observations, a.cost_observations) << what;
  }
  EXPECT_EQ(expected.counters.answered, actual.counters.answered);
  EXPECT_EQ(expected.counters.accepted, actual.counters.accepted);
  EXPECT_EQ(expected.counters.escalations, actual.counters.escalations);
  EXPECT_EQ(expected.counters.closed, actual.counters.closed);
  EXPECT_EQ(expected.counters.arms_tried, actual.counters.arms_tried);
  EXPECT_EQ(expected.counters.cost_usd, actual.counters.cost_usd);
  EXPECT_EQ(expected.counters.escalation_cost_usd, actual.counters.escalation_cost_usd);
  EXPECT_EQ(expected.counters.regret, actual.counters.regret);
}

class CascadeRecoveryTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<Engine>> Open(bool ignore_checkpoints = false) {
    engine_.reset();
    store_.reset();
    auto store = RocksStore::Open(dir_.path());
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    DurabilityOptions options;
    options.ignore_checkpoints = ignore_checkpoints;
    return Engine::Create(Specs(), store_.get(), &clock_, options);
  }

  // Cascades of every shape: accepted at once, escalated and reported, escalated and rated
  // without a report, and every fourth left open (no feedback yet).
  void Drive(Engine& engine, int from, int to) {
    for (int i = from; i < to; ++i) {
      RouteQuery q;
      q.router = "cascade";
      q.text = absl::StrCat("question ", i, " on topic ", i % 5);
      auto routed = engine.Route(q);
      ASSERT_TRUE(routed.ok()) << routed.status();
      const std::string id = routed->decision.decision_id;
      std::string arm = routed->decision.arm;
      double cost = 0;
      for (int step = 0; step < 3 && !arm.empty(); ++step) {
        if ((i + step) % 3 == 2) break;  // rated without reporting this answer
        EscalateRequest report;
        report.decision_id = id;
        report.attempt.arm = arm;
        report.attempt.verifier_score = ((i * 7 + step * 3) % 11) / 10.0;
        if (i % 2 == 0) report.attempt.confidence = (i % 5) / 4.0;
        report.attempt.cost_usd = 0.001 * (1 + (i + step) % 4);
        report.attempt.latency_ms = 50 + i;
        cost += *report.attempt.cost_usd;
        auto answer = engine.Escalate(report);
        ASSERT_TRUE(answer.ok()) << answer.status();
        arm = answer->attempt.next_arm;
      }
      if (i % 4 == 3) {
        if (i % 3 != 2) open_.push_back(id);  // a chain was started
        continue;
      }
      FeedbackEvent e;
      e.decision_id = id;
      e.feedback_id = absl::StrCat("fb-", i);
      e.signals.judge_score = (i % 10) / 10.0;
      if (i % 3 == 0) e.signals.cost_usd = 0.002;
      if (i % 5 == 0) e.signals.arm_qualities = {{"big", 0.9}, {"cheap", 0.3}, {"mid", 0.6}};
      ASSERT_TRUE(engine.Feedback(e).ok());
    }
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<RocksStore> store_;
  std::unique_ptr<Engine> engine_;
  std::vector<std::string> open_;
};

TEST_F(CascadeRecoveryTest, CheckpointPlusLogAndFullReplayEqualTheLiveState) {
  auto engine = Open();
  ASSERT_TRUE(engine.ok()) << engine.status();
  Drive(**engine, 0, 60);
  ASSERT_TRUE((*engine)->Checkpoint().ok());
  Drive(**engine, 60, 130);
  const RouterState live = *(*engine)->ExportRouter("cascade");
  const CascadeState live_cascade = *(*engine)->ExportCascade("cascade");
  ASSERT_GT(live_cascade.counters.closed, 50u);
  uint64_t escalations = 0;
  for (const auto& [pair, n] : live_cascade.counters.escalations) escalations += n;
  ASSERT_GT(escalations, 20u);  // the logs really hold chains
  engine->reset();

  for (bool full_replay : {false, true}) {
    SCOPED_TRACE(full_replay ? "full replay" : "checkpoint + later events");
    auto recovered = Open(full_replay);
    ASSERT_TRUE(recovered.ok()) << recovered.status();
    EXPECT_EQ((*recovered)->recovery().checkpoint_event_sequence > 0, !full_replay);
    ExpectSameState(live, *(*recovered)->ExportRouter("cascade"));
    ExpectSameCascade(live_cascade, *(*recovered)->ExportCascade("cascade"));
    recovered->reset();
  }
}

TEST_F(CascadeRecoveryTest, OpenCascadesContinueAfterRecovery) {
  auto engine = Open();
  ASSERT_TRUE(engine.ok()) << engine.status();
  Drive(**engine, 0, 40);
  ASSERT_FALSE(open_.empty());
  std::vector<Decision> before;
  for (const std::string& id : open_) before.push_back(*store_->GetDecision(id));
  engine->reset();

  auto recovered = Open();
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  for (const Decision& d : before) {
    ASSERT_FALSE(d.attempts.empty());
    const Attempt& last = d.attempts.back();
    // The acknowledged report is known: repeating it returns the logged answer.
    EscalateRequest again;
    again.decision_id = d.decision_id;
    again.attempt = last;
    auto answer = (*recovered)->Escalate(again);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_TRUE(answer->duplicate);
    EXPECT_EQ(answer->attempt.next_arm, last.next_arm);
    EXPECT_EQ(answer->attempt.propensity, last.propensity);
    EXPECT_EQ(answer->attempts, d.attempts.size());
  }
}

}  // namespace
}  // namespace router
