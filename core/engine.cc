#include "core/engine.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/stable_hash.h"
#include "core/status_macros.h"

namespace router {
namespace {

// Decisions expired before the sweep deleted them per call, so one sweep step holds the
// feedback lock only briefly.
constexpr size_t kSweepBatch = 1000;

// 32 hex digits: milliseconds since the epoch (12) then 80 random bits (20). The time lets
// feedback for a decision that has expired and been deleted be told apart from an unknown id.
std::string NewDecisionId(absl::Time now) {
  thread_local absl::BitGen gen;
  const uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(0, absl::ToUnixMillis(now)));
  return absl::StrFormat("%012x%04x%016x", ms & 0xffffffffffffULL,
                         absl::Uniform<uint32_t>(gen) & 0xffff, absl::Uniform<uint64_t>(gen));
}

std::optional<absl::Time> DecisionIdTime(absl::string_view id) {
  if (id.size() != 32) return std::nullopt;
  for (char c : id) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return std::nullopt;
  }
  uint64_t ms = 0;
  if (!absl::SimpleHexAtoi(id.substr(0, 12), &ms)) return std::nullopt;
  return absl::FromUnixMillis(static_cast<int64_t>(ms));
}

std::string DescribeLayout(const RouterLayout& l) {
  return absl::StrFormat("dim=%d embedding_dim=%d embedding_proj_dim=%d seed=%d%s", l.feature_dim,
                         l.embedding_dim, l.embedding_proj_dim, l.seed,
                         l.text_features == 0 ? "" : " text_features=RICH");
}

}  // namespace

bool IsDecisionExpired(const absl::Status& status) {
  return status.GetPayload(kDecisionExpiredPayload).has_value();
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(const std::vector<RouterSpec>& specs,
                                                       EventStore* store, const Clock* clock,
                                                       const DurabilityOptions& options,
                                                       const InputLimits& limits) {
  std::unique_ptr<Engine> engine(new Engine(store, clock, options, limits));
  engine->specs_ = specs;
  for (const RouterSpec& spec : specs) {
    auto router = std::make_unique<Router>(spec);
    const RouterLayout layout = router->layout();
    ASSIGN_OR_RETURN(std::optional<RouterLayout> stored, store->GetRouterLayout(spec.name));
    if (!stored) {
      RETURN_IF_ERROR(store->PutRouterLayout(layout));
    } else if (!(*stored == layout)) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "router '%s': the data dir holds state learned with feature layout {%s}, but the config "
          "now gives {%s}. Learned state is only valid for its layout: restore the old features "
          "config, rename the router, or start with a fresh --data_dir",
          spec.name, DescribeLayout(*stored), DescribeLayout(layout)));
    }
    engine->routers_[spec.name] = std::move(router);
    engine->accounting_[spec.name] = std::make_unique<Accounting>();
  }
  ASSIGN_OR_RETURN(engine->first_start_, store->FirstStart(clock->Now()));
  RETURN_IF_ERROR(engine->Recover());
  return engine;
}

absl::Status Engine::Recover() {
  RETURN_IF_ERROR(store_->ForEachArmChange([&](const ArmChange& change) -> absl::Status {
    if (FindRouter(change.router) == nullptr) {
      ++recovery_.skipped;
      return absl::OkStatus();
    }
    ++recovery_.arm_changes;
    return ApplyArmChange(change);
  }));

  // Per router: the last event and decision its restored state already holds (0: none).
  absl::flat_hash_map<Router*, uint64_t> event_after, decision_after;
  uint64_t counter_after = 0;  // decisions after this one advance the decision counter
  uint64_t counter = 0;
  uint64_t last_event = 0;
  if (!options_.ignore_checkpoints) {
    ASSIGN_OR_RETURN(std::optional<EngineCheckpoint> checkpoint, store_->ReadCheckpoint());
    if (checkpoint) {
      if (checkpoint->last_event_sequence > store_->LastFeedbackSequence() ||
          checkpoint->last_decision_sequence > store_->LastDecisionSequence()) {
        return absl::DataLossError(absl::StrFormat(
            "the checkpoint covers feedback events up to %d and decisions up to %d, but the logs "
            "end at %d and %d: log records are missing. Restore the data dir from a backup",
            checkpoint->last_event_sequence, checkpoint->last_decision_sequence,
            store_->LastFeedbackSequence(), store_->LastDecisionSequence()));
      }
      counter = checkpoint->decision_counter;
      counter_after = checkpoint->last_decision_sequence;
      last_event = checkpoint->last_event_sequence;
      recovery_.checkpoint_event_sequence = checkpoint->last_event_sequence;
      for (const RouterCheckpoint& rc : checkpoint->routers) {
        Router* router = FindRouter(rc.state.router);
        if (router == nullptr) continue;
        absl::Status imported = router->ImportState(rc.state, Router::ImportScope::kEverything);
        if (imported.ok()) {
          // The accounting is a sum over the same events as the models: restore it with them.
          Accounting& accounting = *accounting_.at(router->name());
          RegretSnapshot regret;
          regret.realised_quality = rc.accounting.realised_quality;
          regret.rewarded_events = rc.accounting.rewarded_events;
          regret.ips_value = rc.accounting.ips_value;
          regret.exact_regret = rc.accounting.exact_regret;
          regret.exact_regret_events = rc.accounting.exact_regret_events;
          accounting.regret.Restore(regret);
          accounting.joined_decisions.store(rc.accounting.joined_decisions);
          accounting.expired_unanswered.store(rc.accounting.expired_unanswered);
          event_after[router] = rc.last_event_sequence;
          decision_after[router] = rc.last_decision_sequence;
          ++recovery_.routers_from_checkpoint;
          continue;
        }
        if (absl::IsFailedPrecondition(imported)) {
          // The configuration changed under the learned state: rebuild the models from the log
          // as the new configuration would have learned them. Decision counts do not depend on
          // it, and the log may no longer hold the expired decisions, so they come from here.
          const std::string why(imported.message());
          imported = router->ImportState(rc.state, Router::ImportScope::kDecisionCounts);
          if (imported.ok()) {
            decision_after[router] = rc.last_decision_sequence;
            recovery_.notes.push_back(
                absl::StrCat(why, "; its models are rebuilt from the whole log"));
            continue;
          }
        }
        return absl::DataLossError(absl::StrCat(
            "the checkpoint of router '", rc.state.router, "' fails its start-up checks: ",
            imported.message(),
            ". The event log is not affected: start routerd once with --rebuild_state to rebuild "
            "learned state from it (decisions that already expired are then no longer counted), "
            "or restore the data dir from a backup"));
      }
    }
  }

  auto after = [](const absl::flat_hash_map<Router*, uint64_t>& m, Router* r) -> uint64_t {
    auto it = m.find(r);
    return it == m.end() ? 0 : it->second;
  };
  uint64_t first_decision = std::numeric_limits<uint64_t>::max();
  uint64_t first_event = std::numeric_limits<uint64_t>::max();
  for (const auto& [name, router] : routers_) {
    first_decision = std::min(first_decision, after(decision_after, router.get()));
    first_event = std::min(first_event, after(event_after, router.get()));
  }

  RETURN_IF_ERROR(store_->ForEachDecisionAfter(first_decision, [&](const Decision& d) {
    Router* router = FindRouter(d.router);
    if (router == nullptr) {
      ++recovery_.skipped;
      return absl::OkStatus();
    }
    if (d.imported) return absl::OkStatus();  // a warm-start outcome, not a decision
    if (d.sequence > counter_after) ++counter;
    if (d.sequence <= after(decision_after, router)) return absl::OkStatus();
    ++recovery_.decisions;
    return router->CountDecision(d);
  }));
  decision_counter_.store(counter);

  RETURN_IF_ERROR(store_->ForEachFeedbackAfter(first_event, [&](const FeedbackEvent& event) {
    last_event = std::max(last_event, event.sequence);
    Router* router = FindRouter(event.router);
    if (router == nullptr) {
      ++recovery_.skipped;
      return absl::OkStatus();
    }
    if (event.sequence <= after(event_after, router)) return absl::OkStatus();
    ++recovery_.feedback_events;
    absl::Status applied = Apply(*router, event).status();
    if (absl::IsInvalidArgument(applied)) {
      // A step the models refused when it was logged (it would have made them non-finite) is
      // refused again, exactly as live: the result still equals the live state.
      ++recovery_.refused_events;
      return absl::OkStatus();
    }
    return applied;
  }));

  {
    absl::MutexLock lock(&feedback_mu_);
    last_event_sequence_ = last_event;
  }
  // Replayed events count toward the next checkpoint, so a long replay is not repeated.
  events_applied_.store(recovery_.feedback_events);
  absl::MutexLock lock(&checkpoint_mu_);
  checkpoint_decision_sequence_ = counter_after;
  checkpoint_time_ = clock_->Now();
  return absl::OkStatus();
}

absl::StatusOr<LearnOutcome> Engine::Apply(Router& router, const FeedbackEvent& event) {
  // The event carries what it needs of its decision, which may have expired since.
  Decision decision;
  decision.decision_id = event.decision_id;
  decision.router = event.router;
  decision.arm = event.arm;
  decision.features = event.features;
  decision.propensity = event.propensity;
  decision.imported = event.imported;
  ASSIGN_OR_RETURN(LearnOutcome learned, router.Learn(decision, event.signals));
  // Warm-start outcomes teach the models but were never decisions: no join, no regret.
  if (event.imported) return learned;
  Accounting& accounting = *accounting_.at(router.name());
  if (event.first_for_decision) accounting.joined_decisions.fetch_add(1);
  if (learned.quality) {
    accounting.regret.Record(event.arm, event.propensity, *learned.quality);
  }
  if (!event.signals.arm_qualities.empty()) {
    accounting.regret.RecordExact(event.arm, event.signals.arm_qualities);
  }
  return learned;
}

Router* Engine::FindRouter(absl::string_view name) const {
  auto it = routers_.find(name);
  return it == routers_.end() ? nullptr : it->second.get();
}

absl::StatusOr<Router*> Engine::RequireRouter(absl::string_view name) const {
  if (name.empty()) return absl::InvalidArgumentError("router name is required");
  Router* router = FindRouter(name);
  if (router == nullptr) {
    return absl::NotFoundError(absl::StrFormat("router %s not found", Quote(name)));
  }
  return router;
}

absl::StatusOr<RouteResult> Engine::Route(const RouteQuery& query) {
  ASSIGN_OR_RETURN(Router * router, RequireRouter(query.router));
  RETURN_IF_ERROR(CheckQueryLimits(query, limits_));
  absl::ReaderMutexLock no_checkpoint(&decision_mu_);
  const uint64_t seed = Mix64(router->policy_seed() ^ Mix64(decision_counter_.fetch_add(1)));
  ASSIGN_OR_RETURN(RouteResult result, router->Decide(query, seed));
  result.decision.timestamp = clock_->Now();
  result.decision.decision_id = NewDecisionId(result.decision.timestamp);
  RETURN_IF_ERROR(store_->PutDecision(result.decision));
  return result;
}

absl::Status Engine::ExpiredError(absl::string_view decision_id, absl::Time made) const {
  absl::Status status = absl::FailedPreconditionError(absl::StrFormat(
      "decision '%s' has expired: it was made at %s, and decisions take feedback for "
      "decision_ttl_seconds = %d s only",
      decision_id, absl::FormatTime(absl::RFC3339_sec, made, absl::UTCTimeZone()),
      absl::ToInt64Seconds(options_.decision_ttl)));
  status.SetPayload(kDecisionExpiredPayload, absl::Cord("1"));
  return status;
}

absl::StatusOr<FeedbackResult> Engine::Feedback(FeedbackEvent event) {
  RETURN_IF_ERROR(CheckId("decision_id", event.decision_id, limits_));
  if (event.feedback_id.empty()) {
    return absl::InvalidArgumentError(
        "feedback_id is required: it is the idempotency key that makes retries safe");
  }
  RETURN_IF_ERROR(CheckId("feedback_id", event.feedback_id, limits_));
  for (absl::string_view reserved : kReservedFeedbackPrefixes) {
    if (absl::StartsWith(event.feedback_id, reserved)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "feedback_id %s starts with '%s', a prefix reserved for ids the server writes itself",
          Quote(event.feedback_id), reserved));
    }
  }
  RETURN_IF_ERROR(CheckId("source", event.source, limits_, /*required=*/false));
  RETURN_IF_ERROR(ValidateSignals(event.signals, limits_));
  const absl::Time now = clock_->Now();
  // A retry of feedback that was applied before its decision expired is still a duplicate.
  auto expired = [&](absl::Time made) -> absl::StatusOr<FeedbackResult> {
    ASSIGN_OR_RETURN(const bool seen, store_->HasFeedbackId(event.feedback_id));
    if (seen) {
      FeedbackResult duplicate;
      duplicate.duplicate = true;
      return duplicate;
    }
    return ExpiredError(event.decision_id, made);
  };
  auto decision = store_->GetDecision(event.decision_id);
  if (absl::IsNotFound(decision.status())) {
    const std::optional<absl::Time> made = DecisionIdTime(event.decision_id);
    if (made && *made >= first_start_ && now - *made > options_.decision_ttl) {
      return expired(*made);
    }
    return absl::NotFoundError(
        absl::StrFormat("decision %s not found (unknown id)", Quote(event.decision_id)));
  }
  if (!decision.ok()) return decision.status();
  if (decision->imported) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "decision_id %s names an imported warm-start outcome, not a decision Route made; it "
        "takes no feedback",
        Quote(event.decision_id)));
  }
  if (now - decision->timestamp > options_.decision_ttl) return expired(decision->timestamp);
  Router* router = FindRouter(decision->router);
  if (router == nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "decision '%s' belongs to router '%s', which is no longer configured",
        event.decision_id, decision->router));
  }
  for (const auto& [arm, quality] : event.signals.arm_qualities) {
    if (!router->HasArm(arm)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "arm_qualities names arm %s, which router '%s' does not have", Quote(arm),
          decision->router));
    }
  }
  event.received = now;

  absl::MutexLock lock(&feedback_mu_);
  auto result = AppendAndLearn(router, *decision, &event);
  // Swept between the read above and the append.
  if (absl::IsNotFound(result.status())) return ExpiredError(event.decision_id, decision->timestamp);
  return result;
}

absl::StatusOr<FeedbackResult> Engine::AppendAndLearn(Router* router, const Decision& decision,
                                                      FeedbackEvent* event) {
  FeedbackResult result;
  result.join_lag = event->received - decision.timestamp;
  ASSIGN_OR_RETURN(AppendOutcome outcome, store_->AppendFeedback(event));
  if (outcome == AppendOutcome::kDuplicate) {
    result.duplicate = true;
    return result;
  }
  last_event_sequence_ = event->sequence;
  ASSIGN_OR_RETURN(result.learned, Apply(*router, *event));
  events_applied_.fetch_add(1, std::memory_order_relaxed);
  return result;
}


absl::StatusOr<ImportResult> Engine::Import(const ImportItem& item) {
  ASSIGN_OR_RETURN(Router * router, RequireRouter(item.router));
  if (item.id.empty()) {
    return absl::InvalidArgumentError(
        "import item needs an id: (id, arm) is the idempotency key that makes re-imports safe");
  }
  RETURN_IF_ERROR(CheckId("import item id", item.id, limits_));
  if (absl::StrContains(item.id, '/')) {
    // "import/<id>/<arm>" must name one (id, arm) pair: arm ids may hold '/', ids may not.
    return absl::InvalidArgumentError(absl::StrFormat(
        "import item id %s contains '/', which import ids may not", Quote(item.id)));
  }
  if (item.outcomes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("import item '%s' has no arm outcome", item.id));
  }
  if (item.outcomes.size() > limits_.max_arms_per_router) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "import item '%s' has %d outcomes, more than limits.max_arms_per_router = %d", item.id,
        item.outcomes.size(), limits_.max_arms_per_router));
  }
  RETURN_IF_ERROR(CheckQueryLimits(item.query, limits_));
  absl::flat_hash_set<absl::string_view> seen_arms;
  for (const auto& [arm, signals] : item.outcomes) {
    if (!router->HasArm(arm)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "import item '%s' has an outcome for arm %s, which router '%s' does not have",
          item.id, Quote(arm), item.router));
    }
    if (!seen_arms.insert(arm).second) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "import item '%s' has two outcomes for arm '%s'; send one per arm", item.id, arm));
    }
    if (auto s = ValidateSignals(signals, limits_); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("import item '%s', arm '%s': %s", item.id, arm, s.message()));
    }
  }
  ASSIGN_OR_RETURN(std::vector<double> features, router->Featurize(item.query));

  ImportResult result;
  // One importer at a time, so the existence check below and the write that follows it cannot
  // interleave with another import of the same id.
  absl::MutexLock import_lock(&import_mu_);
  for (const auto& [arm, signals] : item.outcomes) {
    Decision d;
    d.decision_id = absl::StrCat("import/", item.id, "/", arm);
    d.router = item.router;
    d.arm = arm;
    d.propensity = 1.0;
    d.features = features;
    d.timestamp = clock_->Now();
    d.request_id = item.id;
    d.imported = true;
    auto existing = store_->GetDecision(d.decision_id);
    if (existing.ok()) {
      // Imported before (or interrupted between the two writes): the stored features are what
      // the log replays, so they must be these.
      if (existing->router != d.router || existing->features != d.features) {
        return absl::AlreadyExistsError(absl::StrFormat(
            "import id '%s' was imported before with a different query or router; ids must be "
            "unique within a dataset",
            item.id));
      }
    } else if (absl::IsNotFound(existing.status())) {
      RETURN_IF_ERROR(store_->PutDecision(d));
    } else {
      return existing.status();
    }
    FeedbackEvent event;
    event.decision_id = d.decision_id;
    event.feedback_id = d.decision_id;
    event.source = "import";
    event.signals = signals;
    event.received = d.timestamp;
    absl::MutexLock lock(&feedback_mu_);
    ASSIGN_OR_RETURN(FeedbackResult appended, AppendAndLearn(router, d, &event));
    ++(appended.duplicate ? result.duplicate : result.applied);
  }
  return result;
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
    checkpoint.decision_counter = decision_counter_.load();
    events_applied = events_applied_.load();
    for (const RouterSpec& spec : specs_) {
      RouterCheckpoint rc{checkpoint.last_event_sequence, checkpoint.last_decision_sequence,
                          FindRouter(spec.name)->ExportState(), {}};
      const Accounting& accounting = *accounting_.at(spec.name);
      const RegretSnapshot regret = accounting.regret.Snapshot();
      rc.accounting.realised_quality = regret.realised_quality;
      rc.accounting.rewarded_events = regret.rewarded_events;
      rc.accounting.ips_value = regret.ips_value;
      rc.accounting.exact_regret = regret.exact_regret;
      rc.accounting.exact_regret_events = regret.exact_regret_events;
      rc.accounting.joined_decisions = accounting.joined_decisions.load();
      rc.accounting.expired_unanswered = accounting.expired_unanswered.load();
      checkpoint.routers.push_back(std::move(rc));
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

std::optional<double> Engine::DefaultReward(absl::string_view router) const {
  for (const RouterSpec& spec : specs_) {
    if (spec.name == router) return spec.default_reward;
  }
  return std::nullopt;
}

absl::StatusOr<SweepStats> Engine::SweepExpired() {
  absl::MutexLock one_at_a_time(&sweep_mu_);
  SweepStats stats;
  const absl::Time now = clock_->Now();
  const absl::Time cutoff = now - options_.decision_ttl;
  for (;;) {
    ASSIGN_OR_RETURN(std::vector<Decision> batch,
                     store_->ExpiredDecisions(cutoff, std::numeric_limits<uint64_t>::max(),
                                              kSweepBatch));
    if (batch.empty()) break;
    uint64_t covered = 0;
    {
      absl::MutexLock lock(&checkpoint_mu_);
      covered = checkpoint_decision_sequence_;
    }
    // Recovery counts decisions logged after the checkpoint; deleting one of those first would
    // lose it from the counts.
    if (batch.back().sequence > covered) RETURN_IF_ERROR(Checkpoint());
    for (const Decision& d : batch) {
      const std::optional<double> reward = DefaultReward(d.router);
      Router* router = FindRouter(d.router);
      if (router != nullptr && !d.imported && d.feedback_events == 0 &&
          (!reward || d.features.empty())) {
        // Expires unanswered: no longer pending, and never joined.
        accounting_.at(d.router)->expired_unanswered.fetch_add(1);
      }
      if (!reward || router == nullptr || d.imported || d.quality_signals > 0 ||
          d.features.empty()) {
        continue;
      }
      FeedbackEvent event;
      event.decision_id = d.decision_id;
      event.feedback_id = absl::StrCat("default_reward:", d.decision_id);
      event.source = "default_reward";
      event.signals.judge_score = *reward;
      event.received = now;
      absl::MutexLock lock(&feedback_mu_);
      ASSIGN_OR_RETURN(FeedbackResult result, AppendAndLearn(router, d, &event));
      if (!result.duplicate) ++stats.default_rewards;
    }
    RETURN_IF_ERROR(store_->DeleteDecisions(batch));
    stats.expired += batch.size();
    if (batch.size() < kSweepBatch) break;
  }
  return stats;
}

absl::StatusOr<RouterState> Engine::ExportRouter(absl::string_view name) const {
  ASSIGN_OR_RETURN(Router * router, RequireRouter(name));
  return router->ExportState();
}

uint64_t Engine::last_event_sequence() {
  absl::MutexLock lock(&feedback_mu_);
  return last_event_sequence_;
}

std::vector<RouterStats> Engine::ListRouters() const {
  std::vector<RouterStats> out;
  for (const RouterSpec& spec : specs_) {
    RouterStats stats = FindRouter(spec.name)->Stats();
    const Accounting& accounting = *accounting_.at(spec.name);
    stats.joined_decisions = accounting.joined_decisions.load();
    stats.expired_unanswered = accounting.expired_unanswered.load();
    stats.regret = accounting.regret.Snapshot();
    out.push_back(std::move(stats));
  }
  return out;
}

namespace {

// The spec of an arm added at run time: live (AddArm) and in replay (ApplyArmChange) alike.
ArmSpec AddedArmSpec(const ArmChange& change, const Router& router) {
  ArmSpec arm;
  arm.id = change.arm;
  arm.input_price_per_mtok = change.input_price_per_mtok;
  arm.output_price_per_mtok = change.output_price_per_mtok;
  arm.quality_prior = change.quality_prior.value_or(router.default_quality_prior());
  return arm;
}

}  // namespace

absl::Status Engine::ApplyArmChange(const ArmChange& change) {
  Router* router = FindRouter(change.router);
  if (change.kind == ArmChange::Kind::kSetDisabled) {
    return router->SetArmDisabled(change.arm, change.disabled).status();
  }
  return router->AddArm(AddedArmSpec(change, *router)).status();
}

absl::StatusOr<ArmStats> Engine::AddArm(const ArmChange& change) {
  ASSIGN_OR_RETURN(Router * router, RequireRouter(change.router));
  const ArmSpec arm = AddedArmSpec(change, *router);
  RETURN_IF_ERROR(CheckArmLimits(arm, limits_));
  RETURN_IF_ERROR(ValidateArmSpec(arm));
  absl::MutexLock lock(&admin_mu_);
  if (router->HasArm(change.arm)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("router '%s' already has an arm '%s'", change.router, change.arm));
  }
  if (const size_t arms = router->Stats().arms.size(); arms >= limits_.max_arms_per_router) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "router '%s' has %d arms, limits.max_arms_per_router; disable one instead of adding more",
        change.router, arms));
  }
  ArmChange logged = change;
  logged.kind = ArmChange::Kind::kAdd;
  RETURN_IF_ERROR(store_->AppendArmChange(logged));
  return router->AddArm(arm);
}

absl::StatusOr<ArmStats> Engine::SetArmDisabled(absl::string_view router_name,
                                                absl::string_view arm, bool disabled) {
  ASSIGN_OR_RETURN(Router * router, RequireRouter(router_name));
  absl::MutexLock lock(&admin_mu_);
  if (!router->HasArm(arm)) {
    return absl::NotFoundError(
        absl::StrFormat("router '%s' has no arm %s", router_name, Quote(arm)));
  }
  ArmChange change;
  change.kind = ArmChange::Kind::kSetDisabled;
  change.router = std::string(router_name);
  change.arm = std::string(arm);
  change.disabled = disabled;
  RETURN_IF_ERROR(store_->AppendArmChange(change));
  return router->SetArmDisabled(arm, disabled);
}

}  // namespace router
