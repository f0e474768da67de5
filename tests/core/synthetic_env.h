#ifndef BANDIT_ROUTER_TESTS_CORE_SYNTHETIC_ENV_H_
#define BANDIT_ROUTER_TESTS_CORE_SYNTHETIC_ENV_H_

// A synthetic contextual bandit with known parameters, driven through Router::DecideFeatures and
// Router::Learn exactly as the Engine drives a router (decide, then feed back), with every random
// draw seeded.

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "Eigen/Dense"
#include "absl/strings/str_cat.h"
#include "core/random.h"
#include "core/router.h"
#include "core/stable_hash.h"
#include "gtest/gtest.h"

namespace router::testing {

inline std::string ArmId(int a) { return absl::StrCat("a", a); }

// Contexts x = [1; u] with u uniform on the unit sphere of R^(d−1). Arm a's expected quality is
// θ_aᵀx = base_a + slope·v_aᵀu with v_a a random unit vector, so it lies in base_a ± slope.
// Observed quality is Bernoulli(θ_aᵀx) (a thumbs up or down), or θ_aᵀx + N(0, noise²) as a judge
// score when noise_sd > 0.
class LinearEnv {
 public:
  LinearEnv(int dim, std::vector<double> bases, double slope, uint64_t seed) : dim_(dim) {
    Rng rng(seed);
    for (double base : bases) {
      Eigen::VectorXd theta(dim);
      theta(0) = base;
      theta.tail(dim - 1) = slope * UnitVector(dim - 1, rng);
      thetas_.push_back(theta);
    }
  }

  int dim() const { return dim_; }
  int arms() const { return static_cast<int>(thetas_.size()); }
  const Eigen::VectorXd& theta(int a) const { return thetas_[a]; }
  void set_theta(int a, const Eigen::VectorXd& theta) { thetas_[a] = theta; }
  void AddArm(const Eigen::VectorXd& theta) { thetas_.push_back(theta); }

  Eigen::VectorXd Context(Rng& rng) const {
    Eigen::VectorXd x(dim_);
    x(0) = 1.0;
    x.tail(dim_ - 1) = UnitVector(dim_ - 1, rng);
    return x;
  }

  double Mean(int a, const Eigen::VectorXd& x) const {
    return std::clamp(thetas_[a].dot(x), 0.0, 1.0);
  }
  int Best(const Eigen::VectorXd& x) const {
    int best = 0;
    for (int a = 1; a < arms(); ++a) {
      if (Mean(a, x) > Mean(best, x)) best = a;
    }
    return best;
  }

  static Eigen::VectorXd UnitVector(int n, Rng& rng) {
    Eigen::VectorXd v(n);
    for (int i = 0; i < n; ++i) v(i) = rng.Gaussian();
    return v / v.norm();
  }

 private:
  int dim_;
  std::vector<Eigen::VectorXd> thetas_;
};

inline RouterSpec LinearSpec(PolicyKind kind, int dim, int arms, double alpha, double epsilon) {
  RouterSpec spec;
  spec.name = "synthetic";
  spec.features.dim = dim;
  spec.policy.kind = kind;
  spec.policy.alpha = alpha;
  spec.policy.epsilon = epsilon;
  spec.policy.lambda = 1.0;
  spec.policy.seed = 7;
  for (int a = 0; a < arms; ++a) {
    ArmSpec arm;
    arm.id = ArmId(a);
    arm.quality_prior = 0.5;
    spec.arms.push_back(arm);
  }
  return spec;
}

inline int ArmIndex(const std::string& id) { return std::stoi(id.substr(1)); }

// Router::DecideFeatures, failing the test (and stopping it: later steps would be meaningless) on
// an error.
inline RouteResult DecideOrDie(Router& router, const Eigen::VectorXd& x, const RouteQuery& query,
                               uint64_t seed) {
  absl::StatusOr<RouteResult> r = router.DecideFeatures(x, query, seed);
  if (!r.ok()) {
    ADD_FAILURE() << "DecideFeatures: " << r.status();
    std::abort();
  }
  return *std::move(r);
}

inline void LearnOrDie(Router& router, const Decision& decision, const Signals& signals) {
  absl::StatusOr<LearnOutcome> r = router.Learn(decision, signals);
  if (!r.ok()) {
    ADD_FAILURE() << "Learn: " << r.status();
    std::abort();
  }
}

// Bernoulli quality feedback as a thumbs signal.
inline Signals Thumbs(bool up) {
  Signals s;
  s.thumbs = up ? ThumbsSignal::kUp : ThumbsSignal::kDown;
  return s;
}

}  // namespace router::testing

#endif  // BANDIT_ROUTER_TESTS_CORE_SYNTHETIC_ENV_H_
