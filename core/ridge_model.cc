#include "core/ridge_model.h"

#include <cmath>

namespace router {

RidgeModel::RidgeModel(const Eigen::VectorXd& prior_mean, double lambda)
    : prior_mean_(prior_mean),
      lambda_(lambda),
      a_inv_(Eigen::MatrixXd::Identity(prior_mean.size(), prior_mean.size()) / lambda),
      b_(lambda * prior_mean),
      theta_(prior_mean),
      x_scaled_(prior_mean.size()),
      u_(prior_mean.size()) {}

double RidgeModel::Variance(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  Eigen::VectorXd scratch(dim());
  return Variance(x, scratch);
}

double RidgeModel::Variance(const Eigen::Ref<const Eigen::VectorXd>& x,
                            Eigen::VectorXd& scratch) const {
  scratch.resize(dim());
  scratch.noalias() = a_inv_.selfadjointView<Eigen::Lower>() * x;
  return x.dot(scratch);
}

void RidgeModel::Update(const Eigen::Ref<const Eigen::VectorXd>& x, double y, double gamma,
                        double weight) {
  if (!(weight > 0)) return;
  const bool forgetting = gamma < 1.0;
  if (forgetting) {
    if (a_.size() == 0) a_ = lambda_ * Eigen::MatrixXd::Identity(dim(), dim());
    // (γA)⁻¹ = A⁻¹/γ and θ = (γA)⁻¹(γb) is unchanged.
    a_inv_ /= gamma;
    b_ *= gamma;
    a_ *= gamma;
    prior_weight_ *= gamma;
  }
  // Weighted observation = unweighted (√w·x, √w·y); the residual scales by √w too.
  const double root_w = std::sqrt(weight);
  x_scaled_.noalias() = root_w * x;
  u_.noalias() = a_inv_.selfadjointView<Eigen::Lower>() * x_scaled_;
  const double denom = 1.0 + x_scaled_.dot(u_);
  const double residual = root_w * (y - theta_.dot(x));
  a_inv_.selfadjointView<Eigen::Lower>().rankUpdate(u_, -1.0 / denom);
  theta_.noalias() += u_ * (residual / denom);
  b_.noalias() += (weight * y) * x;
  ++observations_;
  if (forgetting) {
    a_.selfadjointView<Eigen::Lower>().rankUpdate(x_scaled_, 1.0);
    if (++updates_since_restore_ >= dim()) RestorePrior();
  }
}

void RidgeModel::RestorePrior() {
  const double missing = lambda_ * (1.0 - prior_weight_);
  a_.diagonal().array() += missing;
  b_ += missing * prior_mean_;
  prior_weight_ = 1.0;
  updates_since_restore_ = 0;
  const Eigen::MatrixXd full = a_.selfadjointView<Eigen::Lower>();
  a_inv_ = full.llt().solve(Eigen::MatrixXd::Identity(dim(), dim()));
  theta_ = a_inv_ * b_;
}

}  // namespace router
