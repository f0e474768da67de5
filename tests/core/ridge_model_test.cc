#include "core/ridge_model.h"

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
    ASSERT_TRUE(model.Update(x, y).ok());
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
    ASSERT_TRUE(model.Update(x, truth.dot(x) + 0.1 * rng.Gaussian()).ok());
  }
  EXPECT_LT((model.theta() - truth).norm(), 0.05);
}

}  // namespace
}  // namespace router
