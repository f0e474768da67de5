// Engine: cascades (Escalate, and what closing feedback teaches). See core/cascade.h.

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/engine.h"
#include "core/stable_hash.h"
#include "core/status_macros.h"

namespace router {

absl::Status ValidateAttemptSignals(const Attempt& a) {
  const std::pair<const char*, const std::optional<double>*> unit[] = {
      {"verifier_score", &a.verifier_score}, {"confidence", &a.confidence}};
  for (const auto& [name, value] : unit) {
    if (value->has_value() && !(**value >= 0 && **value <= 1)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s must be in [0, 1], got %g", name, **value));
    }
  }
  const std::pair<const char*, const std::optional<double>*> non_negative[] = {
      {"latency_ms", &a.latency_ms}, {"cost_usd", &a.cost_usd}};
  for (const auto& [name, value] : non_negative) {
    if (value->has_value() && !(std::isfinite(**value) && **value >= 0)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s must be a finite number >= 0, got %g", name, **value));
    }
  }
  return absl::OkStatus();
}

void Engine::AddCascade(const RouterSpec& spec) {
  cascades_[spec.name] = std::make_unique<CascadePolicy>(spec.cascade, spec.scales.cost_usd);
}

CascadePolicy* Engine::FindCascade(absl::string_view router) const {
  auto it = cascades_.find(router);
  return it == cascades_.end() ? nullptr : it->second.get();
}

std::optional<CascadeCounters> Engine::Cascades(absl::string_view router) const {
  const CascadePolicy* cascade = FindCascade(router);
  if (cascade == nullptr) return std::nullopt;
  return cascade->counters();
}

absl::StatusOr<CascadeState> Engine::ExportCascade(absl::string_view router) const {
  RETURN_IF_ERROR(RequireRouter(router).status());
  return FindCascade(router)->Export();
}

LearnOutcome Engine::ApplyAttempt(const Router& router, const FeedbackEvent& event) {
  FindCascade(router.name())->CountAttempt(*event.attempt);
  LearnOutcome out;
  out.router = router.name();
  out.arm = event.attempt->arm;
  return out;
}

Signals Engine::CascadeSignals(const FeedbackEvent& event) {
  Signals s = event.signals;
  const CascadeChain chain = ChainOf(event.attempts, event.signals.cost_usd);
  if (std::optional<double> total = chain.total_cost_usd()) s.cost_usd = *total;
  // Latency adds up the same way: each reported attempt's, Feedback's for the last answer.
  std::vector<std::optional<double>> latencies;
  for (const Attempt& a : event.attempts) latencies.push_back(a.latency_ms);
  if (chain.arms.size() > latencies.size()) {
    latencies.push_back(event.signals.latency_ms);
  } else if (event.signals.latency_ms) {
    latencies.back() = event.signals.latency_ms;
  }
  double latency = 0;
  bool known = true;
  for (const auto& l : latencies) {
    known = known && l.has_value();
    if (known) latency += *l;
  }
  if (known) s.latency_ms = latency;
  // Tokens describe one answer; the cost above already prices them all.
  s.input_tokens.reset();
  s.output_tokens.reset();
  return s;
}

void Engine::LearnCascade(const FeedbackEvent& event, const LearnOutcome& learned) {
  CascadePolicy* cascade = FindCascade(event.router);
  CascadeClose close;
  close.attempts = event.attempts;
  close.quality = learned.quality;
  close.feedback_cost_usd = event.signals.cost_usd;
  close.arm_qualities = event.signals.arm_qualities;
  double cost_weight = 0;
  for (const RouterSpec& spec : specs_) {
    if (spec.name == event.router) cost_weight = spec.weights.cost;
  }
  close.cost_weight = cost_weight + learned.spend_multiplier;
  cascade->Learn(close);
}

absl::StatusOr<EscalateResult> Engine::Escalate(const EscalateRequest& request) {
  const std::string& id = request.decision_id;
  const Attempt& reported = request.attempt;
  if (id.empty()) return absl::InvalidArgumentError("decision_id is required");
  if (reported.arm.empty()) {
    return absl::InvalidArgumentError(
        "arm is required: the arm whose answer this reports (RouteResponse.arm, or the "
        "next_arm of the last EscalateResponse)");
  }
  RETURN_IF_ERROR(ValidateAttemptSignals(reported));
  const absl::Time now = clock_->Now();

  // One lock over read, choice and append: two reports for one decision cannot both extend the
  // same chain, and the escalation models do not move under the choice.
  absl::MutexLock lock(&feedback_mu_);
  absl::StatusOr<Decision> decision = store_->GetDecision(id);
  if (absl::IsNotFound(decision.status())) {
    return absl::NotFoundError(absl::StrFormat(
        "decision '%s' not found (unknown id, or expired and deleted)", id));
  }
  if (!decision.ok()) return decision.status();
  if (decision->imported) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "'%s' is an imported offline outcome, not a routing decision", id));
  }
  if (now - decision->timestamp > options_.decision_ttl) {
    return ExpiredError(id, decision->timestamp);
  }
  Router* router = FindRouter(decision->router);
  CascadePolicy* cascade = router == nullptr ? nullptr : FindCascade(decision->router);
  if (cascade == nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "decision '%s' belongs to router '%s', which is no longer configured", id,
        decision->router));
  }
  const uint32_t max_attempts = cascade->spec().max_attempts;
  if (max_attempts < 2) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "router '%s' does not cascade: set cascade { max_attempts: 2 } (or more) in its config",
        decision->router));
  }
  const std::vector<Attempt>& attempts = decision->attempts;
  // A retry of a report already answered gets the same answer, also after feedback.
  for (size_t k = 0; k < attempts.size(); ++k) {
    if (attempts[k].SameReport(reported)) {
      EscalateResult again;
      again.router = decision->router;
      again.attempt = attempts[k];
      again.attempts = static_cast<uint32_t>(k + 1);
      again.duplicate = true;
      return again;
    }
  }
  if (decision->feedback_events > 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "decision '%s' already received feedback, which closes its cascade; report every "
        "attempt with Escalate before sending Feedback",
        id));
  }
  const std::string current = attempts.empty() ? decision->arm : attempts.back().next_arm;
  if (current.empty()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "the cascade of decision '%s' already accepted the answer of arm '%s'; send Feedback "
        "about it",
        id, attempts.back().arm));
  }
  if (reported.arm != current) {
    for (size_t k = 0; k < attempts.size(); ++k) {
      if (attempts[k].arm == reported.arm) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "arm '%s' was already tried in the cascade of decision '%s' (attempt %d, with other "
            "signals); the arm to report now is '%s'",
            reported.arm, id, k + 1, current));
      }
    }
    return absl::FailedPreconditionError(absl::StrFormat(
        "arm '%s' is not the arm the cascade of decision '%s' is waiting for: report the answer "
        "of '%s'",
        reported.arm, id, current));
  }

  ASSIGN_OR_RETURN(RouterForecast forecast, router->Forecast(decision->features));
  EscalationInput input;
  input.attempt = reported;
  input.position = static_cast<int>(attempts.size()) + 1;
  input.forced = static_cast<uint32_t>(input.position) >= max_attempts;
  input.quality_weight = forecast.quality_weight;
  input.cost_weight = forecast.cost_weight;
  auto tried = [&](const std::string& arm) {
    if (arm == decision->arm) return true;
    return std::any_of(attempts.begin(), attempts.end(),
                       [&](const Attempt& a) { return a.next_arm == arm; });
  };
  for (const ArmForecast& arm : forecast.arms) {
    if (arm.arm == current) {
      input.current_quality = arm.quality;
    } else if (!tried(arm.arm)) {
      input.untried.push_back(CascadeArm{arm.arm, arm.quality, arm.cost_usd});
    }
  }
  const uint64_t seed = Mix64(router->policy_seed() ^ StableHash(id, 0x63617363ULL) ^
                              Mix64(static_cast<uint64_t>(input.position)));
  const EscalationChoice choice = cascade->Choose(input, seed);

  FeedbackEvent event;
  event.decision_id = id;
  event.feedback_id = absl::StrCat("escalate:", id, ":", input.position);
  event.source = "escalate";
  event.received = now;
  Attempt& logged = event.attempt.emplace(reported);
  logged.next_arm = choice.next_arm;
  logged.propensity = choice.propensity;
  logged.forced = choice.forced;
  logged.explored = choice.explored;
  logged.context = choice.context;
  ASSIGN_OR_RETURN(FeedbackResult appended, AppendAndLearn(router, *decision, &event));
  if (appended.duplicate) {
    return absl::InternalError(absl::StrFormat(
        "attempt %d of decision '%s' is in the log but not in its decision record",
        input.position, id));
  }
  EscalateResult result;
  result.router = decision->router;
  result.attempt = *event.attempt;
  result.attempts = static_cast<uint32_t>(input.position);
  return result;
}

}  // namespace router
