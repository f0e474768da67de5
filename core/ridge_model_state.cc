// RidgeModel checkpoint export / import, kept apart from the update math in ridge_model.cc.

#include <cmath>

#include "absl/strings/str_format.h"
#include "core/ridge_model.h"

namespace router {
namespace {

std::vector<double> PackLower(const Eigen::MatrixXd& m) {
  std::vector<double> out;
  out.reserve(m.rows() * (m.rows() + 1) / 2);
  for (Eigen::Index j = 0; j < m.cols(); ++j) {
    for (Eigen::Index i = j; i < m.rows(); ++i) out.push_back(m(i, j));
  }
  return out;
}

// The upper triangle is filled by symmetry: the model never reads it, but a full matrix keeps
// AInverse() and the positive-definiteness check simple.
Eigen::MatrixXd UnpackLower(const std::vector<double>& packed, int dim) {
  Eigen::MatrixXd m(dim, dim);
  size_t k = 0;
  for (int j = 0; j < dim; ++j) {
    for (int i = j; i < dim; ++i) {
      m(i, j) = packed[k];
      m(j, i) = packed[k];
      ++k;
    }
  }
  return m;
}

bool AllFinite(const std::vector<double>& v) {
  for (double x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

Eigen::VectorXd ToVector(const std::vector<double>& v) {
  return Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(v.size()));
}

}  // namespace

RidgeState RidgeModel::ExportState() const {
  RidgeState s;
  s.prior_mean.assign(prior_mean_.data(), prior_mean_.data() + prior_mean_.size());
  s.lambda = lambda_;
  s.a_inv_lower.assign(a_inv_.data(), a_inv_.data() + a_inv_.size());
  s.inv_scale = inv_scale_;
  s.b.assign(b_.data(), b_.data() + b_.size());
  s.theta.assign(theta_.data(), theta_.data() + theta_.size());
  if (a_.size() != 0) s.a_lower = PackLower(a_);
  s.a_scale = a_scale_;
  s.prior_weight = prior_weight_;
  s.updates_since_restore = updates_since_restore_;
  s.observations = observations_;
  return s;
}

absl::Status RidgeModel::ImportState(const RidgeState& s) {
  const int d = dim();
  const size_t packed = static_cast<size_t>(d) * (d + 1) / 2;
  if (static_cast<int>(s.prior_mean.size()) != d || static_cast<int>(s.b.size()) != d ||
      static_cast<int>(s.theta.size()) != d || s.a_inv_lower.size() != packed ||
      (!s.a_lower.empty() && s.a_lower.size() != packed)) {
    return absl::DataLossError(absl::StrFormat(
        "state has the wrong size for dimension %d (prior %d, b %d, theta %d, A⁻¹ %d, A %d "
        "values)",
        d, s.prior_mean.size(), s.b.size(), s.theta.size(), s.a_inv_lower.size(),
        s.a_lower.size()));
  }
  if (!std::isfinite(s.lambda) || !AllFinite(s.prior_mean) || !AllFinite(s.a_inv_lower) ||
      !AllFinite(s.b) || !AllFinite(s.theta) || !AllFinite(s.a_lower) ||
      !std::isfinite(s.prior_weight) || !(s.inv_scale > 0 && std::isfinite(s.inv_scale)) ||
      !(s.a_scale > 0 && std::isfinite(s.a_scale))) {
    return absl::DataLossError("state holds a non-finite number (NaN or infinity)");
  }
  if (!(s.prior_weight > 0 && s.prior_weight <= 1) || s.updates_since_restore < 0 ||
      s.updates_since_restore >= d) {
    return absl::DataLossError(absl::StrFormat(
        "forgetting bookkeeping out of range: prior weight %g, %d updates since the last restore",
        s.prior_weight, s.updates_since_restore));
  }
  if (s.lambda != lambda_ || ToVector(s.prior_mean) != prior_mean_) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "state was learned with another prior (lambda %g, prior mean at bias %g; now lambda %g, "
        "prior mean at bias %g, or another prior elsewhere)",
        s.lambda, s.prior_mean[0], lambda_, prior_mean_(0)));
  }
  const Eigen::MatrixXd a_inv = UnpackLower(s.a_inv_lower, d);
  if (a_inv.llt().info() != Eigen::Success) {
    return absl::DataLossError("A⁻¹ is not positive definite");
  }
  Eigen::MatrixXd a;
  if (!s.a_lower.empty()) {
    a = UnpackLower(s.a_lower, d);
    if (a.llt().info() != Eigen::Success) return absl::DataLossError("A is not positive definite");
  }
  a_inv_ = ToVector(s.a_inv_lower);  // the packed layout the model keeps (symmetric_kernels.h)
  RefreshFastCopy();
  b_ = ToVector(s.b);
  theta_ = ToVector(s.theta);
  a_ = std::move(a);
  inv_scale_ = s.inv_scale;
  a_scale_ = s.a_scale;
  prior_weight_ = s.prior_weight;
  updates_since_restore_ = s.updates_since_restore;
  observations_ = s.observations;
  return absl::OkStatus();
}

}  // namespace router
