#include "core/router.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/random.h"
#include "core/stable_hash.h"

namespace router {
namespace {

// Monte-Carlo draws behind a Thompson-sampling propensity. The estimate (1 + wins) / (M + 1)
// counts the draw that made the decision, so it is never 0; its standard error is at most
// 0.5/sqrt(M) ≈ 0.022 per decision and averages out over many decisions.
constexpr int kThompsonPropensityDraws = 512;

Eigen::VectorXd BiasPrior(int dim, double value) {
  Eigen::VectorXd m = Eigen::VectorXd::Zero(dim);
  m(0) = value;
  return m;
}

}  // namespace

struct Router::Arm {
  Arm(const ArmSpec& s, int dim, double lambda, double prior_cost)
      : spec(s),
        quality(BiasPrior(dim, s.quality_prior), lambda),
        cost(BiasPrior(dim, prior_cost), lambda),
        latency(BiasPrior(dim, s.latency_prior_ms.value_or(0.0)), lambda),
        energy(BiasPrior(dim, s.energy_prior_j.value_or(0.0)), lambda) {}

  ArmSpec spec;
  RidgeModel quality;
  RidgeModel cost;
  RidgeModel latency;
  RidgeModel energy;
  uint64_t decisions = 0;
  uint64_t quality_observations = 0;
  double quality_sum = 0;
  uint64_t cost_observations = 0;
  double cost_sum_usd = 0;
  uint64_t latency_observations = 0;
  double latency_sum_ms = 0;
  uint64_t energy_observations = 0;
  double energy_sum_j = 0;
};

// One candidate arm's predictions for the current context.
struct Router::Scored {
  Arm* arm;
  ArmScore score;
  double quality_sd;     // sqrt(xᵀA⁻¹x) of the quality model
  double penalty;        // weighted cost + latency + energy terms
};

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

Router::Router(const RouterSpec& spec) : spec_(spec), featurizer_(spec.features) {
  absl::MutexLock lock(&mu_);
  for (const ArmSpec& arm : spec_.arms) {
    arms_.push_back(MakeArm(arm));
    arms_by_id_[arm.id] = arms_.back().get();
  }
}

Router::~Router() = default;

std::unique_ptr<Router::Arm> Router::MakeArm(const ArmSpec& arm) const {
  return std::make_unique<Arm>(
      arm, spec_.features.dim, spec_.policy.lambda,
      PriorCostUsd(arm, spec_.typical_input_tokens, spec_.typical_output_tokens));
}

RouterLayout Router::layout() const {
  return RouterLayout{spec_.name, spec_.features.dim, spec_.features.embedding_dim,
                      spec_.features.embedding_proj_dim, spec_.features.seed};
}

bool Router::HasArm(absl::string_view id) const {
  absl::MutexLock lock(&mu_);
  return arms_by_id_.contains(id);
}

Router::Arm* Router::FindArm(absl::string_view id) {
  auto it = arms_by_id_.find(id);
  return it == arms_by_id_.end() ? nullptr : it->second;
}

absl::StatusOr<std::vector<Router::Arm*>> Router::Candidates(const RouteQuery& query) {
  std::vector<Arm*> out;
  if (query.allowed_arms.empty()) {
    for (const auto& arm : arms_) {
      if (!arm->spec.disabled) out.push_back(arm.get());
    }
  } else {
    for (const std::string& id : query.allowed_arms) {
      Arm* arm = FindArm(id);
      if (arm == nullptr) {
        std::vector<std::string> ids;
        for (const auto& a : arms_) ids.push_back(a->spec.id);
        return absl::InvalidArgumentError(
            absl::StrFormat("allowed_arms names unknown arm '%s'; router '%s' has arms: %s", id,
                            spec_.name, absl::StrJoin(ids, ", ")));
      }
      if (!arm->spec.disabled && std::find(out.begin(), out.end(), arm) == out.end()) {
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
  if (query.max_cost_usd && !(std::isfinite(*query.max_cost_usd) && *query.max_cost_usd >= 0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_cost_usd must be a finite number >= 0, got %g", *query.max_cost_usd));
  }
  ObjectiveWeights w = spec_.weights;
  const std::pair<const std::optional<double>*, double*> overrides[] = {
      {&query.preferences.quality, &w.quality},
      {&query.preferences.cost, &w.cost},
      {&query.preferences.latency, &w.latency},
      {&query.preferences.energy, &w.energy}};
  for (const auto& [given, target] : overrides) {
    if (!given->has_value()) continue;
    if (!std::isfinite(**given) || **given < 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "preference weights must be finite numbers >= 0, got %g", **given));
    }
    *target = **given;
  }
  auto features = featurizer_.Featurize(query.embedding, query.text, query.attributes);
  if (!features.ok()) return features.status();
  const Eigen::VectorXd& x = *features;

  Rng rng(seed);
  const bool thompson = spec_.policy.kind == PolicyKind::kThompson;
  const double alpha = spec_.policy.alpha;

  absl::MutexLock lock(&mu_);
  auto candidates = Candidates(query);
  if (!candidates.ok()) return candidates.status();

  std::vector<Scored> scored;
  scored.reserve(candidates->size());
  for (Arm* arm : *candidates) {
    Scored s{arm, {}, 0, 0};
    s.score.arm = arm->spec.id;
    s.score.predicted_quality = arm->quality.Mean(x);
    s.quality_sd = std::sqrt(std::max(0.0, arm->quality.Variance(x)));
    s.score.predicted_cost_usd = std::max(0.0, arm->cost.Mean(x));
    s.score.predicted_latency_ms = std::max(0.0, arm->latency.Mean(x));
    s.score.predicted_energy_j = std::max(0.0, arm->energy.Mean(x));
    s.penalty = w.cost * s.score.predicted_cost_usd / spec_.scales.cost_usd +
                w.latency * s.score.predicted_latency_ms / spec_.scales.latency_ms +
                w.energy * s.score.predicted_energy_j / spec_.scales.energy_j;
    s.score.exploration_bonus =
        thompson ? alpha * s.quality_sd * rng.Gaussian() : alpha * s.quality_sd;
    s.score.score =
        w.quality * (s.score.predicted_quality + s.score.exploration_bonus) - s.penalty;
    s.score.within_budget =
        !query.max_cost_usd || s.score.predicted_cost_usd <= *query.max_cost_usd;
    scored.push_back(s);
  }

  std::vector<size_t> eligible;
  for (size_t i = 0; i < scored.size(); ++i) {
    if (scored[i].score.within_budget) eligible.push_back(i);
  }

  RouteResult result;
  result.policy = spec_.policy.kind;
  size_t chosen = 0;
  double propensity = 1.0;
  bool explored = false;
  if (eligible.empty()) {
    // Nothing fits the budget: the cheapest allowed arm, deterministically, and say so.
    result.over_budget = true;
    for (size_t i = 1; i < scored.size(); ++i) {
      if (scored[i].score.predicted_cost_usd < scored[chosen].score.predicted_cost_usd) chosen = i;
    }
  } else {
    size_t least_tried = eligible[0];
    for (size_t i : eligible) {
      if (scored[i].arm->decisions < scored[least_tried].arm->decisions) least_tried = i;
    }
    if (scored[least_tried].arm->decisions < spec_.policy.min_tries) {
      chosen = least_tried;
      explored = true;
    } else {
      size_t greedy = eligible[0];
      for (size_t i : eligible) {
        if (scored[i].score.score > scored[greedy].score.score) greedy = i;
      }
      const double eps = spec_.policy.epsilon;
      const double n = static_cast<double>(eligible.size());
      chosen = greedy;
      if (eps > 0 && rng.Uniform() < eps) chosen = eligible[rng.UniformInt(eligible.size())];
      explored = chosen != greedy;
      if (thompson) {
        std::vector<Scored> pool;
        size_t chosen_in_pool = 0;
        for (size_t i : eligible) {
          if (i == chosen) chosen_in_pool = pool.size();
          pool.push_back(scored[i]);
        }
        const double p_sample =
            ThompsonPropensity(pool, chosen_in_pool, w.quality, Mix64(seed ^ 0x7473ULL));
        propensity = (1 - eps) * p_sample + eps / n;
      } else {
        propensity = (chosen == greedy ? 1 - eps : 0.0) + eps / n;
      }
    }
  }

  Arm* arm = scored[chosen].arm;
  ++arm->decisions;
  ++decisions_;

  Decision& d = result.decision;
  d.router = spec_.name;
  d.arm = arm->spec.id;
  d.propensity = propensity;
  d.features.assign(x.data(), x.data() + x.size());
  d.request_id = query.request_id;
  d.predicted_quality = scored[chosen].score.predicted_quality;
  d.predicted_cost_usd = scored[chosen].score.predicted_cost_usd;
  d.explored = explored;

  result.ranking.push_back(scored[chosen].score);
  std::vector<size_t> rest;
  for (size_t i = 0; i < scored.size(); ++i) {
    if (i != chosen) rest.push_back(i);
  }
  std::stable_sort(rest.begin(), rest.end(), [&](size_t a, size_t b) {
    if (scored[a].score.within_budget != scored[b].score.within_budget) {
      return scored[a].score.within_budget;
    }
    return scored[a].score.score > scored[b].score.score;
  });
  for (size_t i : rest) result.ranking.push_back(scored[i].score);
  return result;
}

double Router::ThompsonPropensity(const std::vector<Scored>& eligible, size_t chosen,
                                  double quality_weight, uint64_t seed) const {
  Rng rng(seed);
  const double alpha = spec_.policy.alpha;
  int wins = 0;
  for (int draw = 0; draw < kThompsonPropensityDraws; ++draw) {
    size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < eligible.size(); ++i) {
      const Scored& s = eligible[i];
      const double sampled = s.score.predicted_quality + alpha * s.quality_sd * rng.Gaussian();
      const double score = quality_weight * sampled - s.penalty;
      if (score > best_score) {
        best_score = score;
        best = i;
      }
    }
    if (best == chosen) ++wins;
  }
  return (1.0 + wins) / (1.0 + kThompsonPropensityDraws);
}

absl::StatusOr<LearnOutcome> Router::Learn(const Decision& decision, const Signals& signals) {
  absl::MutexLock lock(&mu_);
  Arm* arm = FindArm(decision.arm);
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
  const Eigen::Map<const Eigen::VectorXd> mapped(decision.features.data(),
                                                 decision.features.size());
  const Eigen::VectorXd x = mapped;
  const double gamma = spec_.policy.gamma;

  LearnOutcome out;
  out.router = spec_.name;
  out.arm = arm->spec.id;
  double quality_total = 0;
  auto observe_quality = [&](double y) {
    arm->quality.Update(x, y, gamma);
    ++arm->quality_observations;
    arm->quality_sum += y;
    quality_total += y;
    ++out.quality_observations;
  };
  if (signals.judge_score) observe_quality(*signals.judge_score);
  if (signals.thumbs != ThumbsSignal::kNone) {
    observe_quality(signals.thumbs == ThumbsSignal::kUp ? 1.0 : 0.0);
  }
  if (out.quality_observations > 0) out.quality = quality_total / out.quality_observations;

  std::optional<double> cost = signals.cost_usd;
  if (!cost && (signals.input_tokens || signals.output_tokens)) {
    // Tokens without a bill: price them with the arm's list prices.
    cost = (arm->spec.input_price_per_mtok * signals.input_tokens.value_or(0) +
            arm->spec.output_price_per_mtok * signals.output_tokens.value_or(0)) /
           1e6;
  }
  if (cost) {
    arm->cost.Update(x, *cost, gamma);
    ++arm->cost_observations;
    arm->cost_sum_usd += *cost;
    out.cost_usd = cost;
  }
  if (signals.latency_ms) {
    arm->latency.Update(x, *signals.latency_ms, gamma);
    ++arm->latency_observations;
    arm->latency_sum_ms += *signals.latency_ms;
    out.latency_ms = signals.latency_ms;
  }
  if (signals.energy_j) {
    arm->energy.Update(x, *signals.energy_j, gamma);
    ++arm->energy_observations;
    arm->energy_sum_j += *signals.energy_j;
    out.energy_j = signals.energy_j;
  }
  ++feedback_events_;
  return out;
}

absl::Status Router::CountDecision(const Decision& decision) {
  absl::MutexLock lock(&mu_);
  Arm* arm = FindArm(decision.arm);
  if (arm == nullptr) {
    return absl::DataLossError(absl::StrFormat(
        "logged decision %s names arm '%s', which router '%s' does not have",
        decision.decision_id, decision.arm, spec_.name));
  }
  ++arm->decisions;
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
  return StatsOf(*arms_.back());
}

absl::StatusOr<ArmStats> Router::SetArmDisabled(absl::string_view id, bool disabled) {
  absl::MutexLock lock(&mu_);
  Arm* arm = FindArm(id);
  if (arm == nullptr) {
    return absl::NotFoundError(
        absl::StrFormat("router '%s' has no arm '%s'", spec_.name, id));
  }
  arm->spec.disabled = disabled;
  return StatsOf(*arm);
}

ArmStats Router::StatsOf(const Arm& arm) const {
  ArmStats s;
  s.spec = arm.spec;
  s.decisions = arm.decisions;
  s.quality_observations = arm.quality_observations;
  s.quality_sum = arm.quality_sum;
  s.cost_observations = arm.cost_observations;
  s.cost_sum_usd = arm.cost_sum_usd;
  s.latency_observations = arm.latency_observations;
  s.latency_sum_ms = arm.latency_sum_ms;
  s.energy_observations = arm.energy_observations;
  s.energy_sum_j = arm.energy_sum_j;
  s.prior_quality = arm.quality.theta()(0);
  return s;
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
  for (const auto& arm : arms_) s.arms.push_back(StatsOf(*arm));
  return s;
}

// ---- Checkpoints ----------------------------------------------------------------------------

RouterState Router::ExportState() const {
  absl::MutexLock lock(&mu_);
  RouterState s;
  s.router = spec_.name;
  s.gamma = spec_.policy.gamma;
  s.decisions = decisions_;
  s.feedback_events = feedback_events_;
  for (const auto& arm : arms_) {
    ArmState a;
    a.arm = arm->spec.id;
    a.input_price_per_mtok = arm->spec.input_price_per_mtok;
    a.output_price_per_mtok = arm->spec.output_price_per_mtok;
    a.decisions = arm->decisions;
    a.quality_observations = arm->quality_observations;
    a.quality_sum = arm->quality_sum;
    a.cost_observations = arm->cost_observations;
    a.cost_sum_usd = arm->cost_sum_usd;
    a.latency_observations = arm->latency_observations;
    a.latency_sum_ms = arm->latency_sum_ms;
    a.energy_observations = arm->energy_observations;
    a.energy_sum_j = arm->energy_sum_j;
    a.quality = arm->quality.ExportState();
    a.cost = arm->cost.ExportState();
    a.latency = arm->latency.ExportState();
    a.energy = arm->energy.ExportState();
    s.arms.push_back(std::move(a));
  }
  return s;
}

absl::Status Router::ImportState(const RouterState& s, ImportScope scope) {
  absl::MutexLock lock(&mu_);
  if (s.router != spec_.name) {
    return absl::DataLossError(absl::StrFormat(
        "state of router '%s' was offered to router '%s'", s.router, spec_.name));
  }
  const bool everything = scope == ImportScope::kEverything;
  if (everything && s.gamma != spec_.policy.gamma) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "router '%s': state was learned with gamma %g, the config now gives %g", spec_.name,
        s.gamma, spec_.policy.gamma));
  }
  // Validate into copies first, so that an error leaves the router as it was.
  std::vector<std::pair<Arm*, Arm>> staged;
  for (const ArmState& a : s.arms) {
    Arm* arm = FindArm(a.arm);
    if (arm == nullptr) {
      return absl::DataLossError(absl::StrFormat(
          "router '%s': the stored state has arm '%s', which is neither in the config nor added "
          "at run time. Put the arm back in the config (disabled: true keeps it out of routing)",
          spec_.name, a.arm));
    }
    Arm copy = *arm;
    copy.decisions = a.decisions;
    if (everything) {
      if (a.input_price_per_mtok != arm->spec.input_price_per_mtok ||
          a.output_price_per_mtok != arm->spec.output_price_per_mtok) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "router '%s', arm '%s': state was learned with prices %g/%g per Mtok, the config now "
            "gives %g/%g",
            spec_.name, a.arm, a.input_price_per_mtok, a.output_price_per_mtok,
            arm->spec.input_price_per_mtok, arm->spec.output_price_per_mtok));
      }
      const std::pair<const char*, std::pair<RidgeModel*, const RidgeState*>> models[] = {
          {"quality", {&copy.quality, &a.quality}},
          {"cost", {&copy.cost, &a.cost}},
          {"latency", {&copy.latency, &a.latency}},
          {"energy", {&copy.energy, &a.energy}}};
      for (const auto& [objective, m] : models) {
        if (absl::Status st = m.first->ImportState(*m.second); !st.ok()) {
          return absl::Status(st.code(),
                              absl::StrFormat("router '%s', arm '%s', %s model: %s", spec_.name,
                                              a.arm, objective, st.message()));
        }
      }
      copy.quality_observations = a.quality_observations;
      copy.quality_sum = a.quality_sum;
      copy.cost_observations = a.cost_observations;
      copy.cost_sum_usd = a.cost_sum_usd;
      copy.latency_observations = a.latency_observations;
      copy.latency_sum_ms = a.latency_sum_ms;
      copy.energy_observations = a.energy_observations;
      copy.energy_sum_j = a.energy_sum_j;
    }
    staged.emplace_back(arm, std::move(copy));
  }
  for (auto& [arm, copy] : staged) *arm = std::move(copy);
  decisions_ = s.decisions;
  if (everything) feedback_events_ = s.feedback_events;
  return absl::OkStatus();
}

}  // namespace router
