// Recovery from a checkpoint plus the later events equals a full replay of the log and the live
// model, to the last bit; a checkpoint that fails its checks stops start-up with a way out.

#include <memory>
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

RouterSpec Spec(const std::string& name, double gamma, int dim) {
  RouterSpec spec;
  spec.name = name;
  spec.features.dim = dim;
  spec.policy.gamma = gamma;
  spec.policy.epsilon = 0.2;
  for (const char* id : {"a", "b", "c"}) {
    ArmSpec arm;
    arm.id = id;
    arm.input_price_per_mtok = 1;
    arm.output_price_per_mtok = 3;
    spec.arms.push_back(arm);
  }
  return spec;
}

// One router without and one with forgetting (γ < 1 keeps A and restores the prior every d
// updates, the trickiest state to carry over).
// The first also holds a spend target (its multiplier is state too), the second weighs thumbs
// and judge scores differently.
std::vector<RouterSpec> Specs() {
  std::vector<RouterSpec> specs = {Spec("plain", 1.0, 16), Spec("forget", 0.9, 8)};
  specs[0].spend.target_cost_per_request_usd = 0.0015;
  specs[1].quality_sources.thumbs = 0.5;
  specs[1].quality_sources.judge = 2.0;
  return specs;
}

class RecoveryTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<Engine>> Open(const std::vector<RouterSpec>& specs,
                                               bool ignore_checkpoints = false) {
    engine_.reset();
    store_.reset();
    auto store = RocksStore::Open(dir_.path());
    if (!store.ok()) return store.status();
    store_ = *std::move(store);
    DurabilityOptions options;
    options.ignore_checkpoints = ignore_checkpoints;
    return Engine::Create(specs, store_.get(), &clock_, options);
  }

  // Route + feedback with every kind of signal; some decisions get two events.
  void Drive(Engine& engine, int from, int to) {
    for (int i = from; i < to; ++i) {
      for (const char* router : {"plain", "forget"}) {
        RouteQuery q;
        q.router = router;
        q.text = absl::StrCat("query ", i, " about topic ", i % 7);
        auto r = engine.Route(q);
        ASSERT_TRUE(r.ok()) << r.status();
        FeedbackEvent e;
        e.decision_id = r->decision.decision_id;
        e.feedback_id = absl::StrCat(router, "-", i);
        e.signals.judge_score = (i % 10) / 10.0;
        if (i % 3 == 0) e.signals.thumbs = ThumbsSignal::kUp;
        if (i % 2 == 0) e.signals.cost_usd = 0.001 * (i % 5);
        if (i % 4 == 0) e.signals.latency_ms = 100 + i;
        if (i % 6 == 0) e.signals.arm_qualities = {{"a", 0.2}, {"b", 0.9}, {"c", 0.5}};
        ASSERT_TRUE(engine.Feedback(e).ok());
        if (i % 5 == 0) {
          FeedbackEvent late;
          late.decision_id = r->decision.decision_id;
          late.feedback_id = absl::StrCat(router, "-late-", i);
          late.signals.energy_j = 3.5;
          late.signals.output_tokens = 200;
          ASSERT_TRUE(engine.Feedback(late).ok());
        }
      }
    }
  }

  // The engine's regret and join accounting must recover exactly like the models.
  void ExpectSameAccounting(const std::vector<RouterStats>& e, const Engine& actual) {
    const std::vector<RouterStats> a = actual.ListRouters();
    ASSERT_EQ(e.size(), a.size());
    for (size_t i = 0; i < e.size(); ++i) {
      EXPECT_EQ(e[i].joined_decisions, a[i].joined_decisions) << e[i].name;
      EXPECT_GT(e[i].joined_decisions, 0u) << e[i].name;
      EXPECT_EQ(e[i].regret.rewarded_events, a[i].regret.rewarded_events) << e[i].name;
      EXPECT_EQ(e[i].regret.realised_quality, a[i].regret.realised_quality) << e[i].name;
      EXPECT_EQ(e[i].regret.estimated_regret, a[i].regret.estimated_regret) << e[i].name;
      EXPECT_EQ(e[i].regret.exact_regret, a[i].regret.exact_regret) << e[i].name;
      EXPECT_EQ(e[i].regret.exact_regret_events, a[i].regret.exact_regret_events) << e[i].name;
      EXPECT_GT(e[i].regret.exact_regret_events, 0u) << e[i].name;
      EXPECT_EQ(e[i].spend_multiplier, a[i].spend_multiplier) << e[i].name;
    }
  }

  std::vector<RouterState> States(const Engine& engine) {
    std::vector<RouterState> out;
    for (const char* router : {"plain", "forget"}) out.push_back(*engine.ExportRouter(router));
    return out;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_;
  std::unique_ptr<RocksStore> store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(RecoveryTest, CheckpointPlusReplayEqualsFullReplayEqualsLive) {
  ASSERT_TRUE(Open(Specs()).ok());
  auto engine = Open(Specs());
  ASSERT_TRUE(engine.ok()) << engine.status();
  Drive(**engine, 0, 60);
  ASSERT_TRUE((*engine)->Checkpoint().ok());
  Drive(**engine, 60, 100);  // after the checkpoint, as if killed here
  const std::vector<RouterState> live = States(**engine);
  const uint64_t events = (*engine)->LastEventSequence();
  EXPECT_GT(live[0].spend_multiplier, 0.0) << "the spend target should bind";
  const std::vector<RouterStats> live_stats = (*engine)->ListRouters();

  auto from_checkpoint = Open(Specs());
  ASSERT_TRUE(from_checkpoint.ok()) << from_checkpoint.status();
  const RecoveryStats& stats = (*from_checkpoint)->recovery();
  EXPECT_EQ(stats.routers_from_checkpoint, 2u);
  EXPECT_GT(stats.checkpoint_event_sequence, 0u);
  EXPECT_EQ(stats.feedback_events, events - stats.checkpoint_event_sequence);
  EXPECT_EQ(stats.decisions, 80u);  // 40 rounds × 2 routers after the checkpoint
  const std::vector<RouterState> recovered = States(**from_checkpoint);
  for (size_t i = 0; i < live.size(); ++i) ExpectSameState(live[i], recovered[i]);
  ExpectSameAccounting(live_stats, **from_checkpoint);
  EXPECT_EQ((*from_checkpoint)->LastEventSequence(), events);

  auto full = Open(Specs(), /*ignore_checkpoints=*/true);
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ((*full)->recovery().feedback_events, events);
  const std::vector<RouterState> replayed = States(**full);
  for (size_t i = 0; i < live.size(); ++i) ExpectSameState(live[i], replayed[i]);
  ExpectSameAccounting(live_stats, **full);

  // And they keep agreeing as learning goes on.
  Drive(**full, 100, 110);
  const std::vector<RouterState> full_after = States(**full);
  auto again = Open(Specs());
  ASSERT_TRUE(again.ok());
  for (size_t i = 0; i < live.size(); ++i) ExpectSameState(full_after[i], States(**again)[i]);
}

TEST_F(RecoveryTest, ChangedPriorRebuildsModelsFromTheLogAndKeepsDecisionCounts) {
  auto engine = Open(Specs());
  ASSERT_TRUE(engine.ok());
  Drive(**engine, 0, 30);
  ASSERT_TRUE((*engine)->Checkpoint().ok());
  Drive(**engine, 30, 40);

  std::vector<RouterSpec> changed = Specs();
  changed[0].arms[1].quality_prior = 0.9;
  auto reference = Open(changed, /*ignore_checkpoints=*/true);
  ASSERT_TRUE(reference.ok());
  const std::vector<RouterState> expected = States(**reference);

  auto recovered = Open(changed);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  const RecoveryStats& stats = (*recovered)->recovery();
  EXPECT_EQ(stats.routers_from_checkpoint, 1u);  // "forget" is unchanged
  ASSERT_EQ(stats.notes.size(), 1u);
  EXPECT_NE(stats.notes[0].find("another prior"), std::string::npos) << stats.notes[0];
  const std::vector<RouterState> actual = States(**recovered);
  for (size_t i = 0; i < expected.size(); ++i) ExpectSameState(expected[i], actual[i]);
}

TEST_F(RecoveryTest, InvalidCheckpointStopsStartUpAndRebuildStateRecovers) {
  auto engine = Open(Specs());
  ASSERT_TRUE(engine.ok());
  Drive(**engine, 0, 20);
  ASSERT_TRUE((*engine)->Checkpoint().ok());
  const std::vector<RouterState> live = States(**engine);
  std::optional<EngineCheckpoint> good = *store_->ReadCheckpoint();
  ASSERT_TRUE(good.has_value());

  struct Damage {
    const char* expect;
    std::function<void(EngineCheckpoint&)> apply;
  };
  const Damage damages[] = {
      {"non-finite", [](EngineCheckpoint& c) { c.routers[0].state.arms[1].quality.theta[2] = NAN; }},
      {"not positive definite",
       [](EngineCheckpoint& c) { c.routers[1].state.arms[0].cost.a_inv_lower[0] = -1; }},
      {"wrong size", [](EngineCheckpoint& c) { c.routers[0].state.arms[0].energy.b.pop_back(); }},
      {"log records are missing", [](EngineCheckpoint& c) { c.last_event_sequence += 1000; }},
  };
  for (const Damage& damage : damages) {
    EngineCheckpoint bad = *good;
    damage.apply(bad);
    ASSERT_TRUE(store_->WriteCheckpoint(bad).ok());
    auto refused = Open(Specs());
    ASSERT_FALSE(refused.ok()) << damage.expect;
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss) << refused.status();
    EXPECT_NE(refused.status().message().find(damage.expect), std::string::npos)
        << refused.status();
    if (std::string(damage.expect) != "log records are missing") {
      EXPECT_NE(refused.status().message().find("--rebuild_state"), std::string::npos)
          << refused.status();
    }
    auto rebuilt = Open(Specs(), /*ignore_checkpoints=*/true);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    const std::vector<RouterState> actual = States(**rebuilt);
    for (size_t i = 0; i < live.size(); ++i) ExpectSameState(live[i], actual[i]);
  }
}

}  // namespace
}  // namespace router
