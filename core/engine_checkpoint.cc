// Engine checkpoints: a consistent snapshot of every router's learned state and accounting.

#include "core/engine.h"
#include "core/status_macros.h"

namespace router {

AccountingState Engine::Accounting::ToState() const {
  const RegretSnapshot snapshot = regret.Snapshot();
  AccountingState state;
  state.realised_quality = snapshot.realised_quality;
  state.rewarded_events = snapshot.rewarded_events;
  state.ips_value = snapshot.ips_value;
  state.exact_regret = snapshot.exact_regret;
  state.exact_regret_events = snapshot.exact_regret_events;
  state.joined_decisions = joined_decisions.load();
  state.expired_unanswered = expired_unanswered.load();
  return state;
}

void Engine::Accounting::Restore(const AccountingState& state) {
  RegretSnapshot snapshot;
  snapshot.realised_quality = state.realised_quality;
  snapshot.rewarded_events = state.rewarded_events;
  snapshot.ips_value = state.ips_value;
  snapshot.exact_regret = state.exact_regret;
  snapshot.exact_regret_events = state.exact_regret_events;
  regret.Restore(snapshot);
  joined_decisions.store(state.joined_decisions);
  expired_unanswered.store(state.expired_unanswered);
}

absl::Status Engine::Checkpoint() {
  absl::MutexLock one_at_a_time(&checkpoint_mu_);
  EngineCheckpoint checkpoint;
  uint64_t events_applied = 0;
  {
    // The snapshot: no decision between being counted and logged, no event between being
    // logged and learned. Copying the models is all that happens while they wait.
    absl::WriterMutexLock no_routes(&decision_mu_);
    absl::MutexLock no_feedback(&feedback_mu_);
    checkpoint.last_event_sequence = last_event_sequence_;
    checkpoint.last_decision_sequence = store_->LastDecisionSequence();
    {
      absl::MutexLock seed_lock(&seed_mu_);
      checkpoint.decision_counter = decision_counter_;
    }
    events_applied = events_applied_.load();
    for (const RouterSpec& spec : specs_) {
      checkpoint.routers.push_back(RouterCheckpoint{
          checkpoint.last_event_sequence, checkpoint.last_decision_sequence,
          FindRouter(spec.name)->ExportState(), accounting_.at(spec.name)->ToState(),
          FindCascade(spec.name)->Export()});
    }
  }
  checkpoint.created = clock_->Now();
  RETURN_IF_ERROR(store_->WriteCheckpoint(checkpoint));
  checkpoint_events_applied_ = events_applied;
  checkpoint_decision_sequence_ = checkpoint.last_decision_sequence;
  checkpoint_time_ = checkpoint.created;
  return absl::OkStatus();
}

bool Engine::CheckpointDue() const {
  const uint64_t events = events_applied_.load();
  absl::MutexLock lock(&checkpoint_mu_);
  const uint64_t new_events = events - checkpoint_events_applied_;
  if (options_.checkpoint_every_events > 0 && new_events >= options_.checkpoint_every_events) {
    return true;
  }
  const bool changed =
      new_events > 0 || store_->LastDecisionSequence() != checkpoint_decision_sequence_;
  return changed && options_.checkpoint_every > absl::ZeroDuration() &&
         clock_->Now() - checkpoint_time_ >= options_.checkpoint_every;
}

}  // namespace router
