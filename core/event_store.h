#ifndef BANDIT_ROUTER_CORE_EVENT_STORE_H_
#define BANDIT_ROUTER_CORE_EVENT_STORE_H_

// The durable log core needs, declared here and implemented in storage/ (RocksDB). Core stays
// free of any storage library.

#include <functional>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/model_state.h"
#include "core/records.h"

namespace router {

enum class AppendOutcome { kAppended, kDuplicate };

// The join AppendFeedback makes, shared by every store: counts the event into the decision's
// feedback counts and copies into the event what it needs of its decision (router, arm,
// features, propensity, imported) and whether it is the decision's first. Sequence not set.
inline void JoinFeedbackToDecision(Decision& decision, FeedbackEvent& event) {
  event.first_for_decision = decision.feedback_events == 0;
  decision.feedback_events += 1;
  decision.quality_signals += event.signals.quality_signals();
  event.router = decision.router;
  event.arm = decision.arm;
  event.features = decision.features;
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

  virtual absl::StatusOr<std::optional<RouterLayout>> GetRouterLayout(
      absl::string_view router) = 0;
  virtual absl::Status PutRouterLayout(const RouterLayout& layout) = 0;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_EVENT_STORE_H_
