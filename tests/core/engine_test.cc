// Engine on the in-memory store: expiry, duplicates, import idempotency and recovery, at the
// cheapest layer that has the whole logic (tests/storage/recovery_test.cc does recovery on
// RocksDB, tests/services/ttl_test.cc expiry through gRPC).

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/engine.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/in_memory_store.h"
#include "tests/testing/model_compare.h"

namespace router {
namespace {

using testing::ExpectSameState;
using testing::FakeClock;
using testing::InMemoryStore;

constexpr absl::Duration kTtl = absl::Hours(1);

// Uniform choice among six arms: every decision's arm depends on its seed, so two engines that
// seed differently soon choose differently.
RouterSpec Spec() {
  RouterSpec spec;
  spec.name = "r";
  spec.features.dim = 8;
  spec.policy.epsilon = 0.3;
  spec.default_reward = 0.25;
  for (const char* id : {"a", "b", "c", "d", "e", "f"}) {
    ArmSpec arm;
    arm.id = id;
    arm.input_price_per_mtok = 1;
    arm.output_price_per_mtok = 2;
    spec.arms.push_back(arm);
  }
  return spec;
}

class EngineTest : public ::testing::Test {
 protected:
  // A (re)started engine on the same store, as a restarted process would find it.
  std::unique_ptr<Engine> Start(bool ignore_checkpoints = false) {
    engine_.reset();
    DurabilityOptions options;
    options.decision_ttl = kTtl;
    options.ignore_checkpoints = ignore_checkpoints;
    auto engine = Engine::Create({Spec()}, &store_, &clock_, options);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? *std::move(engine) : nullptr;
  }

  static RouteQuery Query(int i) {
    RouteQuery q;
    q.router = "r";
    q.text = absl::StrCat("question ", i, " on topic ", i % 5);
    return q;
  }

  // Routes queries [from, to), each with a judge score; returns the chosen arms.
  static std::vector<std::string> Drive(Engine& engine, int from, int to) {
    std::vector<std::string> arms;
    for (int i = from; i < to; ++i) {
      auto r = engine.Route(Query(i));
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok()) return arms;
      arms.push_back(r->decision.arm);
      FeedbackEvent e;
      e.decision_id = r->decision.decision_id;
      e.feedback_id = absl::StrCat("f", i);
      e.signals.judge_score = (i % 7) / 7.0;
      if (i % 3 == 0) e.signals.cost_usd = 0.001 * (i % 4);
      EXPECT_TRUE(engine.Feedback(e).ok());
    }
    return arms;
  }

  static FeedbackEvent Judge(const std::string& decision_id, const std::string& feedback_id) {
    FeedbackEvent e;
    e.decision_id = decision_id;
    e.feedback_id = feedback_id;
    e.signals.judge_score = 0.9;
    return e;
  }

  FakeClock clock_;
  InMemoryStore store_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, FeedbackForAnExpiredDecisionCarriesTheExpiredPayload) {
  std::unique_ptr<Engine> engine = Start();
  auto r = engine->Route(Query(1));
  ASSERT_TRUE(r.ok()) << r.status();
  clock_.Advance(kTtl + absl::Seconds(1));

  // Expired but not yet swept: the decision is still in the store.
  auto before_sweep = engine->Feedback(Judge(r->decision.decision_id, "late"));
  EXPECT_TRUE(absl::IsFailedPrecondition(before_sweep.status())) << before_sweep.status();
  EXPECT_TRUE(IsDecisionExpired(before_sweep.status()));

  auto swept = engine->SweepExpired();
  ASSERT_TRUE(swept.ok()) << swept.status();
  EXPECT_EQ(swept->expired, 1u);
  EXPECT_EQ(swept->default_rewards, 1u);  // it never got a quality signal
  EXPECT_FALSE(store_.GetDecision(r->decision.decision_id).ok());

  // Swept: told apart from an unknown id by the time in the id.
  auto after_sweep = engine->Feedback(Judge(r->decision.decision_id, "later"));
  EXPECT_TRUE(IsDecisionExpired(after_sweep.status())) << after_sweep.status();
  auto unknown = engine->Feedback(Judge("0123456789abcdef0123456789abcdef", "x"));
  EXPECT_TRUE(absl::IsNotFound(unknown.status())) << unknown.status();
  EXPECT_FALSE(IsDecisionExpired(unknown.status()));
}

TEST_F(EngineTest, RetryOfAppliedFeedbackIsADuplicateAfterTheDecisionExpired) {
  std::unique_ptr<Engine> engine = Start();
  auto r = engine->Route(Query(1));
  ASSERT_TRUE(r.ok());
  auto first = engine->Feedback(Judge(r->decision.decision_id, "once"));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate);
  const uint64_t sequence = engine->LastEventSequence();

  clock_.Advance(kTtl + absl::Seconds(1));
  auto retry_unswept = engine->Feedback(Judge(r->decision.decision_id, "once"));
  ASSERT_TRUE(retry_unswept.ok()) << retry_unswept.status();
  EXPECT_TRUE(retry_unswept->duplicate);

  auto swept = engine->SweepExpired();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(swept->expired, 1u);
  EXPECT_EQ(swept->default_rewards, 0u);  // it had a judge score
  auto retry_swept = engine->Feedback(Judge(r->decision.decision_id, "once"));
  ASSERT_TRUE(retry_swept.ok()) << retry_swept.status();
  EXPECT_TRUE(retry_swept->duplicate);
  EXPECT_EQ(engine->LastEventSequence(), sequence) << "a duplicate must not be appended";
  // A new feedback id for the same decision is refused as expired.
  EXPECT_TRUE(IsDecisionExpired(engine->Feedback(Judge(r->decision.decision_id, "new")).status()));
}

TEST_F(EngineTest, RepeatedImportIsIdempotentAndAChangedQueryIsRefused) {
  std::unique_ptr<Engine> engine = Start();
  ImportItem item;
  item.router = "r";
  item.id = "q1";
  item.query.text = "translate this sentence";
  Signals good, bad;
  good.judge_score = 0.9;
  bad.judge_score = 0.1;
  item.outcomes = {{"a", good}, {"b", bad}};

  auto first = engine->Import(item);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->applied, 2);
  EXPECT_EQ(first->duplicate, 0);
  const RouterState after_first = *engine->ExportRouter("r");
  EXPECT_EQ(engine->ListRouters()[0].decisions, 0u) << "imports are not decisions";

  auto second = engine->Import(item);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->applied, 0);
  EXPECT_EQ(second->duplicate, 2);
  ExpectSameState(after_first, *engine->ExportRouter("r"));

  ImportItem changed = item;
  changed.query.text = "a different query";
  auto refused = engine->Import(changed);
  EXPECT_TRUE(absl::IsAlreadyExists(refused.status())) << refused.status();

  // An unknown arm anywhere in the item: nothing of it is applied.
  ImportItem partly_bad = item;
  partly_bad.id = "q2";
  partly_bad.outcomes = {{"a", good}, {"nope", good}};
  EXPECT_TRUE(absl::IsInvalidArgument(engine->Import(partly_bad).status()));
  ExpectSameState(after_first, *engine->ExportRouter("r"));

  // And a restart replays the imports once.
  std::unique_ptr<Engine> restarted = Start(/*ignore_checkpoints=*/true);
  ExpectSameState(after_first, *restarted->ExportRouter("r"));
}

TEST_F(EngineTest, CheckpointPlusReplayEqualsFullReplay) {
  std::unique_ptr<Engine> engine = Start();
  Drive(*engine, 0, 40);
  ASSERT_TRUE(engine->Checkpoint().ok());
  Drive(*engine, 40, 70);
  const RouterState live = *engine->ExportRouter("r");
  const RouterStats live_stats = engine->ListRouters()[0];
  const uint64_t events = engine->LastEventSequence();

  std::unique_ptr<Engine> from_checkpoint = Start();
  EXPECT_EQ(from_checkpoint->recovery().routers_from_checkpoint, 1u);
  EXPECT_EQ(from_checkpoint->recovery().decisions, 30u);
  EXPECT_EQ(from_checkpoint->recovery().feedback_events, 30u);
  ExpectSameState(live, *from_checkpoint->ExportRouter("r"));
  EXPECT_EQ(from_checkpoint->LastEventSequence(), events);
  const std::vector<std::string> next_from_checkpoint = Drive(*from_checkpoint, 70, 100);
  const RouterState later_from_checkpoint = *from_checkpoint->ExportRouter("r");

  const RouterStats recovered_stats = from_checkpoint->ListRouters()[0];
  EXPECT_EQ(recovered_stats.joined_decisions, 100u);
  EXPECT_EQ(recovered_stats.regret.rewarded_events, 100u);

  // The whole log replayed without the checkpoint: the same models, accounting and counts.
  std::unique_ptr<Engine> full = Start(/*ignore_checkpoints=*/true);
  EXPECT_EQ(full->recovery().routers_from_checkpoint, 0u);
  EXPECT_EQ(full->recovery().decisions, 100u);
  EXPECT_EQ(full->recovery().feedback_events, 100u);
  ExpectSameState(later_from_checkpoint, *full->ExportRouter("r"));
  const RouterStats full_stats = full->ListRouters()[0];
  EXPECT_EQ(full_stats.decisions, recovered_stats.decisions);
  EXPECT_EQ(full_stats.joined_decisions, recovered_stats.joined_decisions);
  EXPECT_EQ(full_stats.regret.realised_quality, recovered_stats.regret.realised_quality);
  EXPECT_EQ(full_stats.regret.estimated_regret, recovered_stats.regret.estimated_regret);
  EXPECT_EQ(full_stats.spend_multiplier, recovered_stats.spend_multiplier);
  // The live engine's accounting came through the checkpoint unchanged.
  EXPECT_EQ(live_stats.joined_decisions, 70u);
}

// A refused query must not consume a decision seed: recovery counts only logged decisions, so
// otherwise an engine recovered from a checkpoint (which stored the live counter) and one that
// replayed the whole log would seed their next decisions differently. Failed before the fix
// (the counter advanced before the router validated the query).
TEST_F(EngineTest, RefusedQueryTakesNoDecisionSeed) {
  std::unique_ptr<Engine> engine = Start();
  Drive(*engine, 0, 10);
  RouteQuery bad = Query(10);
  bad.allowed_arms = {"no-such-arm"};
  EXPECT_TRUE(absl::IsInvalidArgument(engine->Route(bad).status()));
  RouteQuery bad_preferences = Query(10);
  bad_preferences.preferences.cost = -1;
  EXPECT_TRUE(absl::IsInvalidArgument(engine->Route(bad_preferences).status()));
  ASSERT_TRUE(engine->Checkpoint().ok());
  auto checkpoint = store_.ReadCheckpoint();
  ASSERT_TRUE(checkpoint.ok() && checkpoint->has_value());
  EXPECT_EQ((*checkpoint)->decision_counter, 10u) << "the counter counts decisions made";

  std::unique_ptr<Engine> from_checkpoint = Start();
  const std::vector<std::string> after_checkpoint = Drive(*from_checkpoint, 10, 40);
  const RouterState state_after_checkpoint = *from_checkpoint->ExportRouter("r");
  from_checkpoint.reset();

  // The same ten queries, on a second store that never saw the refused ones, recovered by
  // replaying its whole log.
  InMemoryStore twin;
  DurabilityOptions options;
  options.decision_ttl = kTtl;
  engine_.reset();
  auto reference = Engine::Create({Spec()}, &twin, &clock_, options);
  ASSERT_TRUE(reference.ok());
  Drive(**reference, 0, 10);
  reference->reset();
  auto replayed = Engine::Create({Spec()}, &twin, &clock_, options);
  ASSERT_TRUE(replayed.ok());
  const std::vector<std::string> after_replay = Drive(**replayed, 10, 40);
  EXPECT_EQ(after_checkpoint, after_replay);
  ExpectSameState(state_after_checkpoint, *(*replayed)->ExportRouter("r"));
}

}  // namespace
}  // namespace router
