#include "core/cascade.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "core/random.h"

namespace router {
namespace {

constexpr int kBias = 0;
constexpr int kActionQuality = 7;
constexpr int kActionCost = 8;

std::vector<double> Lower(const Eigen::MatrixXd& m) {
  std::vector<double> out;
  out.reserve(m.rows() * (m.rows() + 1) / 2);
  for (int c = 0; c < m.cols(); ++c) {
    for (int r = c; r < m.rows(); ++r) out.push_back(m(r, c));
  }
  return out;
}

bool FromLower(const std::vector<double>& lower, Eigen::MatrixXd* m) {
  const int d = kCascadeFeatures;
  if (lower.size() != static_cast<size_t>(d * (d + 1) / 2)) return false;
  m->resize(d, d);
  size_t i = 0;
  for (int c = 0; c < d; ++c) {
    for (int r = c; r < d; ++r) {
      if (!std::isfinite(lower[i])) return false;
      (*m)(r, c) = (*m)(c, r) = lower[i++];
    }
  }
  return true;
}

}  // namespace

CascadePolicy::Key CascadePolicy::KeyOf(const std::string& from, const std::string& action) {
  // Accepting depends on who answered; escalating to an arm is shared by every arm it follows
  // (the context carries the answer's signals), so each model sees far more data.
  return action.empty() ? Key{from, std::string()} : Key{std::string(), action};
}

std::optional<double> CascadeChain::total_cost_usd() const {
  double sum = 0;
  for (const auto& c : costs) {
    if (!c) return std::nullopt;
    sum += *c;
  }
  return sum;
}

CascadeChain ChainOf(const std::vector<Attempt>& attempts,
                     std::optional<double> feedback_cost_usd) {
  CascadeChain chain;
  for (const Attempt& a : attempts) {
    chain.arms.push_back(a.arm);
    chain.costs.push_back(a.cost_usd);
  }
  if (!attempts.empty() && !attempts.back().next_arm.empty()) {
    // Escalated to, answered, never reported: Feedback is about it.
    chain.arms.push_back(attempts.back().next_arm);
    chain.costs.push_back(feedback_cost_usd);
  } else if (!chain.costs.empty() && feedback_cost_usd) {
    chain.costs.back() = feedback_cost_usd;
  }
  return chain;
}

std::vector<double> CascadeContext(const Attempt& attempt, int position, int max_attempts,
                                   double current_quality, const CascadeArm* action,
                                   double cost_scale_usd) {
  std::vector<double> z(kCascadeFeatures, 0.0);
  z[kBias] = 1.0;
  if (attempt.verifier_score) {
    z[1] = *attempt.verifier_score;
    z[2] = 1.0;
  }
  if (attempt.confidence) {
    z[3] = *attempt.confidence;
    z[4] = 1.0;
  }
  z[5] = static_cast<double>(position) / std::max(1, max_attempts);
  z[6] = current_quality;
  z[kActionQuality] = action == nullptr ? current_quality : action->quality;
  z[kActionCost] = action == nullptr ? 0.0 : action->cost_usd / cost_scale_usd;
  return z;
}

void CascadePolicy::Ridge::Refresh() {
  a_inv = a.ldlt().solve(Eigen::MatrixXd::Identity(a.rows(), a.cols()));
  theta = a_inv * b;
}

void CascadePolicy::Ridge::Update(const Eigen::VectorXd& z, double y) {
  a.noalias() += z * z.transpose();
  b.noalias() += y * z;
  ++observations;
  Refresh();
}

CascadePolicy::Model CascadePolicy::Prior() const {
  const int d = kCascadeFeatures;
  Model m;
  for (Ridge* r : {&m.quality, &m.cost}) {
    r->a = spec_.lambda * Eigen::MatrixXd::Identity(d, d);
    r->b = Eigen::VectorXd::Zero(d);
  }
  // Before any feedback the cascade believes the router: the answer is as good as the router
  // forecasts for the arm that gives it, and the cost to come is the next arm's forecast.
  m.quality.b(kActionQuality) = spec_.lambda;
  m.cost.b(kActionCost) = spec_.lambda;
  m.quality.Refresh();
  m.cost.Refresh();
  return m;
}

CascadePolicy::CascadePolicy(const CascadeSpec& spec, double cost_scale_usd)
    : spec_(spec), cost_scale_usd_(cost_scale_usd > 0 ? cost_scale_usd : 1.0), prior_(Prior()) {}

const CascadePolicy::Model& CascadePolicy::Find(const Key& key) const {
  auto it = models_.find(key);
  return it == models_.end() ? prior_ : it->second;
}

CascadePolicy::Model& CascadePolicy::FindOrAdd(const Key& key) {
  auto it = models_.find(key);
  if (it == models_.end()) it = models_.emplace(key, prior_).first;
  return it->second;
}

EscalationChoice CascadePolicy::Choose(const EscalationInput& in, uint64_t seed) const {
  const int max_attempts = static_cast<int>(spec_.max_attempts);
  EscalationChoice choice;
  if (in.forced || in.untried.empty()) {
    choice.forced = true;
    choice.context = CascadeContext(in.attempt, in.position, max_attempts, in.current_quality,
                                    nullptr, cost_scale_usd_);
    return choice;
  }
  // Action 0 is accept, action k the (k-1)-th untried arm.
  const size_t n = in.untried.size() + 1;
  std::vector<std::vector<double>> contexts(n);
  std::vector<double> scores(n);
  absl::ReaderMutexLock lock(&mu_);
  for (size_t k = 0; k < n; ++k) {
    const CascadeArm* action = k == 0 ? nullptr : &in.untried[k - 1];
    contexts[k] = CascadeContext(in.attempt, in.position, max_attempts, in.current_quality,
                                 action, cost_scale_usd_);
    const Eigen::Map<const Eigen::VectorXd> z(contexts[k].data(), kCascadeFeatures);
    const Model& m = Find(KeyOf(in.attempt.arm, action == nullptr ? std::string() : action->id));
    const double sd = std::sqrt(std::max(0.0, z.dot(m.quality.a_inv * z)));
    double score = in.quality_weight * (m.quality.theta.dot(z) + spec_.alpha * sd);
    if (action != nullptr) score -= in.cost_weight * std::max(0.0, m.cost.theta.dot(z));
    scores[k] = score;
  }
  // The best score; ties go to the earlier action (accept first: it spends nothing).
  size_t best = 0;
  for (size_t k = 1; k < n; ++k) {
    if (scores[k] > scores[best]) best = k;
  }
  Rng rng(seed);
  size_t chosen = best;
  if (spec_.epsilon > 0 && rng.Uniform() < spec_.epsilon) {
    chosen = rng.UniformInt(n);
    choice.explored = chosen != best;
  }
  choice.propensity = (chosen == best ? 1.0 - spec_.epsilon : 0.0) + spec_.epsilon / n;
  choice.next_arm = chosen == 0 ? std::string() : in.untried[chosen - 1].id;
  choice.context = std::move(contexts[chosen]);
  return choice;
}

void CascadePolicy::CountAttempt(const Attempt& attempt) {
  absl::MutexLock lock(&mu_);
  ++answered_[attempt.arm];
  if (attempt.next_arm.empty()) {
    ++accepted_[attempt.arm];
  } else {
    ++escalations_[{attempt.arm, attempt.next_arm}];
  }
}

void CascadePolicy::Learn(const CascadeClose& close) {
  if (close.attempts.empty()) return;
  const CascadeChain chain = ChainOf(close.attempts, close.feedback_cost_usd);
  absl::MutexLock lock(&mu_);
  for (size_t k = 0; k < close.attempts.size(); ++k) {
    const Attempt& a = close.attempts[k];
    if (a.context.size() != static_cast<size_t>(kCascadeFeatures)) continue;
    const Eigen::Map<const Eigen::VectorXd> z(a.context.data(), kCascadeFeatures);
    Model& m = FindOrAdd(KeyOf(a.arm, a.next_arm));
    if (close.quality) m.quality.Update(z, *close.quality);
    if (a.next_arm.empty()) continue;
    // The cost that followed this escalation: every later arm tried.
    double to_come = 0;
    bool known = true;
    for (size_t u = k + 1; u < chain.costs.size(); ++u) {
      known = known && chain.costs[u].has_value();
      if (known) to_come += *chain.costs[u];
    }
    if (known) m.cost.Update(z, to_come / cost_scale_usd_);
  }
  ++totals_.closed;
  totals_.arms_tried += chain.arms.size();
  double rejected_cost = 0;
  for (size_t u = 0; u < chain.costs.size(); ++u) {
    const double c = chain.costs[u].value_or(0);
    totals_.cost_usd += c;
    if (u + 1 < chain.costs.size()) rejected_cost += c;
  }
  totals_.escalation_cost_usd += rejected_cost;
  if (close.quality && !close.arm_qualities.empty()) {
    double best = 0;
    for (const auto& [arm, q] : close.arm_qualities) best = std::max(best, q);
    totals_.regret += best - *close.quality + close.cost_weight * rejected_cost / cost_scale_usd_;
    ++totals_.regret_events;
  }
}

CascadeCounters CascadePolicy::counters() const {
  absl::MutexLock lock(&mu_);
  CascadeCounters c = totals_;
  c.answered.assign(answered_.begin(), answered_.end());
  c.accepted.assign(accepted_.begin(), accepted_.end());
  c.escalations.assign(escalations_.begin(), escalations_.end());
  return c;
}

CascadeState CascadePolicy::Export() const {
  CascadeState s;
  s.counters = counters();
  absl::MutexLock lock(&mu_);
  for (const auto& [key, m] : models_) {
    CascadeModelState ms;
    ms.from_arm = key.first;
    ms.action = key.second;
    ms.quality_a_lower = Lower(m.quality.a);
    ms.quality_b.assign(m.quality.b.data(), m.quality.b.data() + m.quality.b.size());
    ms.quality_observations = m.quality.observations;
    ms.cost_a_lower = Lower(m.cost.a);
    ms.cost_b.assign(m.cost.b.data(), m.cost.b.data() + m.cost.b.size());
    ms.cost_observations = m.cost.observations;
    s.models.push_back(std::move(ms));
  }
  return s;
}

absl::Status CascadePolicy::Import(const CascadeState& s) {
  std::map<Key, Model> models;
  for (const CascadeModelState& ms : s.models) {
    Model m;
    const std::pair<Ridge*, std::pair<const std::vector<double>*, const std::vector<double>*>>
        parts[] = {{&m.quality, {&ms.quality_a_lower, &ms.quality_b}},
                   {&m.cost, {&ms.cost_a_lower, &ms.cost_b}}};
    for (const auto& [ridge, data] : parts) {
      const std::vector<double>& b = *data.second;
      bool ok = FromLower(*data.first, &ridge->a) && b.size() == kCascadeFeatures &&
                std::all_of(b.begin(), b.end(), [](double v) { return std::isfinite(v); });
      if (ok) {
        ridge->b = Eigen::Map<const Eigen::VectorXd>(b.data(), kCascadeFeatures);
        ok = ridge->a.ldlt().info() == Eigen::Success && ridge->a.ldlt().isPositive();
      }
      if (!ok) {
        return absl::DataLossError(absl::StrFormat(
            "cascade model ('%s' -> '%s') is malformed: expected a positive-definite %dx%d "
            "matrix and %d finite values",
            ms.from_arm, ms.action.empty() ? "accept" : ms.action, kCascadeFeatures,
            kCascadeFeatures, kCascadeFeatures));
      }
      ridge->Refresh();
    }
    m.quality.observations = ms.quality_observations;
    m.cost.observations = ms.cost_observations;
    models.emplace(Key{ms.from_arm, ms.action}, std::move(m));
  }
  absl::MutexLock lock(&mu_);
  models_ = std::move(models);
  answered_ = std::map<std::string, uint64_t>(s.counters.answered.begin(),
                                              s.counters.answered.end());
  accepted_ = std::map<std::string, uint64_t>(s.counters.accepted.begin(),
                                              s.counters.accepted.end());
  escalations_ = std::map<Key, uint64_t>(s.counters.escalations.begin(),
                                         s.counters.escalations.end());
  totals_ = s.counters;
  totals_.answered.clear();
  totals_.accepted.clear();
  totals_.escalations.clear();
  return absl::OkStatus();
}

}  // namespace router
