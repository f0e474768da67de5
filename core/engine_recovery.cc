// Engine start-up: rebuilding the learned state from the checkpoint and the logs (Engine::Create).

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/engine.h"
#include "core/status_macros.h"

namespace router {

uint64_t Engine::RecoveryPoint::EventsAfter(Router* router) const {
  auto it = event_after.find(router);
  return it == event_after.end() ? 0 : it->second;
}

uint64_t Engine::RecoveryPoint::DecisionsAfter(Router* router) const {
  auto it = decision_after.find(router);
  return it == decision_after.end() ? 0 : it->second;
}

absl::Status Engine::Recover() {
  RETURN_IF_ERROR(ReplayArmChanges());
  RecoveryPoint point;
  if (!options_.ignore_checkpoints) RETURN_IF_ERROR(RestoreCheckpoint(&point));
  RETURN_IF_ERROR(ReplayDecisions(point));
  ASSIGN_OR_RETURN(const uint64_t last_event, ReplayFeedback(point));
  {
    absl::MutexLock lock(&feedback_mu_);
    last_event_sequence_ = last_event;
  }
  // Replayed events count toward the next checkpoint, so a long replay is not repeated.
  events_applied_.store(recovery_.feedback_events);
  absl::MutexLock lock(&checkpoint_mu_);
  checkpoint_decision_sequence_ = point.decision_sequence;
  checkpoint_time_ = clock_->Now();
  return absl::OkStatus();
}

absl::Status Engine::ReplayArmChanges() {
  return store_->ForEachArmChange([&](const ArmChange& change) -> absl::Status {
    if (FindRouter(change.router) == nullptr) {
      ++recovery_.skipped;
      return absl::OkStatus();
    }
    ++recovery_.arm_changes;
    return ApplyArmChange(change);
  });
}

absl::Status Engine::RestoreCheckpoint(RecoveryPoint* point) {
  ASSIGN_OR_RETURN(std::optional<EngineCheckpoint> checkpoint, store_->ReadCheckpoint());
  if (!checkpoint) return absl::OkStatus();
  if (checkpoint->last_event_sequence > store_->LastFeedbackSequence() ||
      checkpoint->last_decision_sequence > store_->LastDecisionSequence()) {
    return absl::DataLossError(absl::StrFormat(
        "the checkpoint covers feedback events up to %d and decisions up to %d, but the logs "
        "end at %d and %d: log records are missing. Restore the data dir from a backup",
        checkpoint->last_event_sequence, checkpoint->last_decision_sequence,
        store_->LastFeedbackSequence(), store_->LastDecisionSequence()));
  }
  point->decision_counter = checkpoint->decision_counter;
  point->decision_sequence = checkpoint->last_decision_sequence;
  point->event_sequence = checkpoint->last_event_sequence;
  recovery_.checkpoint_event_sequence = checkpoint->last_event_sequence;
  for (const RouterCheckpoint& rc : checkpoint->routers) {
    Router* router = FindRouter(rc.state.router);
    if (router == nullptr) continue;
    RETURN_IF_ERROR(RestoreRouter(rc, router, point));
  }
  return absl::OkStatus();
}

absl::Status Engine::RestoreRouter(const RouterCheckpoint& rc, Router* router,
                                   RecoveryPoint* point) {
  absl::Status restored = router->ImportState(rc.state, Router::ImportScope::kEverything);
  if (restored.ok()) {
    // The accounting is a sum over the same events as the models: restore it with them.
    accounting_.at(router->name())->Restore(rc.accounting);
    if (absl::Status s = FindCascade(router->name())->Import(rc.cascade); !s.ok()) {
      return absl::DataLossError(absl::StrCat(
          "the checkpoint of router '", rc.state.router, "' fails its start-up checks: ",
          s.message(), ". Start routerd once with --rebuild_state to rebuild learned state "
          "from the log, or restore the data dir from a backup"));
    }
    point->event_after[router] = rc.last_event_sequence;
    point->decision_after[router] = rc.last_decision_sequence;
    ++recovery_.routers_from_checkpoint;
    return absl::OkStatus();
  }
  if (absl::IsFailedPrecondition(restored)) {
    // The configuration changed under the learned state: rebuild the models from the log as the
    // new configuration would have learned them. Decision counts do not depend on it, and the
    // log may no longer hold the expired decisions, so they come from here.
    const std::string why(restored.message());
    restored = router->ImportState(rc.state, Router::ImportScope::kDecisionCounts);
    if (restored.ok()) {
      point->decision_after[router] = rc.last_decision_sequence;
      recovery_.notes.push_back(absl::StrCat(why, "; its models are rebuilt from the whole log"));
      return absl::OkStatus();
    }
  }
  return absl::DataLossError(absl::StrCat(
      "the checkpoint of router '", rc.state.router, "' fails its start-up checks: ",
      restored.message(),
      ". The event log is not affected: start routerd once with --rebuild_state to rebuild "
      "learned state from it (decisions that already expired are then no longer counted), "
      "or restore the data dir from a backup"));
}

absl::Status Engine::ReplayDecisions(const RecoveryPoint& point) {
  uint64_t first = std::numeric_limits<uint64_t>::max();
  for (const auto& [name, router] : routers_) {
    first = std::min(first, point.DecisionsAfter(router.get()));
  }
  uint64_t counter = point.decision_counter;
  RETURN_IF_ERROR(store_->ForEachDecisionAfter(first, [&](const Decision& d) {
    Router* router = FindRouter(d.router);
    if (router == nullptr) {
      ++recovery_.skipped;
      return absl::OkStatus();
    }
    if (d.imported) return absl::OkStatus();  // a warm-start outcome, not a decision
    if (d.sequence > point.decision_sequence) ++counter;
    if (d.sequence <= point.DecisionsAfter(router)) return absl::OkStatus();
    ++recovery_.decisions;
    return router->CountDecision(d);
  }));
  absl::MutexLock seed_lock(&seed_mu_);
  decision_counter_ = counter;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Engine::ReplayFeedback(const RecoveryPoint& point) {
  uint64_t first = std::numeric_limits<uint64_t>::max();
  for (const auto& [name, router] : routers_) {
    first = std::min(first, point.EventsAfter(router.get()));
  }
  uint64_t last_event = point.event_sequence;
  RETURN_IF_ERROR(store_->ForEachFeedbackAfter(first, [&](const FeedbackEvent& event) {
    last_event = std::max(last_event, event.sequence);
    Router* router = FindRouter(event.router);
    if (router == nullptr) {
      ++recovery_.skipped;
      return absl::OkStatus();
    }
    if (event.sequence <= point.EventsAfter(router)) return absl::OkStatus();
    ++recovery_.feedback_events;
    return Apply(*router, event).status();
  }));
  return last_event;
}

}  // namespace router
