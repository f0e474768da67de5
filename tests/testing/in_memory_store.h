#ifndef BANDIT_ROUTER_TESTS_TESTING_IN_MEMORY_STORE_H_
#define BANDIT_ROUTER_TESTS_TESTING_IN_MEMORY_STORE_H_

// An EventStore held in memory, for core tests: the contract of core/event_store.h without a
// disk, so Engine's logic (expiry, duplicates, import idempotency, recovery) is tested at the
// cheapest layer. tensorflow/serving's test_util/mock_server_core.h plays this part there.
// storage/rocks_store_test.cc checks the RocksDB store against the same contract.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "core/event_store.h"

namespace router::testing {

// Thread-safe. Writes are "durable" when they return. A copy of the store (Clone) is what a
// restarted process would find on disk.
class InMemoryStore final : public EventStore {
 public:
  InMemoryStore() = default;

  absl::Status PutDecision(const Decision& decision) override;
  absl::StatusOr<Decision> GetDecision(absl::string_view decision_id) override;
  absl::StatusOr<AppendOutcome> AppendFeedback(FeedbackEvent* event) override;
  absl::StatusOr<bool> HasFeedbackId(absl::string_view feedback_id) override;
  uint64_t LastDecisionSequence() override;
  uint64_t LastFeedbackSequence() override;
  absl::Status AppendArmChange(const ArmChange& change) override;
  absl::Status ForEachArmChange(const std::function<absl::Status(const ArmChange&)>& fn) override;
  absl::Status ForEachDecisionAfter(
      uint64_t after, const std::function<absl::Status(const Decision&)>& fn) override;
  absl::Status ForEachFeedbackAfter(
      uint64_t after, const std::function<absl::Status(const FeedbackEvent&)>& fn) override;
  absl::StatusOr<std::vector<Decision>> ExpiredDecisions(absl::Time cutoff, uint64_t max_sequence,
                                                         size_t limit) override;
  absl::Status DeleteDecisions(const std::vector<Decision>& decisions) override;
  absl::StatusOr<std::optional<EngineCheckpoint>> ReadCheckpoint() override;
  absl::Status WriteCheckpoint(const EngineCheckpoint& checkpoint) override;
  absl::StatusOr<absl::Time> FirstStart(absl::Time now) override;
  absl::StatusOr<std::optional<RouterLayout>> GetRouterLayout(absl::string_view router) override;
  absl::Status PutRouterLayout(const RouterLayout& layout) override;
  // A copy of both logs as they are now: later writes are invisible to it.
  absl::StatusOr<std::unique_ptr<LogSnapshot>> OpenLogSnapshot() override;

  // Forgets the checkpoint, as if none had ever been written (a full replay on the next start).
  void DropCheckpoint();

 private:
  // The decision-log entries with sequence > `after`, as EventStore promises them (no features,
  // no counts).
  std::vector<Decision> DecisionLogAfter(uint64_t after) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Decision> decisions_ ABSL_GUARDED_BY(mu_);
  // Decision sequence -> decision id, the order decisions were made in.
  std::map<uint64_t, std::string> decision_log_ ABSL_GUARDED_BY(mu_);
  uint64_t last_decision_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<FeedbackEvent> events_ ABSL_GUARDED_BY(mu_);  // sequence i + 1 at index i
  absl::flat_hash_set<std::string> feedback_ids_ ABSL_GUARDED_BY(mu_);
  std::vector<ArmChange> arm_changes_ ABSL_GUARDED_BY(mu_);
  std::optional<EngineCheckpoint> checkpoint_header_ ABSL_GUARDED_BY(mu_);  // without routers
  std::map<std::string, RouterCheckpoint> router_checkpoints_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> first_start_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, RouterLayout> layouts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace router::testing

#endif  // BANDIT_ROUTER_TESTS_TESTING_IN_MEMORY_STORE_H_
