#include "core/arm_model.h"

#include <algorithm>
#include <cmath>

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
                                const Eigen::VectorXf* quality_prior_shift,
                                Eigen::VectorXf& x_scratch,
                                Eigen::VectorXf& product_scratch) const {
  ArmPrediction p;
  double variance;
  if (quality_prior_shift != nullptr) {
    quality_.ShiftedMeanVariance(x, *quality_prior_shift, x_scratch, product_scratch, &p.quality,
                                 &variance);
  } else {
    p.quality = quality_.Mean(x);
    variance = quality_.Variance(x, x_scratch, product_scratch);
  }
  p.quality_sd = std::sqrt(std::max(0.0, variance));
  p.cost_usd = std::max(0.0, cost_.Mean(x));
  p.latency_ms = std::max(0.0, latency_.Mean(x));
  p.energy_j = std::max(0.0, energy_.Mean(x));
  return p;
}

void ArmModel::Learn(const Eigen::Ref<const Eigen::VectorXd>& x, const Signals& signals,
                     double gamma, const QualitySourceWeights& sources, LearnOutcome* out) {
  double quality_total = 0;
  auto observe_quality = [&](double y, double weight) {
    quality_.Update(x, y, gamma, weight);
    ++stats_.quality_observations;
    stats_.quality_sum += y;
    quality_total += y;
    ++out->quality_observations;
  };
  if (signals.judge_score) observe_quality(*signals.judge_score, sources.judge);
  if (signals.thumbs != ThumbsSignal::kNone) {
    observe_quality(signals.thumbs == ThumbsSignal::kUp ? 1.0 : 0.0, sources.thumbs);
  }
  if (out->quality_observations > 0) out->quality = quality_total / out->quality_observations;

  std::optional<double> cost = signals.cost_usd;
  if (!cost && (signals.input_tokens || signals.output_tokens)) {
    // Tokens without a bill: price them with the arm's list prices.
    cost = (stats_.spec.input_price_per_mtok * signals.input_tokens.value_or(0) +
            stats_.spec.output_price_per_mtok * signals.output_tokens.value_or(0)) /
           1e6;
  }
  if (cost) {
    cost_.Update(x, *cost, gamma);
    ++stats_.cost_observations;
    stats_.cost_sum_usd += *cost;
    out->cost_usd = cost;
  }
  if (signals.latency_ms) {
    latency_.Update(x, *signals.latency_ms, gamma);
    ++stats_.latency_observations;
    stats_.latency_sum_ms += *signals.latency_ms;
    out->latency_ms = signals.latency_ms;
  }
  if (signals.energy_j) {
    energy_.Update(x, *signals.energy_j, gamma);
    ++stats_.energy_observations;
    stats_.energy_sum_j += *signals.energy_j;
    out->energy_j = signals.energy_j;
  }
}

void ArmModel::LearnQuality(const Eigen::Ref<const Eigen::VectorXd>& x, double y, double gamma,
                            double weight) {
  quality_.Update(x, y, gamma, weight);
  ++stats_.quality_observations;
  stats_.quality_sum += y;
}

ArmStats ArmModel::Stats() const {
  ArmStats s = stats_;
  s.prior_quality = quality_.theta()(0);
  return s;
}

}  // namespace router
