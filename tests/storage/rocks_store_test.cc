#include "storage/rocks_store.h"

#include <fstream>
#include <vector>

#include "gtest/gtest.h"
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
                  ->ForEachFeedback([&](const FeedbackEvent& e) {
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

}  // namespace
}  // namespace router::storage
