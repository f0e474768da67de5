#ifndef BANDIT_ROUTER_CORE_ENGINE_H_
#define BANDIT_ROUTER_CORE_ENGINE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/clock.h"
#include "core/event_store.h"
#include "core/regret_tracker.h"
#include "core/route_types.h"
#include "core/router.h"
#include "core/specs.h"

namespace router {

struct FeedbackResult {
  bool duplicate = false;
  std::optional<LearnOutcome> learned;  // set unless duplicate
  absl::Duration join_lag;              // from the decision to this feedback
  bool first_for_decision = false;      // the decision's first feedback event
  RegretSnapshot regret;                // the router's regret accounting after this event
};

struct RecoveryStats {
  uint64_t arm_changes = 0;
  uint64_t decisions = 0;
  uint64_t feedback_events = 0;
  // Logged records whose router is no longer configured: kept on disk, not applied.
  uint64_t skipped = 0;
};

// One query of an offline evaluation with the outcomes of several arms on it (warm start).
struct ImportItem {
  std::string router;
  std::string id;    // stable within its dataset; (id, arm) is the idempotency key
  RouteQuery query;  // only embedding, text and attributes are used
  std::vector<std::pair<std::string, Signals>> outcomes;  // arm -> what it did
};

struct ImportResult {
  int applied = 0;    // outcomes learned from
  int duplicate = 0;  // outcomes imported before, not applied again
};

// The routers of one server, joined to the durable log: every decision is logged before it is
// returned, every feedback event is logged (deduplicated by feedback_id) before it is learned
// from, and the learned state is rebuilt from the log at start-up.
class Engine {
 public:
  // Builds the routers, checks that each router's feature layout matches the one its stored
  // state was learned with (FailedPrecondition otherwise), then replays the store: runtime arm
  // changes, decision counts and every feedback event in sequence order.
  // `store` and `clock` must outlive the engine.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Create(
      const std::vector<RouterSpec>& specs, EventStore* store, const Clock* clock);

  // NotFound for an unknown router, InvalidArgument for a malformed query, FailedPrecondition
  // when no allowed arm is active, and the store's error if the decision cannot be logged.
  [[nodiscard]] absl::StatusOr<RouteResult> Route(const RouteQuery& query);

  // Logs and learns from one feedback event. InvalidArgument for missing ids or out-of-range
  // signals; NotFound for an unknown decision. A feedback_id seen before is not applied again
  // and reported as duplicate (OK).
  [[nodiscard]] absl::StatusOr<FeedbackResult> Feedback(FeedbackEvent event);

  // Warm start from an offline evaluation: every listed arm learns its own outcome on the item's
  // features, as if it had been routed there (full information). Each outcome is logged as a
  // synthetic decision flagged `imported` plus a feedback event with feedback_id
  // "import/<id>/<arm>", so recovery replays it like any feedback and a repeated import is
  // deduplicated; imported decisions are not counted as decisions. The whole item is validated
  // before anything is applied: NotFound for an unknown router, InvalidArgument for a missing id,
  // no outcome, an unknown arm, a malformed query or out-of-range signals; AlreadyExists when the
  // id was imported before with a different query.
  [[nodiscard]] absl::StatusOr<ImportResult> Import(const ImportItem& item);

  std::vector<RouterStats> ListRouters() const;
  // quality_prior unset: the router's default prior. The change is logged before it is applied.
  [[nodiscard]] absl::StatusOr<ArmStats> AddArm(const ArmChange& change);
  [[nodiscard]] absl::StatusOr<ArmStats> SetArmDisabled(absl::string_view router,
                                                        absl::string_view arm, bool disabled);

  const RecoveryStats& recovery() const { return recovery_; }

 private:
  Engine(EventStore* store, const Clock* clock) : store_(store), clock_(clock) {}
  Router* FindRouter(absl::string_view name) const;
  absl::StatusOr<Router*> RequireRouter(absl::string_view name) const;
  absl::Status ApplyArmChange(const ArmChange& change);
  absl::Status Recover();

  // What the engine accounts per router beyond the models: regret and joined decisions.
  struct Accounting {
    RegretTracker regret;
    std::atomic<uint64_t> joined_decisions{0};
  };
  // Learns from an appended event and updates the router's accounting; used live and in replay.
  absl::StatusOr<LearnOutcome> Apply(Router& router, const Decision& decision,
                                     const FeedbackEvent& event);

  EventStore* const store_;
  const Clock* const clock_;
  absl::flat_hash_map<std::string, std::unique_ptr<Router>> routers_;  // fixed after Create
  absl::flat_hash_map<std::string, std::unique_ptr<Accounting>> accounting_;  // same keys
  std::vector<RouterSpec> specs_;
  std::atomic<uint64_t> decision_counter_{0};
  // Serialises append + learn so the in-memory model sees events in log order, which makes
  // recovery by replay reproduce it exactly.
  absl::Mutex feedback_mu_;
  absl::Mutex admin_mu_;
  absl::Mutex import_mu_;
  RecoveryStats recovery_;
};

// Range checks on a feedback event's signals; the message names the signal.
absl::Status ValidateSignals(const Signals& signals);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_ENGINE_H_
