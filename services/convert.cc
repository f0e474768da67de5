#include "services/convert.h"

#include <algorithm>

namespace router::services {

RouteQuery ToRouteQuery(const v1::RouteRequest& request) {
  RouteQuery q;
  q.router = request.router();
  q.request_id = request.request_id();
  q.embedding.assign(request.embedding().begin(), request.embedding().end());
  q.text = request.text();
  q.attributes.insert(request.attributes().begin(), request.attributes().end());
  q.allowed_arms.assign(request.allowed_arms().begin(), request.allowed_arms().end());
  const v1::Preferences& p = request.preferences();
  if (p.has_quality()) q.preferences.quality = p.quality();
  if (p.has_cost()) q.preferences.cost = p.cost();
  if (p.has_latency()) q.preferences.latency = p.latency();
  if (p.has_energy()) q.preferences.energy = p.energy();
  if (request.has_max_cost_usd()) q.max_cost_usd = request.max_cost_usd();
  return q;
}

const char* PolicyName(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::kLinUcb: return "linucb";
    case PolicyKind::kThompson: return "thompson";
    case PolicyKind::kEpsilonGreedy: return "epsilon_greedy";
    case PolicyKind::kUniform: return "uniform";
  }
  return "unknown";
}

void ToRouteResponse(const RouteResult& result, absl::string_view policy_version,
                     v1::RouteResponse* response) {
  response->set_decision_id(result.decision.decision_id);
  response->set_arm(result.decision.arm);
  response->set_propensity(result.decision.propensity);
  response->set_explored(result.decision.explored);
  response->set_over_budget(result.over_budget);
  response->mutable_policy()->set_kind(PolicyName(result.policy));
  response->mutable_policy()->set_version(std::string(policy_version));
  for (const ArmScore& s : result.ranking) {
    v1::ArmScore* out = response->add_ranking();
    out->set_arm(s.arm);
    out->set_predicted_quality(s.predicted_quality);
    out->set_predicted_cost_usd(s.predicted_cost_usd);
    out->set_predicted_latency_ms(s.predicted_latency_ms);
    out->set_predicted_energy_j(s.predicted_energy_j);
    out->set_exploration_bonus(s.exploration_bonus);
    out->set_posterior_sd(s.posterior_sd);
    out->set_score(s.score);
    out->set_within_budget(s.within_budget);
  }
}

FeedbackEvent ToFeedbackEvent(const v1::FeedbackRequest& request) {
  FeedbackEvent e;
  e.decision_id = request.decision_id();
  e.feedback_id = request.feedback_id();
  e.source = request.source();
  Signals& s = e.signals;
  if (request.thumbs() == v1::THUMBS_UP) s.thumbs = ThumbsSignal::kUp;
  if (request.thumbs() == v1::THUMBS_DOWN) s.thumbs = ThumbsSignal::kDown;
  if (request.has_judge_score()) s.judge_score = request.judge_score();
  if (request.has_latency_ms()) s.latency_ms = request.latency_ms();
  if (request.has_energy_j()) s.energy_j = request.energy_j();
  if (request.has_cost_usd()) s.cost_usd = request.cost_usd();
  if (request.has_input_tokens()) s.input_tokens = request.input_tokens();
  if (request.has_output_tokens()) s.output_tokens = request.output_tokens();
  s.arm_qualities.assign(request.arm_qualities().begin(), request.arm_qualities().end());
  std::sort(s.arm_qualities.begin(), s.arm_qualities.end());
  return e;
}

ImportItem ToImportItem(const v1::ImportOutcomesRequest& request) {
  ImportItem item;
  item.router = request.router();
  item.id = request.id();
  item.query.router = request.router();
  item.query.text = request.text();
  item.query.embedding.assign(request.embedding().begin(), request.embedding().end());
  item.query.attributes.insert(request.attributes().begin(), request.attributes().end());
  for (const v1::ArmOutcome& o : request.outcomes()) {
    Signals s;
    if (o.has_quality()) s.judge_score = o.quality();
    if (o.has_cost_usd()) s.cost_usd = o.cost_usd();
    if (o.has_input_tokens()) s.input_tokens = o.input_tokens();
    if (o.has_output_tokens()) s.output_tokens = o.output_tokens();
    if (o.has_latency_ms()) s.latency_ms = o.latency_ms();
    if (o.has_energy_j()) s.energy_j = o.energy_j();
    item.outcomes.emplace_back(o.arm(), s);
  }
  return item;
}

void ToArmInfo(const ArmStats& stats, v1::ArmInfo* info) {
  info->set_id(stats.spec.id);
  info->set_disabled(stats.spec.disabled);
  info->set_input_price_per_mtok(stats.spec.input_price_per_mtok);
  info->set_output_price_per_mtok(stats.spec.output_price_per_mtok);
  info->set_decisions(stats.decisions);
  info->set_quality_observations(stats.quality_observations);
  info->set_mean_quality(stats.quality_observations > 0
                             ? stats.quality_sum / stats.quality_observations
                             : 0.0);
  info->set_total_cost_usd(stats.cost_sum_usd);
  info->set_cost_observations(stats.cost_observations);
  info->set_prior_quality(stats.prior_quality);
}

void ToRouterInfo(const RouterStats& stats, v1::RouterInfo* info) {
  info->set_name(stats.name);
  info->set_policy(PolicyName(stats.policy));
  info->set_feature_dim(stats.feature_dim);
  info->set_embedding_dim(stats.embedding_dim);
  info->set_decisions(stats.decisions);
  info->set_feedback_events(stats.feedback_events);
  info->set_target_cost_per_request_usd(stats.spend_target_usd);
  info->set_spend_multiplier(stats.spend_multiplier);
  info->set_joined_decisions(stats.joined_decisions);
  const RegretSnapshot& regret = stats.regret;
  info->set_realised_quality(regret.realised_quality);
  info->set_rewarded_events(regret.rewarded_events);
  info->set_estimated_regret(regret.estimated_regret);
  info->set_exact_regret(regret.exact_regret);
  info->set_exact_regret_events(regret.exact_regret_events);
  for (const ArmStats& arm : stats.arms) {
    v1::ArmInfo* out = info->add_arms();
    ToArmInfo(arm, out);
    for (const auto& [id, value] : regret.ips_value) {
      if (id == arm.spec.id) out->set_ips_value(value);
    }
  }
}

void ToModelResponse(const RouterState& state, v1::GetModelResponse* response) {
  response->set_router(state.router);
  response->set_decisions(state.decisions);
  response->set_feedback_events(state.feedback_events);
  for (const ArmState& a : state.arms) {
    v1::ArmModel* arm = response->add_arms();
    arm->set_arm(a.arm);
    arm->set_decisions(a.decisions);
    const std::pair<const char*, const RidgeState*> models[] = {
        {"quality", &a.quality}, {"cost", &a.cost}, {"latency", &a.latency}, {"energy", &a.energy}};
    for (const auto& [name, m] : models) {
      v1::ObjectiveModel* out = arm->add_objectives();
      out->set_objective(name);
      out->mutable_theta()->Assign(m->theta.begin(), m->theta.end());
      // The true A⁻¹: the model keeps it as a matrix times a forgetting scale.
      for (double v : m->a_inv_lower) out->add_a_inv_lower(m->inv_scale * v);
      out->set_observations(m->observations);
    }
  }
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

EscalateRequest ToEscalateRequest(const v1::EscalateRequest& r) {
  EscalateRequest out;
  out.decision_id = r.decision_id();
  Attempt& a = out.attempt;
  a.arm = r.arm();
  if (r.has_verifier_score()) a.verifier_score = r.verifier_score();
  if (r.has_confidence()) a.confidence = r.confidence();
  if (r.has_output_tokens()) a.output_tokens = r.output_tokens();
  if (r.has_latency_ms()) a.latency_ms = r.latency_ms();
  if (r.has_cost_usd()) a.cost_usd = r.cost_usd();
  return out;
}

void ToEscalateResponse(const EscalateResult& result, v1::EscalateResponse* response) {
  const Attempt& a = result.attempt;
  response->set_action(a.next_arm.empty() ? v1::EscalateResponse::ACCEPT
                                          : v1::EscalateResponse::ESCALATE);
  response->set_next_arm(a.next_arm);
  response->set_propensity(a.propensity);
  response->set_attempts(result.attempts);
  response->set_forced(a.forced);
  response->set_explored(a.explored);
  response->set_duplicate(result.duplicate);
}

void ToCascadeModels(const CascadeState& state, v1::GetModelResponse* response) {
  for (const CascadeModelState& m : state.models) {
    v1::CascadeModel* out = response->add_cascade_models();
    out->set_from_arm(m.from_arm);
    out->set_action(m.action);
    out->mutable_quality_a_lower()->Assign(m.quality_a_lower.begin(), m.quality_a_lower.end());
    out->mutable_quality_b()->Assign(m.quality_b.begin(), m.quality_b.end());
    out->set_quality_observations(m.quality_observations);
    out->mutable_cost_a_lower()->Assign(m.cost_a_lower.begin(), m.cost_a_lower.end());
    out->mutable_cost_b()->Assign(m.cost_b.begin(), m.cost_b.end());
    out->set_cost_observations(m.cost_observations);
  }
}

}  // namespace router::services
