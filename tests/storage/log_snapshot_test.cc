// RocksStore::OpenLogSnapshot: a consistent view of both logs that later writes do not change.

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "storage/rocks_store.h"
#include "tests/testing/temp_dir.h"

namespace router::storage {
namespace {

Decision MakeDecision(int i) {
  Decision d;
  d.decision_id = absl::StrCat("d", i);
  d.router = "r";
  d.arm = i % 2 ? "a" : "b";
  d.propensity = 0.5;
  d.features = {1.0, 0.1 * i};
  d.timestamp = absl::FromUnixMillis(1700000000000 + i);
  return d;
}

absl::Status Log(RocksStore& store, int i) {
  if (absl::Status s = store.PutDecision(MakeDecision(i)); !s.ok()) return s;
  FeedbackEvent e;
  e.decision_id = absl::StrCat("d", i);
  e.feedback_id = absl::StrCat("f", i);
  e.signals.judge_score = 0.25;
  e.received = absl::FromUnixMillis(1700000000000 + i);
  return store.AppendFeedback(&e).status();
}

template <typename T>
std::vector<T> ReadAll(LogCursor<T>& cursor) {
  std::vector<T> out;
  T record;
  while (true) {
    absl::StatusOr<bool> more = cursor.Next(&record);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) return out;
    out.push_back(record);
  }
}

TEST(LogSnapshotTest, SeesTheLogsAsTheyWereWhenOpened) {
  testing::TempDir dir;
  auto store = RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  for (int i = 1; i <= 5; ++i) ASSERT_TRUE(Log(**store, i).ok());

  absl::StatusOr<std::unique_ptr<LogSnapshot>> snapshot = (*store)->OpenLogSnapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  // Written after the snapshot: invisible to it, and not blocked by it.
  for (int i = 6; i <= 8; ++i) ASSERT_TRUE(Log(**store, i).ok());

  EXPECT_EQ((*snapshot)->last_decision_sequence(), 5u);
  EXPECT_EQ((*snapshot)->last_feedback_sequence(), 5u);
  std::vector<FeedbackEvent> events = ReadAll(*(*snapshot)->Feedback(0));
  ASSERT_EQ(events.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(events[i].sequence, static_cast<uint64_t>(i + 1));
    EXPECT_EQ(events[i].decision_id, absl::StrCat("d", i + 1));
    // The store copied the decision's arm, features and propensity into the event.
    EXPECT_EQ(events[i].arm, MakeDecision(i + 1).arm);
    EXPECT_EQ(events[i].features, MakeDecision(i + 1).features);
    EXPECT_DOUBLE_EQ(events[i].propensity, 0.5);
    EXPECT_TRUE(events[i].first_for_decision);
  }
  std::vector<Decision> decisions = ReadAll(*(*snapshot)->Decisions(2));
  ASSERT_EQ(decisions.size(), 3u);
  EXPECT_EQ(decisions[0].sequence, 3u);
  EXPECT_EQ(decisions[0].decision_id, "d3");
  EXPECT_EQ(decisions[2].timestamp, MakeDecision(5).timestamp);

  // A new snapshot sees everything.
  absl::StatusOr<std::unique_ptr<LogSnapshot>> later = (*store)->OpenLogSnapshot();
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(ReadAll(*(*later)->Feedback(0)).size(), 8u);
  EXPECT_EQ((*later)->last_feedback_sequence(), 8u);
}

}  // namespace
}  // namespace router::storage
