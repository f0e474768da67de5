#include "core/ridge_model.h"

namespace router {

RidgeModel::RidgeModel(const Eigen::VectorXd& prior_mean, double lambda)
    : prior_mean_(prior_mean),
      lambda_(lambda),
      a_inv_(Eigen::MatrixXd::Identity(prior_mean.size(), prior_mean.size()) / lambda),
      b_(lambda * prior_mean),
      theta_(prior_mean) {}

double RidgeModel::Variance(const Eigen::VectorXd& x) const {
  return x.dot(a_inv_.selfadjointView<Eigen::Lower>() * x);
}

void RidgeModel::Update(const Eigen::VectorXd& x, double y, double gamma) {
  const bool forgetting = gamma < 1.0;
  if (forgetting) {
    if (a_.size() == 0) a_ = lambda_ * Eigen::MatrixXd::Identity(dim(), dim());
    // (γA)⁻¹ = A⁻¹/γ and θ = (γA)⁻¹(γb) is unchanged.
    a_inv_ /= gamma;
    b_ *= gamma;
    a_ *= gamma;
    prior_weight_ *= gamma;
  }
  const Eigen::VectorXd u = a_inv_.selfadjointView<Eigen::Lower>() * x;
  const double denom = 1.0 + x.dot(u);
  const double residual = y - theta_.dot(x);
  a_inv_.selfadjointView<Eigen::Lower>().rankUpdate(u, -1.0 / denom);
  theta_ += u * (residual / denom);
  b_ += y * x;
  ++observations_;
  if (forgetting) {
    a_.selfadjointView<Eigen::Lower>().rankUpdate(x, 1.0);
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
