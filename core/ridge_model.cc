#include "core/ridge_model.h"

#include <cmath>

namespace router {

RidgeModel::RidgeModel(const Eigen::VectorXd& prior_mean, double lambda, bool fast_variance)
    : prior_mean_(prior_mean),
      lambda_(lambda),
      fast_variance_(fast_variance),
      a_inv_(Eigen::MatrixXd::Identity(prior_mean.size(), prior_mean.size()) / lambda),
      b_(lambda * prior_mean),
      theta_(prior_mean),
      x_scaled_(prior_mean.size()),
      u_(prior_mean.size()) {
  RefreshFastCopy();
}

void RidgeModel::RefreshFastCopy() {
  if (fast_variance_) a_inv_f_ = a_inv_.cast<float>();
}

double RidgeModel::Variance(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  return x.dot(a_inv_ * x);
}

double RidgeModel::Variance(const Eigen::Ref<const Eigen::VectorXd>& x,
                            Eigen::VectorXf& x_scratch, Eigen::VectorXf& product_scratch) const {
  if (!fast_variance_) return Variance(x);
  x_scratch = x.cast<float>();
  product_scratch.noalias() = a_inv_f_ * x_scratch;
  return static_cast<double>(x_scratch.dot(product_scratch));
}

void RidgeModel::Update(const Eigen::Ref<const Eigen::VectorXd>& x, double y, double gamma,
                        double weight) {
  if (!(weight > 0)) return;
  const bool forgetting = gamma < 1.0;
  if (forgetting) {
    if (a_.size() == 0) a_ = lambda_ * Eigen::MatrixXd::Identity(dim(), dim());
    // (γA)⁻¹ = A⁻¹/γ and θ = (γA)⁻¹(γb) is unchanged. (A product: d² divisions cost more than
    // the whole Sherman–Morrison step.)
    a_inv_ *= 1.0 / gamma;
    b_ *= gamma;
    a_ *= gamma;
    prior_weight_ *= gamma;
  }
  // Weighted observation = unweighted (√w·x, √w·y); the residual scales by √w too.
  const double root_w = std::sqrt(weight);
  x_scaled_.noalias() = root_w * x;
  u_.noalias() = a_inv_ * x_scaled_;
  const double denom = 1.0 + x_scaled_.dot(u_);
  const double residual = root_w * (y - theta_.dot(x));
  a_inv_.noalias() -= (u_ / denom) * u_.transpose();
  theta_.noalias() += u_ * (residual / denom);
  b_.noalias() += (weight * y) * x;
  ++observations_;
  if (forgetting) {
    a_.selfadjointView<Eigen::Lower>().rankUpdate(x_scaled_, 1.0);
    if (++updates_since_restore_ >= dim()) RestorePrior();
  }
  RefreshFastCopy();
}

void RidgeModel::RestorePrior() {
  const double missing = lambda_ * (1.0 - prior_weight_);
  a_.diagonal().array() += missing;
  b_ += missing * prior_mean_;
  prior_weight_ = 1.0;
  updates_since_restore_ = 0;
  const Eigen::MatrixXd full = a_.selfadjointView<Eigen::Lower>();
  a_inv_ = full.llt().solve(Eigen::MatrixXd::Identity(dim(), dim()));
  // Exactly symmetric again, so rounding never accumulates into an asymmetric A⁻¹.
  a_inv_ = 0.5 * (a_inv_ + a_inv_.transpose()).eval();
  theta_ = a_inv_ * b_;
}

}  // namespace router
