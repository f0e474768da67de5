#include "core/ridge_model.h"

#include <cmath>

#include "core/random.h"
#include "gtest/gtest.h"

namespace router {
namespace {

Eigen::VectorXd RandomVector(Rng& rng, int dim) {
  Eigen::VectorXd v(dim);
  for (int i = 0; i < dim; ++i) v(i) = rng.Gaussian();
  return v;
}

// Sherman–Morrison updates must agree with solving the normal equations directly:
// A = λI + Σ x xᵀ, b = λm + Σ y x, θ = A⁻¹ b.
TEST(RidgeModelTest, ShermanMorrisonMatchesDirectSolve) {
  constexpr int kDim = 12;
  constexpr double kLambda = 0.7;
  Rng rng(42);
  const Eigen::VectorXd prior = RandomVector(rng, kDim);
  RidgeModel model(prior, kLambda);

  Eigen::MatrixXd a = kLambda * Eigen::MatrixXd::Identity(kDim, kDim);
  Eigen::VectorXd b = kLambda * prior;
  for (int t = 0; t < 500; ++t) {
    const Eigen::VectorXd x = RandomVector(rng, kDim);
    const double y = rng.Gaussian();
    model.Update(x, y);
    a += x * x.transpose();
    b += y * x;
  }
  const Eigen::MatrixXd a_inv = a.inverse();
  const Eigen::VectorXd theta = a.ldlt().solve(b);
  EXPECT_LT((model.AInverse() - a_inv).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_LT((model.theta() - theta).cwiseAbs().maxCoeff(), 1e-9);

  const Eigen::VectorXd probe = RandomVector(rng, kDim);
  EXPECT_NEAR(model.Mean(probe), theta.dot(probe), 1e-9);
  EXPECT_NEAR(model.Variance(probe), probe.dot(a_inv * probe), 1e-10);
  EXPECT_EQ(model.observations(), 500u);
}

TEST(RidgeModelTest, StartsAtThePriorWithPriorVariance) {
  Eigen::VectorXd prior = Eigen::VectorXd::Zero(4);
  prior(0) = 0.8;
  RidgeModel model(prior, 2.0);
  Eigen::VectorXd bias = Eigen::VectorXd::Zero(4);
  bias(0) = 1.0;
  EXPECT_DOUBLE_EQ(model.Mean(bias), 0.8);
  EXPECT_DOUBLE_EQ(model.Variance(bias), 0.5);  // 1/λ
}

TEST(RidgeModelTest, LearnsAKnownLinearFunction) {
  constexpr int kDim = 6;
  Rng rng(7);
  const Eigen::VectorXd truth = RandomVector(rng, kDim);
  RidgeModel model(Eigen::VectorXd::Zero(kDim), 1.0);
  for (int t = 0; t < 2000; ++t) {
    const Eigen::VectorXd x = RandomVector(rng, kDim);
    model.Update(x, truth.dot(x) + 0.1 * rng.Gaussian());
  }
  EXPECT_LT((model.theta() - truth).norm(), 0.05);
}

// The shared prior moves a model's prior mean after the fact: the mean under prior m + shift
// must equal that of a model built with prior m + shift from the start (θ is linear in the prior
// mean), with and without forgetting, to single-precision accuracy of the shift term.
TEST(RidgeModelTest, ShiftedMeanEqualsAModelBuiltWithTheShiftedPrior) {
  constexpr int kDim = 10;
  constexpr double kLambda = 3.0;
  for (double gamma : {1.0, 0.9}) {
    Rng rng(11);
    const Eigen::VectorXd prior = RandomVector(rng, kDim);
    const Eigen::VectorXd shift = RandomVector(rng, kDim);
    RidgeModel model(prior, kLambda, /*fast_variance=*/true);
    RidgeModel shifted(prior + shift, kLambda, /*fast_variance=*/true);
    Eigen::VectorXf xs(kDim), ps(kDim);
    const Eigen::VectorXf shift_f = shift.cast<float>();
    for (int t = 0; t < 3 * kDim + 3; ++t) {  // past several prior restores with forgetting
      const Eigen::VectorXd x = RandomVector(rng, kDim);
      const double y = rng.Gaussian();
      model.Update(x, y, gamma);
      shifted.Update(x, y, gamma);
      const Eigen::VectorXd probe = RandomVector(rng, kDim);
      double mean = 0, variance = 0;
      model.ShiftedMeanVariance(probe, shift_f, xs, ps, &mean, &variance);
      EXPECT_NEAR(mean, shifted.Mean(probe), 1e-4 * (1 + std::abs(mean))) << "gamma " << gamma;
      EXPECT_EQ(variance, model.Variance(probe, xs, ps));
      // A zero shift is the plain mean up to single precision of a zero term: exactly.
      model.ShiftedMeanVariance(probe, Eigen::VectorXf::Zero(kDim), xs, ps, &mean, &variance);
      EXPECT_EQ(mean, model.Mean(probe));
    }
  }
}

}  // namespace
}  // namespace router
