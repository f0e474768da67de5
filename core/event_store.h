#ifndef BANDIT_ROUTER_CORE_EVENT_STORE_H_
#define BANDIT_ROUTER_CORE_EVENT_STORE_H_

// The durable log core needs, declared here and implemented in storage/ (RocksDB). Core stays
// free of any storage library.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model_state.h"
#include "core/records.h"

namespace router {

enum class AppendOutcome { kAppended, kDuplicate };

// A pull cursor over one log of a LogSnapshot, in sequence order.
template <typename Record>
class LogCursor {
 public:
  virtual ~LogCursor() = default;
  // true: *out holds the next record; false: the log ends here; an error: the store's (the
  // cursor is then finished).
  [[nodiscard]] virtual absl::StatusOr<bool> Next(Record* out) = 0;
};

// A consistent read-only view of the logs as they were when it was opened: writes that come
// after are invisible to it and are not blocked by it (a storage snapshot, not a lock). Used by
// off-policy evaluation (core/ope.h), which reads a long window beside serving. Holding it pins
// the versions it sees on disk, so it should not outlive one evaluation. Not thread-safe; the
// cursors it hands out must not outlive it.
class LogSnapshot {
 public:
  virtual ~LogSnapshot() = default;
  // The last decision / feedback sequence the snapshot contains (0: none).
  virtual uint64_t last_decision_sequence() const = 0;
  virtual uint64_t last_feedback_sequence() const = 0;
  // Decision-log entries with sequence > `after`: decision_id, router, arm, timestamp and
  // sequence set (no feature vectors read).
  virtual std::unique_ptr<LogCursor<Decision>> Decisions(uint64_t after) = 0;
  // Feedback events with sequence > `after`, fully decoded.
  virtual std::unique_ptr<LogCursor<FeedbackEvent>> Feedback(uint64_t after) = 0;
};

// The join AppendFeedback makes, shared by every store. A feedback event is counted into the
// decision's feedback counts and gets what it needs of its decision (router, arm, features,
// propensity, imported, the cascade attempts so far) and whether it is the decision's first. A
// cascade attempt (event.attempt set) is appended to the decision's chain instead: it is not
// feedback, and replay needs no features for it. Sequence not set.
inline void JoinFeedbackToDecision(Decision& decision, FeedbackEvent& event) {
  event.router = decision.router;
  event.arm = decision.arm;
  if (event.attempt) {
    event.first_for_decision = false;
    decision.attempts.push_back(*event.attempt);
  } else {
    event.first_for_decision = decision.feedback_events == 0;
    decision.feedback_events += 1;
    decision.quality_signals += event.signals.quality_signals();
    event.features = decision.features;
    event.attempts = decision.attempts;
  }
  event.propensity = decision.propensity;
  event.imported = decision.imported;
}

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Durably logs a decision (in the WAL before returning OK) at the next decision sequence.
  virtual absl::Status PutDecision(const Decision& decision) = 0;

  // NotFound if no decision has this id (never made, or expired and deleted).
  virtual absl::StatusOr<Decision> GetDecision(absl::string_view decision_id) = 0;

  // Atomically: if event.feedback_id was appended before, returns kDuplicate and writes nothing;
  // NotFound if the decision does not exist (any more); otherwise assigns event->sequence
  // (strictly increasing), joins the event to its decision (JoinFeedbackToDecision), and durably
  // logs in one batch the event, its feedback id and the
  // decision's updated feedback counts. O(d) bytes written, whatever the model size.
  virtual absl::StatusOr<AppendOutcome> AppendFeedback(FeedbackEvent* event) = 0;

  // Whether a feedback id has been appended (for answering a retry of an expired decision).
  virtual absl::StatusOr<bool> HasFeedbackId(absl::string_view feedback_id) = 0;

  // The sequence of the last decision PutDecision has logged (0: none). Stable while no
  // PutDecision runs.
  virtual uint64_t LastDecisionSequence() = 0;
  // The sequence of the last feedback event appended (0: none).
  virtual uint64_t LastFeedbackSequence() = 0;

  virtual absl::Status AppendArmChange(const ArmChange& change) = 0;

  // Runtime arm changes in the order they were appended. A callback error stops the scan and
  // is returned.
  virtual absl::Status ForEachArmChange(
      const std::function<absl::Status(const ArmChange&)>& fn) = 0;

  // The log scans, for recovery and for readers of the log such as off-policy evaluation. Each
  // visits records in sequence order from `after` + 1 (0: the whole log) to the end of the log
  // as of the call; a callback error stops the scan and is returned.
  // Decisions with sequence > `after`, from the decision log: decision_id, router, arm,
  // timestamp, imported and sequence are set, nothing else. Cheap (no feature vectors read).
  virtual absl::Status ForEachDecisionAfter(
      uint64_t after, const std::function<absl::Status(const Decision&)>& fn) = 0;
  // Feedback events with sequence > `after`, each as appended (features, arm and propensity of
  // its decision included).
  virtual absl::Status ForEachFeedbackAfter(
      uint64_t after, const std::function<absl::Status(const FeedbackEvent&)>& fn) = 0;

  // Expiry. Up to `limit` of the oldest decisions (in sequence order) whose timestamp is before
  // `cutoff` and whose sequence is <= max_sequence, fully read; the scan stops at the first
  // decision that is not old enough.
  virtual absl::StatusOr<std::vector<Decision>> ExpiredDecisions(absl::Time cutoff,
                                                                 uint64_t max_sequence,
                                                                 size_t limit) = 0;
  // Deletes decisions (record and log entry) in one batch. Serialised with AppendFeedback, so a
  // feedback event is never appended to a deleted decision.
  virtual absl::Status DeleteDecisions(const std::vector<Decision>& decisions) = 0;

  // Checkpoints of learned state. Read: the header and every router's latest record (routers no
  // longer configured included), nullopt if none was ever written; DataLoss if unreadable.
  // Write: the header and the given routers' records in one batch.
  virtual absl::StatusOr<std::optional<EngineCheckpoint>> ReadCheckpoint() = 0;
  virtual absl::Status WriteCheckpoint(const EngineCheckpoint& checkpoint) = 0;

  // Runs `done` once every write that returned before this call is durable: immediately when
  // writes are durable on return (WAL, no fsync), after the next group fsync in sync mode (on the
  // store's own thread, so callers never wait for a disk). `done` gets the fsync's error, if any.
  virtual void WhenDurable(std::function<void(absl::Status)> done) { done(absl::OkStatus()); }

  // The `now` of the first call ever made on this store (recorded then). Decision ids dated
  // before it were never issued here.
  virtual absl::StatusOr<absl::Time> FirstStart(absl::Time now) = 0;

  // A snapshot of the decision and feedback logs (see LogSnapshot). Unimplemented for a store
  // that cannot take one.
  virtual absl::StatusOr<std::unique_ptr<LogSnapshot>> OpenLogSnapshot() {
    return absl::UnimplementedError("this event store cannot take log snapshots");
  }

  virtual absl::StatusOr<std::optional<RouterLayout>> GetRouterLayout(
      absl::string_view router) = 0;
  virtual absl::Status PutRouterLayout(const RouterLayout& layout) = 0;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_EVENT_STORE_H_
