#include "core/ridge_model.h"

#include <cmath>

#include "core/symmetric_kernels.h"

namespace router {

RidgeModel::RidgeModel(const Eigen::VectorXd& prior_mean, double lambda, bool fast_variance)
    : prior_mean_(prior_mean),
      lambda_(lambda),
      fast_variance_(fast_variance),
      b_(lambda * prior_mean),
      theta_(prior_mean),
      x_scaled_(prior_mean.size()),
      u_(prior_mean.size()),
      v_(prior_mean.size()) {
  SetAInverse(Eigen::MatrixXd::Identity(prior_mean.size(), prior_mean.size()) / lambda);
}

void RidgeModel::SetAInverse(const Eigen::MatrixXd& full) {
  const int d = static_cast<int>(full.rows());
  a_inv_.resize(static_cast<Eigen::Index>(PackedSize(d)));
  for (int j = 0; j < d; ++j) {
    a_inv_.segment(static_cast<Eigen::Index>(PackedColumnStart(d, j)), d - j) =
        full.col(j).tail(d - j);
  }
  RefreshFastCopy();
}

Eigen::MatrixXd RidgeModel::FullAInverse() const {
  const int d = dim();
  Eigen::MatrixXd full(d, d);
  for (int j = 0; j < d; ++j) {
    const size_t start = PackedColumnStart(d, j);
    for (int i = j; i < d; ++i) {
      full(i, j) = a_inv_(static_cast<Eigen::Index>(start + (i - j)));
      full(j, i) = full(i, j);
    }
  }
  return full;
}

void RidgeModel::RefreshFastCopy() {
  if (!fast_variance_) return;
  a_inv_f_.resize(static_cast<Eigen::Index>(PanelSize(dim())));
  PackedToPanels(a_inv_.data(), dim(), a_inv_f_.data());
}

double RidgeModel::Variance(const Eigen::Ref<const Eigen::VectorXd>& x) const {
  if (x.innerStride() == 1) {
    return inv_scale_ * PackedSymmetricQuadraticForm(a_inv_.data(), x.data(), dim());
  }
  const Eigen::VectorXd copy = x;
  return inv_scale_ * PackedSymmetricQuadraticForm(a_inv_.data(), copy.data(), dim());
}

double RidgeModel::Variance(const Eigen::Ref<const Eigen::VectorXd>& x,
                            Eigen::VectorXf& x_scratch, Eigen::VectorXf& /*product_scratch*/) const {
  if (!fast_variance_) return Variance(x);
  const int d = dim();
  if (x_scratch.size() != PanelDim(d)) x_scratch = Eigen::VectorXf::Zero(PanelDim(d));
  x_scratch.head(d) = x.cast<float>();
  return inv_scale_ * static_cast<double>(
                          PanelSymmetricQuadraticForm(a_inv_f_.data(), x_scratch.data(), d));
}

void RidgeModel::Update(const Eigen::Ref<const Eigen::VectorXd>& x, double y, double gamma,
                        double weight) {
  if (!(weight > 0)) return;
  const bool forgetting = gamma < 1.0;
  if (forgetting) {
    if (a_.size() == 0) a_ = lambda_ * Eigen::MatrixXd::Identity(dim(), dim());
    // (γA)⁻¹ = A⁻¹/γ and θ = (γA)⁻¹(γb) is unchanged. Only the scalars move: scaling two d×d
    // matrices on every update would cost more than the Sherman–Morrison step itself.
    inv_scale_ /= gamma;
    a_scale_ *= gamma;
    b_ *= gamma;
    prior_weight_ *= gamma;
  }
  // Weighted observation = unweighted (√w·x, √w·y); the residual scales by √w too.
  const double root_w = std::sqrt(weight);
  x_scaled_.noalias() = root_w * x;
  PackedSymmetricMultiply(a_inv_.data(), x_scaled_.data(), dim(), u_.data());
  u_ *= inv_scale_;  // the true A⁻¹·√w·x
  const double denom = 1.0 + x_scaled_.dot(u_);
  const double residual = root_w * (y - theta_.dot(x));
  // v·vᵀ with v = u/√(denom·s): the stored (packed) matrix is symmetric by construction, and the
  // float copy is refreshed in the same pass as the update.
  v_.noalias() = u_ / std::sqrt(denom * inv_scale_);
  PackedSymmetricRankOneDowndate(a_inv_.data(), v_.data(), dim(),
                                 fast_variance_ ? a_inv_f_.data() : nullptr);
  theta_.noalias() += u_ * (residual / denom);
  b_.noalias() += (weight * y) * x;
  ++observations_;
  if (forgetting) {
    a_.selfadjointView<Eigen::Lower>().rankUpdate(x_scaled_, 1.0 / a_scale_);
    if (++updates_since_restore_ >= dim()) RestorePrior();
  }
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
  Eigen::MatrixXd a_inv = full.llt().solve(Eigen::MatrixXd::Identity(dim(), dim()));
  // Exactly symmetric again, so rounding never accumulates into an asymmetric A⁻¹.
  a_inv = 0.5 * (a_inv + a_inv.transpose()).eval();
  inv_scale_ = 1.0;
  SetAInverse(a_inv);
  PackedSymmetricMultiply(a_inv_.data(), b_.data(), dim(), theta_.data());
}

}  // namespace router
