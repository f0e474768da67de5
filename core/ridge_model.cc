#include "core/ridge_model.h"

#include <cmath>

#include "absl/strings/str_format.h"

namespace router {

RidgeModel::RidgeModel(const Eigen::VectorXd& prior_mean, double lambda, bool fast_variance)
    : prior_mean_(prior_mean),
      lambda_(lambda),
      fast_variance_(fast_variance),
      a_inv_(Eigen::MatrixXd::Identity(prior_mean.size(), prior_mean.size()) / lambda),
      b_(lambda * prior_mean),
      theta_(prior_mean),
      x_scaled_(prior_mean.size()),
      u_(prior_mean.size()),
      v_(prior_mean.size()),
      b_next_(prior_mean.size()) {
  RefreshFastCopy();
}

void RidgeModel::RefreshFastCopy() {
  if (fast_variance_) a_inv_f_ = a_inv_.cast<float>();
}

double RidgeModel::Variance(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  return inv_scale_ * x.dot(a_inv_ * x);
}

double RidgeModel::Variance(const Eigen::Ref<const Eigen::VectorXd>& x,
                            Eigen::VectorXf& x_scratch, Eigen::VectorXf& product_scratch) const {
  if (!fast_variance_) return Variance(x);
  x_scratch = x.cast<float>();
  product_scratch.noalias() = a_inv_f_ * x_scratch;
  return inv_scale_ * static_cast<double>(x_scratch.dot(product_scratch));
}

absl::Status RidgeModel::Update(const Eigen::Ref<const Eigen::VectorXd>& x, double y,
                                double gamma, double weight) {
  if (!std::isfinite(y) || !std::isfinite(weight) || !x.allFinite()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ridge update refused: observation y = %g, weight %g or x is not finite", y, weight));
  }
  if (!(weight > 0)) return absl::OkStatus();
  const bool forgetting = gamma < 1.0;
  const double next_inv_scale = forgetting ? inv_scale_ / gamma : inv_scale_;
  const double b_decay = forgetting ? gamma : 1.0;
  // Weighted observation = unweighted (√w·x, √w·y); the residual scales by √w too.
  const double root_w = std::sqrt(weight);
  x_scaled_.noalias() = root_w * x;
  u_.noalias() = a_inv_ * x_scaled_;
  u_ *= next_inv_scale;  // the true A⁻¹·√w·x
  const double denom = 1.0 + x_scaled_.dot(u_);
  const double residual = root_w * (y - theta_.dot(x));
  v_.noalias() = u_ / std::sqrt(denom * next_inv_scale);
  b_next_.noalias() = b_decay * b_;
  b_next_.noalias() += (weight * y) * x;
  // Everything the step writes is checked before any of it is kept (O(d), against the O(d²)
  // step): a refused step leaves the model exactly as it was.
  const double step = residual / denom;
  if (!std::isfinite(next_inv_scale) || !std::isfinite(denom) || !(denom > 0) ||
      !std::isfinite(step) || !u_.allFinite() || !v_.allFinite() || !b_next_.allFinite() ||
      !(u_ * step + theta_).allFinite() ||
      !std::isfinite(v_.cwiseAbs2().maxCoeff() + a_inv_.diagonal().cwiseAbs().maxCoeff())) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ridge update refused: observation y = %g would make the model non-finite", y));
  }
  if (forgetting) {
    if (a_.size() == 0) a_ = lambda_ * Eigen::MatrixXd::Identity(dim(), dim());
    // (γA)⁻¹ = A⁻¹/γ and θ = (γA)⁻¹(γb) is unchanged. Only the scalars move: scaling two d×d
    // matrices on every update would cost more than the Sherman–Morrison step itself.
    inv_scale_ = next_inv_scale;
    a_scale_ *= gamma;
    prior_weight_ *= gamma;
  }
  // v·vᵀ with v = u/√(denom·s) instead of (u/(denom·s))·uᵀ: each product v_i·v_j is the same
  // number as v_j·v_i, so the stored matrix stays exactly symmetric and a checkpoint of its lower
  // triangle restores it bit for bit.
  a_inv_.noalias() -= v_ * v_.transpose();
  theta_.noalias() += u_ * step;
  b_.swap(b_next_);
  ++observations_;
  if (forgetting) {
    a_.selfadjointView<Eigen::Lower>().rankUpdate(x_scaled_, 1.0 / a_scale_);
    if (++updates_since_restore_ >= dim()) RestorePrior();
  }
  RefreshFastCopy();
  return absl::OkStatus();
}

void RidgeModel::RestorePrior() {
  const double missing = lambda_ * (1.0 - prior_weight_);
  a_ *= a_scale_;
  a_scale_ = 1.0;
  a_.diagonal().array() += missing;
  b_ += missing * prior_mean_;
  prior_weight_ = 1.0;
  updates_since_restore_ = 0;
  const Eigen::MatrixXd full = a_.selfadjointView<Eigen::Lower>();
  a_inv_ = full.llt().solve(Eigen::MatrixXd::Identity(dim(), dim()));
  // Exactly symmetric again, so rounding never accumulates into an asymmetric A⁻¹.
  a_inv_ = 0.5 * (a_inv_ + a_inv_.transpose()).eval();
  inv_scale_ = 1.0;
  theta_ = a_inv_ * b_;
}

}  // namespace router
