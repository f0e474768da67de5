#include "core/router.h"

#include <algorithm>
#include <cmath>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace router {
namespace {

// Inline capacity of the per-decision arrays: routers with more arms than this still work, they
// just allocate.
constexpr size_t kInlineArms = 32;

// The router's weights with the request's overrides applied. InvalidArgument for a negative or
// non-finite override.
absl::StatusOr<ObjectiveWeights> ResolveWeights(const ObjectiveWeights& base,
                                                const WeightOverrides& overrides) {
  ObjectiveWeights w = base;
  const std::pair<const std::optional<double>*, double*> pairs[] = {
      {&overrides.quality, &w.quality},
      {&overrides.cost, &w.cost},
      {&overrides.latency, &w.latency},
      {&overrides.energy, &w.energy}};
  for (const auto& [given, target] : pairs) {
    if (!given->has_value()) continue;
    if (!std::isfinite(**given) || **given < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "preference weights must be finite numbers >= 0, got %g", **given));
    }
    *target = **given;
  }
  return w;
}

}  // namespace

absl::Status ValidateArmSpec(const ArmSpec& arm) {
  if (arm.id.empty()) return absl::InvalidArgumentError("arm id must not be empty");
  auto non_negative = [&](const char* field, double v) -> absl::Status {
    if (!std::isfinite(v) || v < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "arm '%s': %s must be a finite number >= 0, got %g", arm.id, field, v));
    }
    return absl::OkStatus();
  };
  if (auto s = non_negative("input_price_per_mtok", arm.input_price_per_mtok); !s.ok()) return s;
  if (auto s = non_negative("output_price_per_mtok", arm.output_price_per_mtok); !s.ok()) return s;
  if (!(arm.quality_prior >= 0 && arm.quality_prior <= 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "arm '%s': quality_prior must be in [0, 1], got %g", arm.id, arm.quality_prior));
  }
  if (arm.latency_prior_ms) {
    if (auto s = non_negative("latency_prior_ms", *arm.latency_prior_ms); !s.ok()) return s;
  }
  if (arm.energy_prior_j) {
    if (auto s = non_negative("energy_prior_j", *arm.energy_prior_j); !s.ok()) return s;
  }
  return absl::OkStatus();
}

Router::Router(const RouterSpec& spec)
    : spec_(spec),
      featurizer_(spec.features),
      policy_(spec.policy),
      spend_(spec.spend),
      x_scratch_(spec.features.dim),
      product_scratch_(spec.features.dim) {
  absl::MutexLock lock(&mu_);
  for (const ArmSpec& arm : spec_.arms) {
    arms_.push_back(MakeArm(arm));
    arms_by_id_[arm.id] = arms_.back().get();
  }
}

Router::~Router() = default;

std::unique_ptr<ArmModel> Router::MakeArm(const ArmSpec& arm) const {
  return std::make_unique<ArmModel>(
      arm, spec_.features.dim, spec_.policy.lambda,
      PriorCostUsd(arm, spec_.typical_input_tokens, spec_.typical_output_tokens));
}

RouterLayout Router::layout() const {
  return RouterLayout{spec_.name, spec_.features.dim, spec_.features.embedding_dim,
                      spec_.features.embedding_proj_dim, spec_.features.seed,
                      static_cast<int>(spec_.features.text_features)};
}

bool Router::HasArm(absl::string_view id) const {
  absl::MutexLock lock(&mu_);
  return arms_by_id_.contains(id);
}

ArmModel* Router::FindArm(absl::string_view id) {
  auto it = arms_by_id_.find(id);
  return it == arms_by_id_.end() ? nullptr : it->second;
}

absl::StatusOr<std::vector<ArmModel*>> Router::Candidates(const RouteQuery& query) {
  std::vector<ArmModel*> out;
  out.reserve(query.allowed_arms.empty() ? arms_.size() : query.allowed_arms.size());
  if (query.allowed_arms.empty()) {
    for (const auto& arm : arms_) {
      if (!arm->disabled()) out.push_back(arm.get());
    }
  } else {
    for (const std::string& id : query.allowed_arms) {
      ArmModel* arm = FindArm(id);
      if (arm == nullptr) {
        std::vector<std::string> ids;
        for (const auto& a : arms_) ids.push_back(a->spec().id);
        return absl::InvalidArgumentError(
            absl::StrFormat("allowed_arms names unknown arm '%s'; router '%s' has arms: %s", id,
                            spec_.name, absl::StrJoin(ids, ", ")));
      }
      if (!arm->disabled() && std::find(out.begin(), out.end(), arm) == out.end()) {
        out.push_back(arm);
      }
    }
  }
  if (out.empty()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "router '%s' has no active arm among the allowed ones (all disabled?)", spec_.name));
  }
  return out;
}

absl::StatusOr<RouteResult> Router::Decide(const RouteQuery& query, uint64_t seed) {
  auto features = featurizer_.Featurize(query.embedding, query.text, query.attributes);
  if (!features.ok()) return features.status();
  return DecideFeatures(*features, query, seed);
}

absl::StatusOr<RouteResult> Router::DecideFeatures(const Eigen::VectorXd& x,
                                                   const RouteQuery& query, uint64_t seed) {
  if (x.size() != spec_.features.dim || !x.allFinite()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "feature vector must have %d finite values, got %d values", spec_.features.dim,
        x.size()));
  }
  if (query.max_cost_usd && !(std::isfinite(*query.max_cost_usd) && *query.max_cost_usd >= 0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_cost_usd must be a finite number >= 0, got %g", *query.max_cost_usd));
  }
  absl::StatusOr<ObjectiveWeights> weights = ResolveWeights(spec_.weights, query.preferences);
  if (!weights.ok()) return weights.status();
  const ObjectiveWeights& w = *weights;

  absl::MutexLock lock(&mu_);
  auto candidates = Candidates(query);
  if (!candidates.ok()) return candidates.status();
  const std::vector<ArmModel*>& arms = *candidates;
  const size_t n = arms.size();

  // The spend multiplier prices cost on top of whatever cost weight this request asked for: the
  // target is the router's, not the caller's.
  const double cost_weight = w.cost + spend_.multiplier();
  absl::InlinedVector<ArmPrediction, kInlineArms> predicted(n);
  absl::InlinedVector<PolicyArm, kInlineArms> inputs(n);
  absl::InlinedVector<PolicyScore, kInlineArms> scores(n);
  bool any_eligible = false;
  for (size_t i = 0; i < n; ++i) {
    const ArmPrediction& p = predicted[i] = arms[i]->Predict(x, x_scratch_, product_scratch_);
    PolicyArm& in = inputs[i];
    in.quality = p.quality;
    in.quality_sd = p.quality_sd;
    in.penalty = cost_weight * p.cost_usd / spec_.scales.cost_usd +
                 w.latency * p.latency_ms / spec_.scales.latency_ms +
                 w.energy * p.energy_j / spec_.scales.energy_j;
    in.decisions = arms[i]->decisions();
    in.eligible = !query.max_cost_usd || p.cost_usd <= *query.max_cost_usd;
    any_eligible |= in.eligible;
  }

  RouteResult result;
  result.policy = spec_.policy.kind;
  policy_.Score(inputs, w.quality, seed, absl::MakeSpan(scores));
  Choice choice;
  if (any_eligible) {
    choice = policy_.Choose(inputs, scores, w.quality, seed);
  } else {
    // Nothing fits the budget: the cheapest allowed arm, deterministically, and say so.
    result.over_budget = true;
    for (size_t i = 1; i < n; ++i) {
      if (predicted[i].cost_usd < predicted[choice.index].cost_usd) choice.index = i;
    }
  }

  ArmModel* arm = arms[choice.index];
  arm->CountDecision();
  ++decisions_;

  Decision& d = result.decision;
  d.router = spec_.name;
  d.arm = arm->spec().id;
  d.propensity = choice.propensity;
  d.features.assign(x.data(), x.data() + x.size());
  d.request_id = query.request_id;
  d.predicted_quality = predicted[choice.index].quality;
  d.predicted_cost_usd = predicted[choice.index].cost_usd;
  d.explored = choice.explored;

  auto score_of = [&](size_t i) {
    ArmScore s;
    s.arm = arms[i]->spec().id;
    s.predicted_quality = predicted[i].quality;
    s.predicted_cost_usd = predicted[i].cost_usd;
    s.predicted_latency_ms = predicted[i].latency_ms;
    s.predicted_energy_j = predicted[i].energy_j;
    s.exploration_bonus = scores[i].bonus;
    s.posterior_sd = predicted[i].quality_sd;
    s.score = scores[i].score;
    s.within_budget = inputs[i].eligible;
    return s;
  };
  absl::InlinedVector<size_t, kInlineArms> rest;
  for (size_t i = 0; i < n; ++i) {
    if (i != choice.index) rest.push_back(i);
  }
  std::stable_sort(rest.begin(), rest.end(), [&](size_t a, size_t b) {
    if (inputs[a].eligible != inputs[b].eligible) return inputs[a].eligible;
    return scores[a].score > scores[b].score;
  });
  result.ranking.reserve(n);
  result.ranking.push_back(score_of(choice.index));
  for (size_t i : rest) result.ranking.push_back(score_of(i));
  return result;
}

absl::StatusOr<std::vector<double>> Router::Featurize(const RouteQuery& query) const {
  auto x = featurizer_.Featurize(query.embedding, query.text, query.attributes);
  if (!x.ok()) return x.status();
  return std::vector<double>(x->data(), x->data() + x->size());
}

absl::StatusOr<LearnOutcome> Router::Learn(const Decision& decision, const Signals& signals) {
  absl::MutexLock lock(&mu_);
  ArmModel* arm = FindArm(decision.arm);
  if (arm == nullptr) {
    return absl::DataLossError(absl::StrFormat(
        "decision %s names arm '%s', which router '%s' does not have", decision.decision_id,
        decision.arm, spec_.name));
  }
  if (static_cast<int>(decision.features.size()) != spec_.features.dim) {
    return absl::DataLossError(absl::StrFormat(
        "decision %s has %d features, router '%s' uses %d", decision.decision_id,
        decision.features.size(), spec_.name, spec_.features.dim));
  }
  const Eigen::Map<const Eigen::VectorXd> x(decision.features.data(), decision.features.size());

  LearnOutcome out;
  out.router = spec_.name;
  out.arm = arm->spec().id;
  if (absl::Status s = arm->Learn(x, signals, spec_.policy.gamma, spec_.quality_sources, &out);
      !s.ok()) {
    return s;
  }
  // A warm-start outcome was never spent (the import carries every arm's outcome on every query),
  // so it teaches the cost model but does not move the spend multiplier. A cost that would make
  // the multiplier non-finite leaves it where it is.
  if (out.cost_usd && !decision.imported) (void)spend_.ObserveCost(*out.cost_usd);
  out.spend_multiplier = spend_.multiplier();
  ++feedback_events_;
  return out;
}

absl::Status Router::CountDecision(const Decision& decision) {
  absl::MutexLock lock(&mu_);
  ArmModel* arm = FindArm(decision.arm);
  if (arm == nullptr) {
    return absl::DataLossError(absl::StrFormat(
        "logged decision %s names arm '%s', which router '%s' does not have",
        decision.decision_id, decision.arm, spec_.name));
  }
  arm->CountDecision();
  ++decisions_;
  return absl::OkStatus();
}

absl::StatusOr<ArmStats> Router::AddArm(const ArmSpec& spec) {
  if (auto s = ValidateArmSpec(spec); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  if (FindArm(spec.id) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrFormat("router '%s' already has an arm '%s'", spec_.name, spec.id));
  }
  arms_.push_back(MakeArm(spec));
  arms_by_id_[spec.id] = arms_.back().get();
  return arms_.back()->Stats();
}

absl::StatusOr<ArmStats> Router::SetArmDisabled(absl::string_view id, bool disabled) {
  absl::MutexLock lock(&mu_);
  ArmModel* arm = FindArm(id);
  if (arm == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("router '%s' has no arm '%s'", spec_.name, id));
  }
  arm->set_disabled(disabled);
  return arm->Stats();
}

RouterStats Router::Stats() const {
  absl::MutexLock lock(&mu_);
  RouterStats s;
  s.name = spec_.name;
  s.policy = spec_.policy.kind;
  s.feature_dim = spec_.features.dim;
  s.embedding_dim = spec_.features.embedding_dim;
  s.decisions = decisions_;
  s.feedback_events = feedback_events_;
  for (const auto& arm : arms_) s.arms.push_back(arm->Stats());
  s.spend_target_usd = spend_.target_usd();
  s.spend_multiplier = spend_.multiplier();
  s.spend_observations = spend_.observations();
  s.spend_cost_sum_usd = spend_.cost_sum_usd();
  return s;
}

// ---- Checkpoints ----------------------------------------------------------------------------

RouterState Router::ExportState() const {
  absl::MutexLock lock(&mu_);
  RouterState s;
  s.router = spec_.name;
  s.gamma = spec_.policy.gamma;
  s.thumbs_weight = spec_.quality_sources.thumbs;
  s.judge_weight = spec_.quality_sources.judge;
  s.spend_target_usd = spend_.target_usd();
  s.spend_learning_rate = spend_.learning_rate();
  s.spend_multiplier = spend_.multiplier();
  s.spend_observations = spend_.observations();
  s.spend_cost_sum_usd = spend_.cost_sum_usd();
  s.decisions = decisions_;
  s.feedback_events = feedback_events_;
  for (const auto& arm : arms_) s.arms.push_back(arm->ExportState());
  return s;
}

absl::Status Router::ImportState(const RouterState& s, ImportScope scope) {
  absl::MutexLock lock(&mu_);
  if (s.router != spec_.name) {
    return absl::DataLossError(absl::StrFormat(
        "state of router '%s' was offered to router '%s'", s.router, spec_.name));
  }
  const bool everything = scope == ImportScope::kEverything;
  if (everything) {
    // What shaped the learned numbers must be what the config gives now.
    const std::pair<const char*, std::pair<double, double>> settings[] = {
        {"gamma", {s.gamma, spec_.policy.gamma}},
        {"thumbs weight", {s.thumbs_weight, spec_.quality_sources.thumbs}},
        {"judge weight", {s.judge_weight, spec_.quality_sources.judge}},
        {"spend target", {s.spend_target_usd, spend_.target_usd()}},
        {"spend learning rate", {s.spend_learning_rate, spend_.learning_rate()}}};
    for (const auto& [name, values] : settings) {
      if (values.first != values.second) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "router '%s': state was learned with %s %g, the config now gives %g", spec_.name,
            name, values.first, values.second));
      }
    }
  }
  // Validate into copies first, so that an error leaves the router as it was.
  std::vector<std::pair<ArmModel*, ArmModel>> staged;
  for (const ArmState& a : s.arms) {
    ArmModel* arm = FindArm(a.arm);
    if (arm == nullptr) {
      return absl::DataLossError(absl::StrFormat(
          "router '%s': the stored state has arm '%s', which is neither in the config nor added "
          "at run time. Put the arm back in the config (disabled: true keeps it out of routing)",
          spec_.name, a.arm));
    }
    ArmModel copy = *arm;
    if (absl::Status st = copy.ImportState(a, everything); !st.ok()) {
      return absl::Status(st.code(), absl::StrFormat("router '%s', %s", spec_.name, st.message()));
    }
    staged.emplace_back(arm, std::move(copy));
  }
  for (auto& [arm, copy] : staged) *arm = std::move(copy);
  decisions_ = s.decisions;
  if (everything) {
    feedback_events_ = s.feedback_events;
    spend_.Restore(s.spend_multiplier, s.spend_observations, s.spend_cost_sum_usd);
  }
  return absl::OkStatus();
}

}  // namespace router
