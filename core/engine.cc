#include "core/engine.h"

#include <cmath>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/stable_hash.h"
#include "core/status_macros.h"

namespace router {
namespace {

std::string NewDecisionId() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(gen),
                         absl::Uniform<uint64_t>(gen));
}

std::string DescribeLayout(const RouterLayout& l) {
  return absl::StrFormat("dim=%d embedding_dim=%d embedding_proj_dim=%d seed=%d%s", l.feature_dim,
                         l.embedding_dim, l.embedding_proj_dim, l.seed,
                         l.text_features == 0 ? "" : " text_features=RICH");
}

}  // namespace

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
                                                       EventStore* store, const Clock* clock) {
  std::unique_ptr<Engine> engine(new Engine(store, clock));
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
  RETURN_IF_ERROR(store_->ForEachDecision([&](const Decision& d) -> absl::Status {
    if (d.imported) return absl::OkStatus();  // warm-start outcome: learned, not a decision
    Router* router = FindRouter(d.router);
    if (router == nullptr) {
      ++recovery_.skipped;
      return absl::OkStatus();
    }
    ++recovery_.decisions;
    decision_counter_.fetch_add(1, std::memory_order_relaxed);
    return router->CountDecision(d);
  }));
  return store_->ForEachFeedback([&](const FeedbackEvent& event) -> absl::Status {
    ASSIGN_OR_RETURN(Decision d, store_->GetDecision(event.decision_id));
    Router* router = FindRouter(d.router);
    if (router == nullptr) {
      ++recovery_.skipped;
      return absl::OkStatus();
    }
    ++recovery_.feedback_events;
    return Apply(*router, d, event).status();
  });
}

absl::StatusOr<LearnOutcome> Engine::Apply(Router& router, const Decision& decision,
                                           const FeedbackEvent& event) {
  ASSIGN_OR_RETURN(LearnOutcome learned, router.Learn(decision, event.signals));
  // Warm-start outcomes teach the models but were never decisions: no join, no regret.
  if (decision.imported) return learned;
  Accounting& accounting = *accounting_.at(router.name());
  if (event.first_for_decision) accounting.joined_decisions.fetch_add(1);
  if (learned.quality) {
    accounting.regret.Record(decision.arm, decision.propensity, *learned.quality);
  }
  if (!event.signals.arm_qualities.empty()) {
    accounting.regret.RecordExact(decision.arm, event.signals.arm_qualities);
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
  const uint64_t seed = Mix64(router->policy_seed() ^ Mix64(decision_counter_.fetch_add(1)));
  ASSIGN_OR_RETURN(RouteResult result, router->Decide(query, seed));
  result.decision.decision_id = NewDecisionId();
  result.decision.timestamp = clock_->Now();
  RETURN_IF_ERROR(store_->PutDecision(result.decision));
  return result;
}

absl::StatusOr<FeedbackResult> Engine::Feedback(FeedbackEvent event) {
  if (event.decision_id.empty()) return absl::InvalidArgumentError("decision_id is required");
  if (event.feedback_id.empty()) {
    return absl::InvalidArgumentError(
        "feedback_id is required: it is the idempotency key that makes retries safe");
  }
  RETURN_IF_ERROR(ValidateSignals(event.signals));
  auto decision = store_->GetDecision(event.decision_id);
  if (absl::IsNotFound(decision.status())) {
    return absl::NotFoundError(
        absl::StrFormat("decision '%s' not found (unknown id)", event.decision_id));
  }
  if (!decision.ok()) return decision.status();
  Router* router = FindRouter(decision->router);
  if (router == nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "decision '%s' belongs to router '%s', which is no longer configured",
        event.decision_id, decision->router));
  }
  event.received = clock_->Now();

  FeedbackResult result;
  result.join_lag = event.received - decision->timestamp;
  absl::MutexLock lock(&feedback_mu_);
  ASSIGN_OR_RETURN(AppendOutcome outcome, store_->AppendFeedback(&event));
  if (outcome == AppendOutcome::kDuplicate) {
    result.duplicate = true;
    return result;
  }
  ASSIGN_OR_RETURN(result.learned, Apply(*router, *decision, event));
  result.first_for_decision = event.first_for_decision;
  result.regret = accounting_.at(router->name())->regret.Snapshot();
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
    ASSIGN_OR_RETURN(AppendOutcome outcome, store_->AppendFeedback(&event));
    if (outcome == AppendOutcome::kDuplicate) {
      ++result.duplicate;
      continue;
    }
    RETURN_IF_ERROR(Apply(*router, d, event).status());
    ++result.applied;
  }
  return result;
}

std::vector<RouterStats> Engine::ListRouters() const {
  std::vector<RouterStats> out;
  for (const RouterSpec& spec : specs_) {
    RouterStats stats = FindRouter(spec.name)->Stats();
    const Accounting& accounting = *accounting_.at(spec.name);
    stats.joined_decisions = accounting.joined_decisions.load();
    stats.regret = accounting.regret.Snapshot();
    out.push_back(std::move(stats));
  }
  return out;
}

absl::Status Engine::ApplyArmChange(const ArmChange& change) {
  Router* router = FindRouter(change.router);
  if (change.kind == ArmChange::Kind::kSetDisabled) {
    return router->SetArmDisabled(change.arm, change.disabled).status();
  }
  ArmSpec arm;
  arm.id = change.arm;
  arm.input_price_per_mtok = change.input_price_per_mtok;
  arm.output_price_per_mtok = change.output_price_per_mtok;
  arm.quality_prior = change.quality_prior.value_or(router->default_quality_prior());
  arm.disabled = false;
  return router->AddArm(arm).status();
}

absl::StatusOr<ArmStats> Engine::AddArm(const ArmChange& change) {
  ASSIGN_OR_RETURN(Router * router, RequireRouter(change.router));
  ArmSpec arm;
  arm.id = change.arm;
  arm.input_price_per_mtok = change.input_price_per_mtok;
  arm.output_price_per_mtok = change.output_price_per_mtok;
  arm.quality_prior = change.quality_prior.value_or(router->default_quality_prior());
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
