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
#include "core/cascade.h"
#include "core/clock.h"
#include "core/event_store.h"
#include "core/ope.h"
#include "core/regret_tracker.h"
#include "core/route_types.h"
#include "core/router.h"
#include "core/specs.h"

namespace router {

struct FeedbackResult {
  bool duplicate = false;
  std::optional<LearnOutcome> learned;  // set unless duplicate
  absl::Duration join_lag;              // from the decision to this feedback
};

struct RecoveryStats {
  uint64_t arm_changes = 0;
  // Decisions counted and feedback events replayed from the logs: those after the checkpoint
  // (all of them without one).
  uint64_t decisions = 0;
  uint64_t feedback_events = 0;
  // Logged records whose router is no longer configured: kept on disk, not applied.
  uint64_t skipped = 0;
  // The checkpoint recovery started from (0: none), and how many routers it restored. A router
  // whose configuration changed under its checkpoint keeps its decision counts from it but
  // rebuilds its models by replaying the whole log; `notes` says which and why.
  uint64_t checkpoint_event_sequence = 0;
  uint64_t routers_from_checkpoint = 0;
  std::vector<std::string> notes;
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

// One answered attempt of a cascade: its decision and what the backend observed (arm and
// signals of `attempt`; the policy's fields are ignored).
struct EscalateRequest {
  std::string decision_id;
  Attempt attempt;
};

struct EscalateResult {
  std::string router;
  Attempt attempt;    // as logged: the signals with the policy's answer (next_arm empty: accept)
  uint32_t attempts = 0;  // arms tried so far, the routed one included
  bool duplicate = false;  // the same report was answered before; this is that answer
};

struct DurabilityOptions {
  // Decisions older than this are refused feedback (FailedPrecondition, "expired") and deleted
  // by SweepExpired.
  absl::Duration decision_ttl = absl::Hours(24 * 7);
  // CheckpointDue after this many applied feedback events (0: never by count)...
  uint64_t checkpoint_every_events = 10000;
  // ...or this long after the last checkpoint if anything changed (zero: never by time).
  absl::Duration checkpoint_every = absl::Minutes(5);
  // Rebuild learned state by replaying the whole log instead of loading checkpoints (routerd
  // --rebuild_state): the way out when a checkpoint fails its start-up checks.
  bool ignore_checkpoints = false;
};

struct SweepStats {
  uint64_t expired = 0;          // decisions deleted
  uint64_t default_rewards = 0;  // default rewards learned for decisions that got no quality
};

// Feedback for an expired decision is refused with FailedPrecondition carrying this payload
// (see IsDecisionExpired), so callers can count it apart from other refusals.
inline constexpr char kDecisionExpiredPayload[] = "bandit-router/decision-expired";
bool IsDecisionExpired(const absl::Status& status);

// The routers of one server, joined to the durable log: every decision is logged before it is
// returned, every feedback event is logged (deduplicated by feedback_id) before it is learned
// from, and the learned state is rebuilt from the log at start-up.
class Engine {
 public:
  // Builds the routers, checks that each router's feature layout matches the one its stored
  // state was learned with (FailedPrecondition otherwise), then recovers: replays runtime arm
  // changes, loads the latest checkpoint, counts the decisions and replays the feedback events
  // logged after it, in sequence order. The result equals a replay of the whole log.
  // DataLoss, with what is wrong and how to recover, when the checkpoint fails its checks
  // (finite numbers, positive-definite matrices, not ahead of the log).
  // `store` and `clock` must outlive the engine.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Engine>> Create(
      const std::vector<RouterSpec>& specs, EventStore* store, const Clock* clock,
      const DurabilityOptions& options = {});

  // NotFound for an unknown router, InvalidArgument for a malformed query, FailedPrecondition
  // when no allowed arm is active, and the store's error if the decision cannot be logged.
  // Decision i (counting from 0, over the engine's life, across restarts) is seeded by i: a
  // refused query takes no seed.
  [[nodiscard]] absl::StatusOr<RouteResult> Route(const RouteQuery& query);

  // Logs and learns from one feedback event. InvalidArgument for missing ids or out-of-range
  // signals; NotFound for an unknown decision; FailedPrecondition with kDecisionExpiredPayload
  // when the decision is older than the TTL (whether or not it has been swept yet). A
  // feedback_id seen before is not applied again and reported as duplicate (OK), also when its
  // decision has expired since.
  [[nodiscard]] absl::StatusOr<FeedbackResult> Feedback(FeedbackEvent event);

  // Cascades: logs one answered attempt and returns accept or the next arm to try (see
  // core/cascade.h and router.proto Escalate), durably (like a decision) before returning. The
  // same report again returns the logged answer (duplicate). InvalidArgument for missing ids or
  // out-of-range signals (verifier_score and confidence in [0, 1], latency and cost finite and
  // >= 0); NotFound for an unknown decision; FailedPrecondition when the router does not cascade
  // (max_attempts < 2), the decision has expired (kDecisionExpiredPayload) or received feedback
  // (which closes its cascade), the cascade already accepted, or `arm` is not the arm the last
  // answer named. Feedback on the decision later closes the cascade: the routed arm learns the
  // final quality and the whole cascade's cost, every logged choice its outcome.
  [[nodiscard]] absl::StatusOr<EscalateResult> Escalate(const EscalateRequest& request);

  // What a router's cascades did so far (metrics); nullopt for an unknown router.
  std::optional<CascadeCounters> Cascades(absl::string_view router) const;
  // A router's escalation policy, for inspection (GetModel) and tests. NotFound: unknown router.
  [[nodiscard]] absl::StatusOr<CascadeState> ExportCascade(absl::string_view router) const;

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

  // Writes a checkpoint of every router: a consistent snapshot taken while Route and Feedback
  // wait (a copy of the models, no I/O), then written in one batch without holding them.
  [[nodiscard]] absl::Status Checkpoint();
  // Whether checkpoint_every_events events were applied, or checkpoint_every passed with some
  // change, since the last checkpoint.
  bool CheckpointDue() const;

  // Deletes decisions older than the TTL, oldest first. A decision that never received a
  // quality signal first learns its router's default_reward (if set) as a judge score, logged as
  // feedback "default_reward:<decision id>". Writes a checkpoint first if the decisions to
  // delete are not in one yet (recovery counts decisions after the checkpoint from the log).
  [[nodiscard]] absl::StatusOr<SweepStats> SweepExpired();

  // Off-policy evaluation of `candidate` (a validated spec; its name is ignored) on router
  // `router`'s logged decisions: EvaluateCandidate (core/ope.h) on a snapshot of the log, with
  // the live spec and the router's current arms as the logging policy. Runs on the caller's
  // thread without any engine lock; Route and Feedback go on meanwhile, and what they log after
  // the snapshot is not evaluated. NotFound for an unknown router; InvalidArgument naming the
  // field when the candidate changes the feature layout; the store's error (Unimplemented if it
  // cannot take snapshots).
  [[nodiscard]] absl::StatusOr<EvaluationReport> Evaluate(
      absl::string_view router, RouterSpec candidate, const EvaluationOptions& options,
      const std::function<void(const EvaluationProgress&)>& progress = nullptr) const;

  // A router's learned state, for inspection (AdminService.GetModel) and tests.
  [[nodiscard]] absl::StatusOr<RouterState> ExportRouter(absl::string_view name) const;
  // Sequence of the last feedback event applied. Takes the feedback lock.
  uint64_t LastEventSequence();

  // See EventStore::WhenDurable: replies go out from `done`.
  void WhenDurable(std::function<void(absl::Status)> done) { store_->WhenDurable(std::move(done)); }

  const DurabilityOptions& durability() const { return options_; }

 private:
  Engine(EventStore* store, const Clock* clock, const DurabilityOptions& options)
      : store_(store), clock_(clock), options_(options) {}
  Router* FindRouter(absl::string_view name) const;
  absl::StatusOr<Router*> RequireRouter(absl::string_view name) const;
  absl::Status ApplyArmChange(const ArmChange& change);

  // Recovery (engine_recovery.cc), in this order: runtime arm changes, the checkpoint, the
  // decisions and then the feedback events logged after it.
  // Where the checkpoint left each router (all zero without one).
  struct RecoveryPoint {
    // Per router: the last event and decision its restored state already holds.
    absl::flat_hash_map<Router*, uint64_t> event_after;
    absl::flat_hash_map<Router*, uint64_t> decision_after;
    uint64_t decision_counter = 0;   // the decision counter as of decision_sequence
    uint64_t decision_sequence = 0;  // decisions after this one advance the counter
    uint64_t event_sequence = 0;     // the last feedback event the checkpoint covers
    uint64_t EventsAfter(Router* router) const;
    uint64_t DecisionsAfter(Router* router) const;
  };
  absl::Status Recover();
  absl::Status ReplayArmChanges();
  // Loads the latest checkpoint into the routers; nothing when there is none.
  absl::Status RestoreCheckpoint(RecoveryPoint* point);
  absl::Status RestoreRouter(const RouterCheckpoint& rc, Router* router, RecoveryPoint* point);
  // Counts the decisions the restored state does not hold and sets the decision counter.
  absl::Status ReplayDecisions(const RecoveryPoint& point);
  // Learns the feedback events the restored state does not hold; returns the last sequence.
  absl::StatusOr<uint64_t> ReplayFeedback(const RecoveryPoint& point);

  absl::Status ExpiredError(absl::string_view decision_id, absl::Time made) const;
  std::optional<double> DefaultReward(absl::string_view router) const;
  // Appends and learns one event for `decision`; requires feedback_mu_.
  absl::StatusOr<FeedbackResult> AppendAndLearn(Router* router, const Decision& decision,
                                                FeedbackEvent* event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(feedback_mu_);

  // Cascades (engine_escalate.cc). One policy per router, created with the routers; learned
  // under feedback_mu_ (live) or during recovery, like the models.
  void AddCascade(const RouterSpec& spec);
  CascadePolicy* FindCascade(absl::string_view router) const;
  // An attempt event: counted, nothing learned.
  LearnOutcome ApplyAttempt(const Router& router, const FeedbackEvent& event);
  // The signals the routed arm learns from at the feedback that closes a cascade: the cascade's
  // whole cost (if every attempt's is known) and latency instead of the last answer's.
  static Signals CascadeSignals(const FeedbackEvent& event);
  void LearnCascade(const FeedbackEvent& event, const LearnOutcome& learned);

  // What the engine accounts per router beyond the models: regret and joined decisions.
  struct Accounting {
    RegretTracker regret;
    std::atomic<uint64_t> joined_decisions{0};
    // Decisions the TTL sweep removed that never got feedback (nor a default reward).
    std::atomic<uint64_t> expired_unanswered{0};
    // The one conversion to and from a checkpoint's AccountingState (engine_checkpoint.cc).
    AccountingState ToState() const;
    void Restore(const AccountingState& state);
  };
  // Learns from an appended event and updates the router's accounting; used live and in replay.
  absl::StatusOr<LearnOutcome> Apply(Router& router, const FeedbackEvent& event);

  EventStore* const store_;
  const Clock* const clock_;
  const DurabilityOptions options_;
  absl::flat_hash_map<std::string, std::unique_ptr<Router>> routers_;  // fixed after Create
  absl::flat_hash_map<std::string, std::unique_ptr<Accounting>> accounting_;  // same keys
  std::vector<RouterSpec> specs_;
  absl::flat_hash_map<std::string, std::unique_ptr<CascadePolicy>> cascades_;  // fixed after Create
  // Lock order, outermost first (each mutex is ABSL_ACQUIRED_AFTER the one before it; a thread
  // holding one never waits for an earlier one):
  //   sweep_mu_ -> checkpoint_mu_ -> decision_mu_ -> import_mu_ / admin_mu_ -> feedback_mu_
  //   -> seed_mu_ -> Router::mu_ -> RegretTracker::mu_ -> the store's own locks.
  // Route: decision_mu_ (shared), seed_mu_, Router::mu_. Feedback: feedback_mu_, the store,
  // Router::mu_. Import: import_mu_, feedback_mu_. Checkpoint: checkpoint_mu_, decision_mu_
  // (exclusive), feedback_mu_, seed_mu_, each router's. SweepExpired: sweep_mu_, then briefly
  // checkpoint_mu_ (or a whole Checkpoint), then feedback_mu_.
  absl::Mutex sweep_mu_;  // one sweep at a time
  // One checkpoint at a time; what the last one covered.
  mutable absl::Mutex checkpoint_mu_ ABSL_ACQUIRED_AFTER(sweep_mu_);
  uint64_t checkpoint_events_applied_ ABSL_GUARDED_BY(checkpoint_mu_) = 0;
  uint64_t checkpoint_decision_sequence_ ABSL_GUARDED_BY(checkpoint_mu_) = 0;
  absl::Time checkpoint_time_ ABSL_GUARDED_BY(checkpoint_mu_);
  // Held shared by Route from counting a decision to logging it, exclusively by a checkpoint's
  // snapshot, so a checkpoint's decision counts and decision sequence agree.
  absl::Mutex decision_mu_ ABSL_ACQUIRED_AFTER(checkpoint_mu_);
  // One importer at a time (the existence check and the write of an import id).
  absl::Mutex import_mu_ ABSL_ACQUIRED_AFTER(decision_mu_);
  // One arm change at a time (the existence check and the logged change).
  absl::Mutex admin_mu_ ABSL_ACQUIRED_AFTER(decision_mu_);
  // Serialises append + learn so the in-memory model sees events in log order, which makes
  // recovery by replay reproduce it exactly.
  absl::Mutex feedback_mu_ ABSL_ACQUIRED_AFTER(import_mu_, admin_mu_);
  uint64_t last_event_sequence_ ABSL_GUARDED_BY(feedback_mu_) = 0;
  std::atomic<uint64_t> events_applied_{0};
  // Seeds decisions: the number of decisions made (Route) or logged (recovery). Held from
  // reading the counter to advancing it, around the router's decision.
  absl::Mutex seed_mu_ ABSL_ACQUIRED_AFTER(feedback_mu_);
  uint64_t decision_counter_ ABSL_GUARDED_BY(seed_mu_) = 0;
  absl::Time first_start_;  // ids dated before it were never issued by this store
  RecoveryStats recovery_;
};

// Range checks on a feedback event's signals; the message names the signal.
absl::Status ValidateSignals(const Signals& signals);
// Range checks on an attempt's signals (Escalate); the message names the signal.
absl::Status ValidateAttemptSignals(const Attempt& attempt);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_ENGINE_H_
