#include "core/arm_model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"
#include "core/status_macros.h"

namespace router {
namespace {

Eigen::VectorXd BiasPrior(int dim, double value) {
  Eigen::VectorXd m = Eigen::VectorXd::Zero(dim);
  m(0) = value;
  return m;
}

}  // namespace

ArmModel::ArmModel(const ArmSpec& spec, int dim, double lambda, double prior_cost_usd)
    : stats_{spec},
      quality_(BiasPrior(dim, spec.quality_prior), lambda, /*fast_variance=*/true),
      cost_(BiasPrior(dim, prior_cost_usd), lambda),
      latency_(BiasPrior(dim, spec.latency_prior_ms.value_or(0.0)), lambda),
      energy_(BiasPrior(dim, spec.energy_prior_j.value_or(0.0)), lambda) {}

ArmPrediction ArmModel::Predict(const Eigen::Ref<const Eigen::VectorXd>& x,
                                Eigen::VectorXf& x_scratch,
                                Eigen::VectorXf& product_scratch) const {
  ArmPrediction p;
  p.quality = quality_.Mean(x);
  p.quality_sd =
      std::sqrt(std::max(0.0, quality_.Variance(x, x_scratch, product_scratch)));
  p.cost_usd = std::max(0.0, cost_.Mean(x));
  p.latency_ms = std::max(0.0, latency_.Mean(x));
  p.energy_j = std::max(0.0, energy_.Mean(x));
  return p;
}

absl::Status ArmModel::Learn(const Eigen::Ref<const Eigen::VectorXd>& x, const Signals& signals,
                             double gamma, const QualitySourceWeights& sources,
                             LearnOutcome* out) {
  std::optional<double> cost = signals.cost_usd;
  if (!cost && (signals.input_tokens || signals.output_tokens)) {
    // Tokens without a bill: price them with the arm's list prices.
    cost = (stats_.spec.input_price_per_mtok * signals.input_tokens.value_or(0) +
            stats_.spec.output_price_per_mtok * signals.output_tokens.value_or(0)) /
           1e6;
  }
  // Refuse the whole step before anything moves if a value or a running sum would not be finite.
  const std::pair<const char*, double> sums[] = {
      {"judge_score", stats_.quality_sum + signals.judge_score.value_or(0)},
      {"cost", stats_.cost_sum_usd + cost.value_or(0)},
      {"latency_ms", stats_.latency_sum_ms + signals.latency_ms.value_or(0)},
      {"energy_j", stats_.energy_sum_j + signals.energy_j.value_or(0)}};
  for (const auto& [name, sum] : sums) {
    if (!std::isfinite(sum)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "arm '%s': learning this %s would make its running total non-finite; refused",
          stats_.spec.id, name));
    }
  }

  double quality_total = 0;
  auto observe_quality = [&](double y, double weight) -> absl::Status {
    RETURN_IF_ERROR(quality_.Update(x, y, gamma, weight));
    ++stats_.quality_observations;
    stats_.quality_sum += y;
    quality_total += y;
    ++out->quality_observations;
    return absl::OkStatus();
  };
  if (signals.judge_score) RETURN_IF_ERROR(observe_quality(*signals.judge_score, sources.judge));
  if (signals.thumbs != ThumbsSignal::kNone) {
    RETURN_IF_ERROR(
        observe_quality(signals.thumbs == ThumbsSignal::kUp ? 1.0 : 0.0, sources.thumbs));
  }
  if (out->quality_observations > 0) out->quality = quality_total / out->quality_observations;

  if (cost) {
    RETURN_IF_ERROR(cost_.Update(x, *cost, gamma));
    ++stats_.cost_observations;
    stats_.cost_sum_usd += *cost;
    out->cost_usd = cost;
  }
  if (signals.latency_ms) {
    RETURN_IF_ERROR(latency_.Update(x, *signals.latency_ms, gamma));
    ++stats_.latency_observations;
    stats_.latency_sum_ms += *signals.latency_ms;
    out->latency_ms = signals.latency_ms;
  }
  if (signals.energy_j) {
    RETURN_IF_ERROR(energy_.Update(x, *signals.energy_j, gamma));
    ++stats_.energy_observations;
    stats_.energy_sum_j += *signals.energy_j;
    out->energy_j = signals.energy_j;
  }
  return absl::OkStatus();
}

ArmStats ArmModel::Stats() const {
  ArmStats s = stats_;
  s.prior_quality = quality_.theta()(0);
  return s;
}

}  // namespace router
