#include "storage/checkpoint_codec.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "router/v1/storage.pb.h"

namespace router::storage {
namespace {

namespace pb = ::router::v1::storage;

template <typename Field>
std::vector<double> ToVector(const Field& f) {
  return std::vector<double>(f.begin(), f.end());
}

void ToRecord(const RidgeState& s, pb::RidgeStateRecord* r) {
  r->mutable_prior_mean()->Assign(s.prior_mean.begin(), s.prior_mean.end());
  r->set_lambda(s.lambda);
  r->mutable_a_inv_lower()->Assign(s.a_inv_lower.begin(), s.a_inv_lower.end());
  r->mutable_b()->Assign(s.b.begin(), s.b.end());
  r->mutable_theta()->Assign(s.theta.begin(), s.theta.end());
  r->mutable_a_lower()->Assign(s.a_lower.begin(), s.a_lower.end());
  r->set_prior_weight(s.prior_weight);
  r->set_updates_since_restore(s.updates_since_restore);
  r->set_observations(s.observations);
  r->set_inv_scale(s.inv_scale);
  r->set_a_scale(s.a_scale);
}

RidgeState FromRecord(const pb::RidgeStateRecord& r) {
  RidgeState s;
  s.prior_mean = ToVector(r.prior_mean());
  s.lambda = r.lambda();
  s.a_inv_lower = ToVector(r.a_inv_lower());
  s.b = ToVector(r.b());
  s.theta = ToVector(r.theta());
  s.a_lower = ToVector(r.a_lower());
  s.prior_weight = r.prior_weight();
  s.updates_since_restore = r.updates_since_restore();
  s.observations = r.observations();
  s.inv_scale = r.has_inv_scale() ? r.inv_scale() : 1.0;
  s.a_scale = r.has_a_scale() ? r.a_scale() : 1.0;
  return s;
}

// Escalation pairs are keyed "from\x1fto" in the record's map (arm ids never hold a \x1f).
constexpr char kPairSeparator = '\x1f';

void ToRecord(const CascadeState& s, pb::CascadeStateRecord* r) {
  for (const CascadeModelState& m : s.models) {
    pb::CascadeModelRecord* out = r->add_models();
    out->set_from_arm(m.from_arm);
    out->set_action(m.action);
    out->mutable_quality_a_lower()->Assign(m.quality_a_lower.begin(), m.quality_a_lower.end());
    out->mutable_quality_b()->Assign(m.quality_b.begin(), m.quality_b.end());
    out->set_quality_observations(m.quality_observations);
    out->mutable_cost_a_lower()->Assign(m.cost_a_lower.begin(), m.cost_a_lower.end());
    out->mutable_cost_b()->Assign(m.cost_b.begin(), m.cost_b.end());
    out->set_cost_observations(m.cost_observations);
  }
  const CascadeCounters& c = s.counters;
  for (const auto& [arm, n] : c.answered) (*r->mutable_answered())[arm] = n;
  for (const auto& [arm, n] : c.accepted) (*r->mutable_accepted())[arm] = n;
  for (const auto& [pair, n] : c.escalations) {
    (*r->mutable_escalations())[absl::StrCat(pair.first, std::string(1, kPairSeparator),
                                             pair.second)] = n;
  }
  r->set_closed(c.closed);
  r->set_arms_tried(c.arms_tried);
  r->set_cost_usd(c.cost_usd);
  r->set_escalation_cost_usd(c.escalation_cost_usd);
  r->set_regret(c.regret);
  r->set_regret_events(c.regret_events);
}

CascadeState FromRecord(const pb::CascadeStateRecord& r) {
  CascadeState s;
  for (const pb::CascadeModelRecord& in : r.models()) {
    CascadeModelState m;
    m.from_arm = in.from_arm();
    m.action = in.action();
    m.quality_a_lower = ToVector(in.quality_a_lower());
    m.quality_b = ToVector(in.quality_b());
    m.quality_observations = in.quality_observations();
    m.cost_a_lower = ToVector(in.cost_a_lower());
    m.cost_b = ToVector(in.cost_b());
    m.cost_observations = in.cost_observations();
    s.models.push_back(std::move(m));
  }
  CascadeCounters& c = s.counters;
  c.answered.assign(r.answered().begin(), r.answered().end());
  c.accepted.assign(r.accepted().begin(), r.accepted().end());
  for (const auto& [key, n] : r.escalations()) {
    const size_t cut = key.find(kPairSeparator);
    if (cut == std::string::npos) continue;
    c.escalations.push_back({{key.substr(0, cut), key.substr(cut + 1)}, n});
  }
  // Map order is unspecified.
  std::sort(c.answered.begin(), c.answered.end());
  std::sort(c.accepted.begin(), c.accepted.end());
  std::sort(c.escalations.begin(), c.escalations.end());
  c.closed = r.closed();
  c.arms_tried = r.arms_tried();
  c.cost_usd = r.cost_usd();
  c.escalation_cost_usd = r.escalation_cost_usd();
  c.regret = r.regret();
  c.regret_events = r.regret_events();
  return s;
}

}  // namespace

std::string EncodeRouterCheckpoint(const RouterCheckpoint& c) {
  pb::RouterCheckpointRecord r;
  const RouterState& s = c.state;
  r.set_router(s.router);
  r.set_last_event_sequence(c.last_event_sequence);
  r.set_last_decision_sequence(c.last_decision_sequence);
  r.set_gamma(s.gamma);
  r.set_decisions(s.decisions);
  r.set_feedback_events(s.feedback_events);
  r.set_thumbs_weight(s.thumbs_weight);
  r.set_judge_weight(s.judge_weight);
  r.set_spend_target_usd(s.spend_target_usd);
  r.set_spend_learning_rate(s.spend_learning_rate);
  r.set_spend_multiplier(s.spend_multiplier);
  r.set_spend_observations(s.spend_observations);
  r.set_spend_cost_sum_usd(s.spend_cost_sum_usd);
  if (s.shared_quality) ToRecord(*s.shared_quality, r.mutable_shared_quality());
  pb::AccountingRecord* acc = r.mutable_accounting();
  acc->set_realised_quality(c.accounting.realised_quality);
  acc->set_rewarded_events(c.accounting.rewarded_events);
  for (const auto& [arm, v] : c.accounting.ips_value) (*acc->mutable_ips_value())[arm] = v;
  acc->set_exact_regret(c.accounting.exact_regret);
  acc->set_exact_regret_events(c.accounting.exact_regret_events);
  acc->set_joined_decisions(c.accounting.joined_decisions);
  acc->set_expired_unanswered(c.accounting.expired_unanswered);
  for (const ArmState& a : s.arms) {
    pb::ArmStateRecord* out = r.add_arms();
    out->set_arm(a.arm);
    out->set_input_price_per_mtok(a.input_price_per_mtok);
    out->set_output_price_per_mtok(a.output_price_per_mtok);
    out->set_decisions(a.decisions);
    out->set_quality_observations(a.quality_observations);
    out->set_quality_sum(a.quality_sum);
    out->set_cost_observations(a.cost_observations);
    out->set_cost_sum_usd(a.cost_sum_usd);
    out->set_latency_observations(a.latency_observations);
    out->set_latency_sum_ms(a.latency_sum_ms);
    out->set_energy_observations(a.energy_observations);
    out->set_energy_sum_j(a.energy_sum_j);
    ToRecord(a.quality, out->mutable_quality());
    ToRecord(a.cost, out->mutable_cost());
    ToRecord(a.latency, out->mutable_latency());
    ToRecord(a.energy, out->mutable_energy());
  }
  ToRecord(c.cascade, r.mutable_cascade());
  return r.SerializeAsString();
}

absl::StatusOr<RouterCheckpoint> DecodeRouterCheckpoint(absl::string_view bytes) {
  pb::RouterCheckpointRecord r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("a stored router checkpoint does not parse");
  }
  RouterCheckpoint c;
  c.last_event_sequence = r.last_event_sequence();
  c.last_decision_sequence = r.last_decision_sequence();
  RouterState& s = c.state;
  s.router = r.router();
  s.gamma = r.gamma();
  s.decisions = r.decisions();
  s.feedback_events = r.feedback_events();
  s.thumbs_weight = r.thumbs_weight();
  s.judge_weight = r.judge_weight();
  s.spend_target_usd = r.spend_target_usd();
  s.spend_learning_rate = r.spend_learning_rate();
  s.spend_multiplier = r.spend_multiplier();
  s.spend_observations = r.spend_observations();
  s.spend_cost_sum_usd = r.spend_cost_sum_usd();
  if (r.has_shared_quality()) s.shared_quality = FromRecord(r.shared_quality());
  const pb::AccountingRecord& acc = r.accounting();
  c.accounting.realised_quality = acc.realised_quality();
  c.accounting.rewarded_events = acc.rewarded_events();
  // Map order is unspecified; keep arms sorted so a restored tracker lists them stably.
  c.accounting.ips_value.assign(acc.ips_value().begin(), acc.ips_value().end());
  std::sort(c.accounting.ips_value.begin(), c.accounting.ips_value.end());
  c.accounting.exact_regret = acc.exact_regret();
  c.accounting.exact_regret_events = acc.exact_regret_events();
  c.accounting.joined_decisions = acc.joined_decisions();
  c.accounting.expired_unanswered = acc.expired_unanswered();
  for (const pb::ArmStateRecord& in : r.arms()) {
    ArmState a;
    a.arm = in.arm();
    a.input_price_per_mtok = in.input_price_per_mtok();
    a.output_price_per_mtok = in.output_price_per_mtok();
    a.decisions = in.decisions();
    a.quality_observations = in.quality_observations();
    a.quality_sum = in.quality_sum();
    a.cost_observations = in.cost_observations();
    a.cost_sum_usd = in.cost_sum_usd();
    a.latency_observations = in.latency_observations();
    a.latency_sum_ms = in.latency_sum_ms();
    a.energy_observations = in.energy_observations();
    a.energy_sum_j = in.energy_sum_j();
    a.quality = FromRecord(in.quality());
    a.cost = FromRecord(in.cost());
    a.latency = FromRecord(in.latency());
    a.energy = FromRecord(in.energy());
    s.arms.push_back(std::move(a));
  }
  c.cascade = FromRecord(r.cascade());
  return c;
}

std::string EncodeCheckpointHeader(const EngineCheckpoint& c) {
  pb::CheckpointHeaderRecord r;
  r.set_last_event_sequence(c.last_event_sequence);
  r.set_last_decision_sequence(c.last_decision_sequence);
  r.set_decision_counter(c.decision_counter);
  r.set_created_ms(absl::ToUnixMillis(c.created));
  for (const RouterCheckpoint& rc : c.routers) r.add_routers(rc.state.router);
  return r.SerializeAsString();
}

absl::StatusOr<EngineCheckpoint> DecodeCheckpointHeader(absl::string_view bytes,
                                                        std::vector<std::string>* names) {
  pb::CheckpointHeaderRecord r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError("the stored checkpoint header does not parse");
  }
  EngineCheckpoint c;
  c.last_event_sequence = r.last_event_sequence();
  c.last_decision_sequence = r.last_decision_sequence();
  c.decision_counter = r.decision_counter();
  c.created = absl::FromUnixMillis(r.created_ms());
  names->assign(r.routers().begin(), r.routers().end());
  return c;
}

}  // namespace router::storage
