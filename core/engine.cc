// Engine's live path: Route, Feedback, Import and the admin calls. Recovery, checkpoints and
// the expiry sweep live in engine_recovery.cc, engine_checkpoint.cc and engine_expiry.cc.

#include "core/engine.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/stable_hash.h"
#include "core/status_macros.h"

namespace router {
namespace {

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

absl::Status ValidateSignals(const Signals& s) {
  if (s.empty()) {
    return absl::InvalidArgumentError(
        "feedback carries no signal; set at least one of thumbs, judge_score, latency_ms, "
        "energy_j, cost_usd, input_tokens, output_tokens");
  }
  if (s.judge_score && !(*s.judge_score >= 0 && *s.judge_score <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("judge_score must be in [0, 1], got %g", *s.judge_score));
  }
  for (const auto& [arm, quality] : s.arm_qualities) {
    if (arm.empty()) return absl::InvalidArgumentError("arm_qualities has an empty arm name");
    if (!(quality >= 0 && quality <= 1)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "arm_qualities['%s'] must be in [0, 1], got %g", arm, quality));
    }
  }
  const std::pair<const char*, const std::optional<double>*> non_negative[] = {
      {"latency_ms", &s.latency_ms}, {"energy_j", &s.energy_j}, {"cost_usd", &s.cost_usd}};
  for (const auto& [name, value] : non_negative) {
    if (value->has_value() && !(std::isfinite(**value) && **value >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s must be a finite number >= 0, got %g", name, **value));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(const std::vector<RouterSpec>& specs,
                                                       EventStore* store, const Clock* clock,
                                                       const DurabilityOptions& options) {
  std::unique_ptr<Engine> engine(new Engine(store, clock, options));
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
    engine->AddCascade(spec);
  }
  ASSIGN_OR_RETURN(engine->first_start_, store->FirstStart(clock->Now()));
  RETURN_IF_ERROR(engine->Recover());
  return engine;
}

absl::StatusOr<LearnOutcome> Engine::Apply(Router& router, const FeedbackEvent& event) {
  if (event.attempt) return ApplyAttempt(router, event);
  // The event carries what it needs of its decision, which may have expired since.
  Decision decision;
  decision.decision_id = event.decision_id;
  decision.router = event.router;
  decision.arm = event.arm;
  decision.features = event.features;
  decision.propensity = event.propensity;
  decision.imported = event.imported;
  // The feedback that closes a cascade teaches the routed arm what starting there was worth:
  // the accepted answer's quality at the whole cascade's cost.
  const bool closes_cascade = event.first_for_decision && !event.attempts.empty();
  Signals cascade_signals;
  if (closes_cascade) cascade_signals = CascadeSignals(event);
  ASSIGN_OR_RETURN(LearnOutcome learned,
                   router.Learn(decision, closes_cascade ? cascade_signals : event.signals));
  if (closes_cascade) LearnCascade(event, learned);
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
    return absl::NotFoundError(absl::StrFormat("router '%s' not found", name));
  }
  return router;
}

absl::StatusOr<RouteResult> Engine::Route(const RouteQuery& query) {
  ASSIGN_OR_RETURN(Router * router, RequireRouter(query.router));
  // Featurizing (the costly part, which validates embedding and text) needs no seed: it runs
  // outside the seed lock.
  ASSIGN_OR_RETURN(const std::vector<double> features, router->Featurize(query));
  const Eigen::VectorXd x = Eigen::Map<const Eigen::VectorXd>(
      features.data(), static_cast<Eigen::Index>(features.size()));
  absl::ReaderMutexLock no_checkpoint(&decision_mu_);
  RouteResult result;
  {
    // The counter advances only for a decision made: a refused query takes no seed, so the
    // counter equals the decisions in the log, which is what recovery counts.
    absl::MutexLock seed_lock(&seed_mu_);
    const uint64_t seed = Mix64(router->policy_seed() ^ Mix64(decision_counter_));
    ASSIGN_OR_RETURN(result, router->DecideFeatures(x, query, seed));
    ++decision_counter_;
  }
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
  if (event.decision_id.empty()) return absl::InvalidArgumentError("decision_id is required");
  if (event.feedback_id.empty()) {
    return absl::InvalidArgumentError(
        "feedback_id is required: it is the idempotency key that makes retries safe");
  }
  RETURN_IF_ERROR(ValidateSignals(event.signals));
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
        absl::StrFormat("decision '%s' not found (unknown id)", event.decision_id));
  }
  if (!decision.ok()) return decision.status();
  if (now - decision->timestamp > options_.decision_ttl) return expired(decision->timestamp);
  Router* router = FindRouter(decision->router);
  if (router == nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "decision '%s' belongs to router '%s', which is no longer configured",
        event.decision_id, decision->router));
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
  if (item.outcomes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("import item '%s' has no arm outcome", item.id));
  }
  for (const auto& [arm, signals] : item.outcomes) {
    if (!router->HasArm(arm)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "import item '%s' has an outcome for arm '%s', which router '%s' does not have",
          item.id, arm, item.router));
    }
    if (auto s = ValidateSignals(signals); !s.ok()) {
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

absl::StatusOr<RouterState> Engine::ExportRouter(absl::string_view name) const {
  ASSIGN_OR_RETURN(Router * router, RequireRouter(name));
  return router->ExportState();
}

uint64_t Engine::LastEventSequence() {
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
  RETURN_IF_ERROR(ValidateArmSpec(arm));
  absl::MutexLock lock(&admin_mu_);
  if (router->HasArm(change.arm)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("router '%s' already has an arm '%s'", change.router, change.arm));
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
        absl::StrFormat("router '%s' has no arm '%s'", router_name, arm));
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
