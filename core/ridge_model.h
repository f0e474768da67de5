#ifndef BANDIT_ROUTER_CORE_RIDGE_MODEL_H_
#define BANDIT_ROUTER_CORE_RIDGE_MODEL_H_

#include <cstdint>

#include "Eigen/Dense"
#include "absl/status/status.h"
#include "core/model_state.h"

namespace router {

// Online ridge regression y ≈ θᵀx with a Gaussian prior θ ~ N(m, (λ)⁻¹ I):
//   A = λI + Σ γ^(t-s) x xᵀ,  b = λm + Σ γ^(t-s) y x,  θ = A⁻¹b.
// A⁻¹ and θ are kept up to date by Sherman–Morrison / recursive least squares, O(d²) per update,
// so nothing on the request path ever factorises a matrix.
//
// Forgetting (γ < 1) would also erode the prior, letting A⁻¹ blow up along directions no recent
// context excites. So with γ < 1 the model also keeps A, and every d updates restores the prior
// to full strength and recomputes A⁻¹ exactly (O(d³) every d updates: O(d²) amortised).
class RidgeModel {
 public:
  // prior_mean has length dim; lambda > 0.
  RidgeModel(const Eigen::VectorXd& prior_mean, double lambda);

  // One observation (x, y). gamma in (0, 1].
  void Update(const Eigen::VectorXd& x, double y, double gamma = 1.0);

  double Mean(const Eigen::VectorXd& x) const { return theta_.dot(x); }
  // xᵀA⁻¹x: the posterior variance of the mean, in units of the noise variance.
  double Variance(const Eigen::VectorXd& x) const;

  int dim() const { return static_cast<int>(theta_.size()); }
  uint64_t observations() const { return observations_; }
  const Eigen::VectorXd& theta() const { return theta_; }
  // The full symmetric A⁻¹ (only its lower triangle is stored up to date).
  Eigen::MatrixXd AInverse() const { return a_inv_.selfadjointView<Eigen::Lower>(); }

  // Checkpoints (ridge_model_state.cc). ImportState(ExportState()) on a model built with the same
  // prior mean and lambda gives a model that predicts and updates bit-identically.
  RidgeState ExportState() const;
  // Replaces the learned state. FailedPrecondition if `state` was learned with another prior mean
  // or lambda (the configuration changed); DataLoss if it is malformed: wrong sizes, non-finite
  // values, A⁻¹ (or A) not positive definite. On error the model is unchanged.
  [[nodiscard]] absl::Status ImportState(const RidgeState& state);

 private:
  void RestorePrior();

  Eigen::VectorXd prior_mean_;
  double lambda_;
  Eigen::MatrixXd a_inv_;  // lower triangle authoritative
  Eigen::VectorXd b_;
  Eigen::VectorXd theta_;
  // Only with forgetting: A itself, and how much of the prior has decayed since the last restore.
  Eigen::MatrixXd a_;
  double prior_weight_ = 1.0;
  int updates_since_restore_ = 0;
  uint64_t observations_ = 0;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_RIDGE_MODEL_H_
