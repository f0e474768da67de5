#include "storage/rocks_store.h"

#include <fstream>
#include <vector>

#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/testing/temp_dir.h"

namespace router::storage {
namespace {

Decision MakeDecision(const std::string& id) {
  Decision d;
  d.decision_id = id;
  d.router = "r";
  d.arm = "a";
  d.propensity = 0.25;
  d.features = {1.0, -0.5, 0.125};
  d.timestamp = absl::FromUnixMillis(1700000000123);
  d.predicted_quality = 0.7;
  return d;
}

FeedbackEvent MakeEvent(const std::string& decision, const std::string& feedback_id) {
  FeedbackEvent e;
  e.decision_id = decision;
  e.feedback_id = feedback_id;
  e.signals.judge_score = 0.75;
  e.signals.thumbs = ThumbsSignal::kDown;
  e.signals.output_tokens = 42;
  return e;
}

TEST(RocksStoreTest, DecisionsRoundTripAndSurviveReopen) {
  testing::TempDir dir;
  {
    auto store = RocksStore::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->PutDecision(MakeDecision("d1")).ok());
  }
  auto store = RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  auto d = (*store)->GetDecision("d1");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->arm, "a");
  EXPECT_EQ(d->features, MakeDecision("d1").features);
  EXPECT_EQ(d->timestamp, MakeDecision("d1").timestamp);
  EXPECT_DOUBLE_EQ(d->propensity, 0.25);
  EXPECT_EQ((*store)->GetDecision("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(RocksStoreTest, FeedbackIsDeduplicatedAndSequencedAcrossReopen) {
  testing::TempDir dir;
  {
    auto store = RocksStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutDecision(MakeDecision("d1")).ok());
    FeedbackEvent e1 = MakeEvent("d1", "f1");
    EXPECT_EQ(*(*store)->AppendFeedback(&e1), AppendOutcome::kAppended);
    EXPECT_EQ(e1.sequence, 1u);
    FeedbackEvent again = MakeEvent("d1", "f1");
    EXPECT_EQ(*(*store)->AppendFeedback(&again), AppendOutcome::kDuplicate);
  }
  auto store = RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  FeedbackEvent again = MakeEvent("d1", "f1");
  EXPECT_EQ(*(*store)->AppendFeedback(&again), AppendOutcome::kDuplicate);
  FeedbackEvent e2 = MakeEvent("d1", "f2");
  EXPECT_EQ(*(*store)->AppendFeedback(&e2), AppendOutcome::kAppended);
  EXPECT_EQ(e2.sequence, 2u);

  std::vector<FeedbackEvent> seen;
  ASSERT_TRUE((*store)
                  ->ForEachFeedbackAfter(0, [&](const FeedbackEvent& e) {
                    seen.push_back(e);
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].feedback_id, "f1");
  EXPECT_EQ(seen[1].feedback_id, "f2");
  EXPECT_EQ(seen[0].signals.thumbs, ThumbsSignal::kDown);
  EXPECT_EQ(*seen[0].signals.output_tokens, 42u);
  EXPECT_FALSE(seen[0].signals.cost_usd.has_value());
}

TEST(RocksStoreTest, ArmChangesAndLayoutsPersistInOrder) {
  testing::TempDir dir;
  {
    auto store = RocksStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 3; ++i) {
      ArmChange c;
      c.router = "r";
      c.arm = "arm" + std::to_string(i);
      c.kind = i == 2 ? ArmChange::Kind::kSetDisabled : ArmChange::Kind::kAdd;
      c.disabled = true;
      if (i == 0) c.quality_prior = 0.9;
      ASSERT_TRUE((*store)->AppendArmChange(c).ok());
    }
    ASSERT_TRUE((*store)->PutRouterLayout(RouterLayout{"r", 64, 8, 16, 3}).ok());
  }
  auto store = RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  std::vector<ArmChange> changes;
  ASSERT_TRUE((*store)
                  ->ForEachArmChange([&](const ArmChange& c) {
                    changes.push_back(c);
                    return absl::OkStatus();
                  })
                  .ok());
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].arm, "arm0");
  EXPECT_EQ(*changes[0].quality_prior, 0.9);
  EXPECT_FALSE(changes[1].quality_prior.has_value());
  EXPECT_EQ(changes[2].kind, ArmChange::Kind::kSetDisabled);
  auto layout = (*store)->GetRouterLayout("r");
  ASSERT_TRUE(layout.ok() && layout->has_value());
  EXPECT_TRUE(**layout == (RouterLayout{"r", 64, 8, 16, 3}));
  EXPECT_FALSE((*(*store)->GetRouterLayout("other")).has_value());
}

TEST(RocksStoreTest, GarbledStoreIsAClearErrorNotAReset) {
  testing::TempDir dir;
  {
    auto store = RocksStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->PutDecision(MakeDecision("d1")).ok());
  }
  // Overwrite the manifest pointer with garbage.
  std::ofstream(dir.Sub("CURRENT"), std::ios::trunc) << "garbage\n";
  auto store = RocksStore::Open(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("Restore it from a backup"), std::string::npos)
      << store.status();
}

TEST(RocksStoreTest, FeedbackCarriesTheDecisionsFeaturesAndUpdatesItsStatus) {
  testing::TempDir dir;
  auto store = RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->PutDecision(MakeDecision("d1")).ok());
  FeedbackEvent e = MakeEvent("d1", "f1");  // judge score and thumbs: two quality signals
  ASSERT_EQ(*(*store)->AppendFeedback(&e), AppendOutcome::kAppended);
  EXPECT_EQ(e.router, "r");
  EXPECT_EQ(e.arm, "a");
  EXPECT_EQ(e.features, MakeDecision("d1").features);
  FeedbackEvent cost_only;
  cost_only.decision_id = "d1";
  cost_only.feedback_id = "f2";
  cost_only.signals.cost_usd = 0.01;
  ASSERT_EQ(*(*store)->AppendFeedback(&cost_only), AppendOutcome::kAppended);

  auto d = (*store)->GetDecision("d1");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->feedback_events, 2u);
  EXPECT_EQ(d->quality_signals, 2u);
  EXPECT_EQ(d->sequence, 1u);
  EXPECT_TRUE(*(*store)->HasFeedbackId("f2"));
  EXPECT_FALSE(*(*store)->HasFeedbackId("f3"));

  std::vector<FeedbackEvent> logged;
  ASSERT_TRUE((*store)
                  ->ForEachFeedbackAfter(1,
                                         [&](const FeedbackEvent& event) {
                                           logged.push_back(event);
                                           return absl::OkStatus();
                                         })
                  .ok());
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].feedback_id, "f2");
  EXPECT_EQ(logged[0].features, MakeDecision("d1").features);

  FeedbackEvent orphan = MakeEvent("nope", "f9");
  EXPECT_EQ((*store)->AppendFeedback(&orphan).status().code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(*(*store)->HasFeedbackId("f9"));
}

TEST(RocksStoreTest, DecisionLogKeepsOrderAcrossReopen) {
  testing::TempDir dir;
  {
    auto store = RocksStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    for (const char* id : {"x", "y", "z"}) ASSERT_TRUE((*store)->PutDecision(MakeDecision(id)).ok());
    EXPECT_EQ((*store)->LastDecisionSequence(), 3u);
  }
  auto store = RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->LastDecisionSequence(), 3u);
  ASSERT_TRUE((*store)->PutDecision(MakeDecision("w")).ok());
  std::vector<std::pair<uint64_t, std::string>> seen;
  ASSERT_TRUE((*store)
                  ->ForEachDecisionAfter(2,
                                         [&](const Decision& d) {
                                           seen.emplace_back(d.sequence, d.decision_id);
                                           EXPECT_EQ(d.router, "r");
                                           EXPECT_EQ(d.arm, "a");
                                           return absl::OkStatus();
                                         })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::pair<uint64_t, std::string>>{{3, "z"}, {4, "w"}}));
}

TEST(RocksStoreTest, ExpiredDecisionsAreListedOldestFirstAndDeleted) {
  testing::TempDir dir;
  auto store = RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  for (int i = 0; i < 4; ++i) {
    Decision d = MakeDecision("d" + std::to_string(i));
    d.timestamp = t0 + absl::Seconds(10 * i);
    ASSERT_TRUE((*store)->PutDecision(d).ok());
  }
  const absl::Time cutoff = t0 + absl::Seconds(25);  // d0, d1, d2 are older
  auto expired = (*store)->ExpiredDecisions(cutoff, 100, 2);
  ASSERT_TRUE(expired.ok()) << expired.status();
  ASSERT_EQ(expired->size(), 2u);  // the limit
  EXPECT_EQ((*expired)[0].decision_id, "d0");
  EXPECT_EQ((*expired)[0].features, MakeDecision("d0").features);  // full records
  EXPECT_EQ((*store)->ExpiredDecisions(cutoff, 1, 10)->size(), 1u);  // max_sequence
  ASSERT_TRUE((*store)->DeleteDecisions(*expired).ok());
  EXPECT_EQ((*store)->GetDecision("d0").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*store)->GetDecision("d1").status().code(), absl::StatusCode::kNotFound);
  auto rest = (*store)->ExpiredDecisions(cutoff, 100, 10);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].decision_id, "d2");
  int logged = 0;
  ASSERT_TRUE((*store)
                  ->ForEachDecisionAfter(0,
                                         [&](const Decision&) {
                                           ++logged;
                                           return absl::OkStatus();
                                         })
                  .ok());
  EXPECT_EQ(logged, 2);
}

TEST(RocksStoreTest, SequencesAreNotReusedAfterEveryDecisionExpired) {
  testing::TempDir dir;
  {
    auto store = RocksStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    for (const char* id : {"x", "y"}) ASSERT_TRUE((*store)->PutDecision(MakeDecision(id)).ok());
    auto all = (*store)->ExpiredDecisions(absl::InfiniteFuture(), 100, 10);
    ASSERT_EQ(all->size(), 2u);
    ASSERT_TRUE((*store)->DeleteDecisions(*all).ok());
  }
  auto store = RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->LastDecisionSequence(), 2u);
  ASSERT_TRUE((*store)->PutDecision(MakeDecision("z")).ok());
  EXPECT_EQ((*store)->GetDecision("z")->sequence, 3u);
}

TEST(RocksStoreTest, CheckpointsRoundTripExactly) {
  testing::TempDir dir;
  EngineCheckpoint c;
  c.last_event_sequence = 7;
  c.last_decision_sequence = 9;
  c.decision_counter = 11;
  c.created = absl::FromUnixMillis(1700000000123);
  RouterCheckpoint rc{7, 9, {}};
  rc.state.router = "r";
  rc.state.gamma = 0.99;
  rc.state.decisions = 9;
  ArmState arm;
  arm.arm = "a";
  arm.decisions = 9;
  arm.quality_sum = 1.0 / 3.0;
  arm.quality.prior_mean = {0.5, 0, 0};
  arm.quality.lambda = 1;
  arm.quality.a_inv_lower = {1, 0.1 / 3, 0, 1, 0, 1};
  arm.quality.theta = {0.1, 0.2, 1e-300};
  arm.quality.b = {0.5, 0, 0};
  arm.quality.a_lower = {2, 0, 0, 2, 0, 2};
  arm.quality.prior_weight = 0.25;
  arm.quality.updates_since_restore = 2;
  rc.state.arms.push_back(arm);
  c.routers.push_back(rc);
  {
    auto store = RocksStore::Open(dir.path());
    ASSERT_TRUE(store.ok());
    EXPECT_FALSE((*(*store)->ReadCheckpoint()).has_value());
    ASSERT_TRUE((*store)->WriteCheckpoint(c).ok());
  }
  auto store = RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok());
  auto read = (*store)->ReadCheckpoint();
  ASSERT_TRUE(read.ok() && read->has_value()) << read.status();
  const EngineCheckpoint& r = **read;
  EXPECT_EQ(r.last_event_sequence, 7u);
  EXPECT_EQ(r.last_decision_sequence, 9u);
  EXPECT_EQ(r.decision_counter, 11u);
  EXPECT_EQ(r.created, c.created);
  ASSERT_EQ(r.routers.size(), 1u);
  const ArmState& a = r.routers[0].state.arms.at(0);
  EXPECT_EQ(r.routers[0].state.gamma, 0.99);
  EXPECT_EQ(a.quality_sum, 1.0 / 3.0);
  EXPECT_EQ(a.quality.a_inv_lower, arm.quality.a_inv_lower);
  EXPECT_EQ(a.quality.theta, arm.quality.theta);
  EXPECT_EQ(a.quality.a_lower, arm.quality.a_lower);
  EXPECT_EQ(a.quality.prior_weight, 0.25);
  EXPECT_EQ(a.quality.updates_since_restore, 2);
  EXPECT_TRUE(a.cost.a_lower.empty());
}

TEST(RocksStoreTest, OlderSchemaVersionIsRefusedWithAMessage) {
  testing::TempDir dir;
  { ASSERT_TRUE(RocksStore::Open(dir.path()).ok()); }
  {
    // Rewrite the version as a routerd from before checkpoints would have left it.
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name :
         {"default", "decisions", "feedback_ids", "events", "meta", "decision_log", "state"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.path(), families, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), handles[4], "schema_version", "1").ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  auto store = RocksStore::Open(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("schema version 1"), std::string::npos)
      << store.status();
  EXPECT_NE(store.status().message().find("fresh --data_dir"), std::string::npos);
}

}  // namespace
}  // namespace router::storage
