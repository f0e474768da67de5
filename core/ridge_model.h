#ifndef BANDIT_ROUTER_CORE_RIDGE_MODEL_H_
#define BANDIT_ROUTER_CORE_RIDGE_MODEL_H_

#include <cstdint>

#include "Eigen/Dense"
#include "absl/status/status.h"
#include "core/model_state.h"

namespace router {

// Online weighted ridge regression y ≈ θᵀx with a Gaussian prior θ ~ N(m, (λ)⁻¹ I):
//   A = λI + Σ γ^(t-s) w_s x xᵀ,  b = λm + Σ γ^(t-s) w_s y x,  θ = A⁻¹b.
// A⁻¹ and θ are kept up to date by Sherman–Morrison / recursive least squares, O(d²) per update,
// so nothing on the request path ever factorises a matrix. A weighted observation (x, y, w) is the
// unweighted one (√w·x, √w·y).
//
// Forgetting (γ < 1) would also erode the prior, letting A⁻¹ blow up along directions no recent
// context excites. So with γ < 1 the model also keeps A, and every d updates restores the prior
// to full strength and recomputes A⁻¹ exactly (O(d³) every d updates: O(d²) amortised).
// Precisely: each update first decays A, b and the prior's share p (initially 1) by γ, then adds
// the observation; after every d-th update since the last restore, λ(1 − p)·I is added to A and
// λ(1 − p)·m to b, and p is reset to 1. Between restores the prior carries weight λ·p.
//
// With `fast_variance`, the model also keeps a single-precision copy of A⁻¹, refreshed in the same
// pass as every update, for Variance on the request path: float halves the bytes again and
// allows 8-wide AVX2 (core/symmetric_kernels.h), and xᵀA⁻¹x only scales an exploration bonus,
// where a relative error of 1e-5 is immaterial. The learning itself stays in double precision.
//
// A⁻¹ (and its float copy) is stored as its packed lower triangle, column by column
// (core/symmetric_kernels.h): half the memory of the full matrix, so at d = 512 the K arms of a
// router fit the cache far better, and each of the two passes of an update reads half the bytes.
class RidgeModel {
 public:
  // prior_mean has length dim; lambda > 0.
  RidgeModel(const Eigen::VectorXd& prior_mean, double lambda, bool fast_variance = false);

  // One observation (x, y) counted with weight `weight` >= 0 (0: no-op). gamma in (0, 1].
  void Update(const Eigen::Ref<const Eigen::VectorXd>& x, double y, double gamma = 1.0,
              double weight = 1.0);

  double Mean(const Eigen::Ref<const Eigen::VectorXd>& x) const { return theta_.dot(x); }
  // xᵀA⁻¹x: the posterior variance of the mean, in units of the noise variance.
  double Variance(const Eigen::Ref<const Eigen::VectorXd>& x) const;
  // The same without allocating (scratch vectors are resized once and reused by the caller;
  // x_scratch is padded with zeros to a multiple of 8); from the single-precision copy of A⁻¹
  // when the model keeps one.
  double Variance(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::VectorXf& x_scratch,
                  Eigen::VectorXf& product_scratch) const;

  int dim() const { return static_cast<int>(theta_.size()); }
  uint64_t observations() const { return observations_; }
  const Eigen::VectorXd& theta() const { return theta_; }
  // The full symmetric A⁻¹.
  Eigen::MatrixXd AInverse() const { return inv_scale_ * FullAInverse(); }

  // Checkpoints (ridge_model_state.cc). ImportState(ExportState()) on a model built with the same
  // prior mean and lambda gives a model that predicts and updates bit-identically.
  RidgeState ExportState() const;
  // Replaces the learned state. FailedPrecondition if `state` was learned with another prior mean
  // or lambda (the configuration changed); DataLoss if it is malformed: wrong sizes, non-finite
  // values, A⁻¹ (or A) not positive definite. On error the model is unchanged.
  [[nodiscard]] absl::Status ImportState(const RidgeState& state);

 private:
  void RestorePrior();
  void RefreshFastCopy();
  // a_inv_ from / to a full symmetric matrix.
  void SetAInverse(const Eigen::MatrixXd& full);
  Eigen::MatrixXd FullAInverse() const;

  Eigen::VectorXd prior_mean_;
  double lambda_;
  bool fast_variance_;
  // A⁻¹ = inv_scale_ · a_inv_, a_inv_ packed (lower triangle by columns, PackedColumnStart).
  // Forgetting only rescales the scalar; the next prior restore folds it back to 1.
  Eigen::VectorXd a_inv_;
  double inv_scale_ = 1.0;
  // Only with fast_variance: a_inv_ in single precision, in panels (symmetric_kernels.h).
  Eigen::VectorXf a_inv_f_;
  Eigen::VectorXd b_;
  Eigen::VectorXd theta_;
  Eigen::VectorXd x_scaled_;  // update scratch: √w·x
  Eigen::VectorXd u_;         // update scratch: A⁻¹·√w·x
  Eigen::VectorXd v_;         // update scratch: u_ scaled for the symmetric rank-1 update
  // Only with forgetting: A = a_scale_ · a_ (lower triangle), and how much of the prior has
  // decayed since the last restore.
  Eigen::MatrixXd a_;
  double a_scale_ = 1.0;
  double prior_weight_ = 1.0;
  int updates_since_restore_ = 0;
  uint64_t observations_ = 0;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_RIDGE_MODEL_H_
